//! The shopper account's flows for the request counts: asking a sign-in code, signing in with
//! it, one page of "my orders", through the shopper-account router on the same table.

use std::sync::Arc;

use axum::Router;
use encaisse::adapters::dynamodb::RequestCounter;
use encaisse::adapters::memory::notifications::MemoryMailer;
use encaisse::app::shopper_account::ShopperAccount;
use encaisse::app::start_payment::StartPayment;
use encaisse::app::AccessTokens;
use encaisse::http::{shopper_account_router, with_fallbacks};
use encaisse::ports::{ProviderRegistry, Store, SystemClock};

use super::{call, capacity};

const EMAIL: &str = "buyer@example.fr";

fn router(store: Arc<dyn Store>, mailer: Arc<MemoryMailer>) -> Result<Router, String> {
    let tokens = AccessTokens::new(b"bench-secret-bench-secret-bench-secret");
    // No PSP call in these flows: a connector for the registry only.
    let providers = Arc::new(ProviderRegistry::single(Arc::new(
        encaisse::adapters::stripe::StripeConnector::new(
            encaisse::adapters::stripe::StripeConfig::new("sk_test_rules", vec![]),
        )
        .map_err(|e| e.to_string())?,
    )));
    let payments = Arc::new(StartPayment::new(
        store.clone(),
        providers.clone(),
        tokens.clone(),
        Arc::new(SystemClock),
        encaisse::app::return_url::ReturnOrigins::none(),
    ));
    let account = ShopperAccount::new(
        store,
        mailer,
        Arc::new(SystemClock),
        tokens,
        payments,
        providers,
    );
    Ok(with_fallbacks(shopper_account_router(Arc::new(account))))
}

/// Prints one row per flow; the order created by the earlier flows is the customer's.
pub async fn count(store: Arc<dyn Store>, counter: &RequestCounter) -> Result<(), String> {
    let mailer = Arc::new(MemoryMailer::new());
    let router = router(store, mailer.clone())?;
    counter.reset();
    let body = format!(r#"{{"email":"{EMAIL}"}}"#);
    let (status, _) = call(&router, "POST", "/v1/me/sign-in", Some(body), None).await;
    println!(
        "{}",
        capacity::row("account: sign-in code asked", status, counter)
    );
    let code = mailer
        .sent()
        .last()
        .and_then(|e| {
            e.text
                .split("\n\n")
                .find(|p| p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string)
        })
        .ok_or("no sign-in code emailed")?;
    counter.reset();
    let body = format!(r#"{{"email":"{EMAIL}","code":"{code}"}}"#);
    let (status, opened) = call(&router, "POST", "/v1/me/sessions", Some(body), None).await;
    println!(
        "{}",
        capacity::row("account: signed in with the code", status, counter)
    );
    let session = opened["session_token"]
        .as_str()
        .ok_or("no session token")?
        .to_string();
    counter.reset();
    let (status, _) = call(&router, "GET", "/v1/me/orders", None, Some(&session)).await;
    println!(
        "{}",
        capacity::row("account: my orders page", status, counter)
    );
    Ok(())
}
