//! shopper-account: `/v1/me/*` (sign-in by emailed code, session, profile and billing, my
//! orders, order access and deletion, saved cards, mandates). Wiring only.

use std::sync::Arc;

use encaisse::adapters::branded_mailer::BrandedMailer;
use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::adapters::ses::{self, sender_from_env, SesMailer};
use encaisse::app::shopper_account::ShopperAccount;
use encaisse::app::start_payment::StartPayment;
use encaisse::app::AccessTokens;
use encaisse::config;
use encaisse::http::{shopper_account_router, with_fallbacks};
use encaisse::ports::{Clock, Store, SystemClock};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let aws = encaisse::adapters::aws_config_from_env().await;
    // Its own secrets only, from Secrets Manager (see adapters/secrets.rs).
    let secrets = Secrets::load(
        &secrets_client(&aws),
        &["STRIPE_API_KEY", "MANGOPAY_API_KEY", "ACCESS_TOKEN_SECRET"],
    )
    .await?;
    let tokens = AccessTokens::new(config::access_token_secret_from(|n| secrets.var(n))?);
    let providers = Arc::new(encaisse::adapters::payment_providers_from(|n| {
        secrets.var(n)
    })?);
    // Sign-in codes carry the seller's brand too (BRAND_NAME, BRAND_LOGO_URL, BRAND_COLOUR).
    let mailer = BrandedMailer::new(
        Arc::new(SesMailer::new(
            ses::client_from_config(&aws),
            sender_from_env()?,
        )),
        encaisse::config::branding()?,
    );
    let store = DynamoStore::new(client_from_config(&aws, None), table);
    if let Err(error) = store.warm_up().await {
        lambda_http::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    let store: Arc<dyn Store> = Arc::new(store);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Deleting an order closes its unfinished attempt at the PSP, as dropping it does; the
    // SEPA settings give the account's cap and what remains.
    let payments = Arc::new(
        StartPayment::new(
            store.clone(),
            providers.clone(),
            tokens.clone(),
            clock.clone(),
            // Where the PSP's mandate page sends the shopper back (the account page).
            config::allowed_return_origins()?,
        )
        .with_sepa(config::sepa_settings()?),
    );
    let account = ShopperAccount::new(store, Arc::new(mailer), clock, tokens, payments, providers);
    encaisse::adapters::lambda_telemetry::run_http(
        metrics,
        with_fallbacks(shopper_account_router(Arc::new(account))),
    )
    .await
}
