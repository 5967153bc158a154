//! `encaisse-dev`: the whole API on 127.0.0.1:3000 (or `ENCAISSE_LISTEN`). Ctrl-C stops it.

use std::net::SocketAddr;

use encaisse::app::return_url::ReturnOrigins;
use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig};
use encaisse_sandbox_psp::TEST_CARDS;
use tracing_subscriber::EnvFilter;

/// The demo's instalment plans when `INSTALMENT_PLANS` is unset.
const DEMO_INSTALMENT_PLANS: &str = "counts:3|4,minimum:100";

fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let listen = std::env::var("ENCAISSE_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let admin_api_key = std::env::var("ADMIN_API_KEY").unwrap_or_else(|_| random_secret());
    let access_token_secret = std::env::var("ACCESS_TOKEN_SECRET")
        .unwrap_or_else(|_| random_secret())
        .into_bytes();
    let dynamodb_table = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .map(|_| std::env::var("TABLE_NAME").unwrap_or_else(|_| "encaisse-dev".into()));

    // Bound first: the sandbox PSP's hosted page URLs need the real address.
    let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
        format!("cannot listen on {listen}: {e} (set ENCAISSE_LISTEN to another address)")
    })?;
    let base = format!("http://{}", listener.local_addr()?);
    let webhook_secret = std::env::var("STRIPE_WEBHOOK_SECRET")
        .unwrap_or_else(|_| format!("whsec_{}", uuid::Uuid::new_v4().simple()));

    let app = build(Options {
        admin_api_key: admin_api_key.clone(),
        access_token_secret,
        dynamodb_table,
        sandbox: SandboxConfig {
            public_base_url: base.clone(),
            webhook_url: Some(format!("{base}/v1/webhooks/stripe")),
            webhook_secret: webhook_secret.clone(),
        },
        return_origins: match std::env::var("ALLOWED_RETURN_ORIGINS") {
            Ok(list) => {
                ReturnOrigins::parse(&list).map_err(|e| format!("ALLOWED_RETURN_ORIGINS: {e}"))?
            }
            Err(_) => ReturnOrigins::local_development(),
        },
        dynamodb_request_counter: None,
        run_notifier: true,
        three_d_secure: encaisse::config::three_d_secure_policy()?,
        card_saving: encaisse::config::card_saving_policy()?,
        fraud_review: encaisse::config::review_rules()?,
        // The demo offers every wallet the sandbox has unless PAYMENT_WALLETS says otherwise.
        wallets: match std::env::var("PAYMENT_WALLETS") {
            Ok(_) => encaisse::config::payment_wallets()?,
            Err(_) => encaisse::domain::Wallet::ALL.to_vec(),
        },
        // And plans in 3 or 4 monthly instalments from 100 EUR unless INSTALMENT_PLANS says
        // otherwise.
        // SEPA direct debit is on in the devserver unless `SEPA_DEBIT=off`.
        // Bank transfer and cheque with demo details unless BANK_TRANSFER_* / CHEQUE_* say
        // otherwise (`BANK_TRANSFER_IBAN=off` and `CHEQUE_PAYEE=off` turn them off).
        offline: encaisse_dev::offline_instructions_or_demo()?,
        // Cards on the sandbox's Stripe unless CARD_PROVIDER=mangopay.
        card_provider: std::env::var("CARD_PROVIDER")
            .ok()
            .filter(|v| !v.trim().is_empty()),
        // SEPA mandates on the card provider unless SEPA_PROVIDER says otherwise.
        sepa_provider: std::env::var("SEPA_PROVIDER")
            .ok()
            .filter(|v| !v.trim().is_empty()),
        // Every payment mode under default names unless WEB_PAYMENT_MODES says otherwise.
        modes: encaisse::config::web_payment_modes()?,
        sepa: match std::env::var("SEPA_DEBIT") {
            Err(_) => Some(encaisse::app::start_sepa::SepaSettings::local()),
            Ok(_) => encaisse::config::sepa_settings()?,
        },
        instalments: match std::env::var("INSTALMENT_PLANS") {
            Ok(_) => encaisse::config::instalment_plans()?,
            Err(_) => {
                encaisse::domain::instalments::InstalmentPolicy::parse(DEMO_INSTALMENT_PLANS)?
            }
        },
    })
    .await?;
    let demos = seed_demo_orders(app.store.as_ref()).await?;

    println!("\nEncaisse devserver on {base} ({})", app.store_name);
    println!("Admin API key: {admin_api_key}   (Authorization: Bearer <key> on /v1/admin/*)");
    println!("Demo quotes (reference / shipping postcode / total):");
    for d in &demos {
        println!("  {:<10} {:<7} {} EUR", d.reference, d.postcode, d.gross);
    }
    if let Some(first) = demos.first() {
        println!(
            "\nTry:\n  curl -s {base}/v1/order-lookups -H 'content-type: application/json' \\\n    -d '{{\"reference\":\"{}\",\"postcode\":\"{}\"}}'",
            first.reference, first.postcode
        );
        println!(
            "  curl -s {base}/v1/admin/orders/{} -H 'authorization: Bearer {admin_api_key}'",
            first.reference
        );
    }
    println!(
        "\nShopper accounts: {base}/account.html, sign in as jeanne.martin@example.fr, \
         paul.durand@example.fr or emma.smith@example.com; the emailed code (and every email) \
         is at {base}/dev/outbox"
    );
    println!(
        "\nSandbox PSP (Stripe API subset): STRIPE_API_BASE={base}/sandbox-psp, any sk_test_… key"
    );
    println!("  webhooks to {base}/v1/webhooks/stripe, STRIPE_WEBHOOK_SECRET={webhook_secret}");
    println!(
        "Sandbox PSP (MangoPay API subset): MANGOPAY_API_BASE={base}/sandbox-psp/mangopay, \
         client {}, any API key; hooks (GET) to {base}/v1/webhooks/mangopay; new card payments \
         on {} (CARD_PROVIDER), new SEPA mandates on {} (SEPA_PROVIDER)",
        encaisse_dev::MANGOPAY_CLIENT_ID,
        app.card_provider,
        app.sepa_provider
    );
    println!("  events: {base}/sandbox-psp/_events   faults: {base}/sandbox-psp/_faults");
    println!("  test cards (any future expiry, any CVC):");
    for (number, outcome) in TEST_CARDS {
        println!("    {number}  {outcome}");
    }
    println!("\nCtrl-C stops the server.\n");

    axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
        println!("\nStopping the devserver.");
    })
    .await?;
    Ok(())
}
