//! initiate-payment: `POST /v1/orders/{reference}/payments`, `GET …/payments/{id}`. Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::app::start_payment::StartPayment;
use encaisse::app::submit_card_form::SubmitCardForm;
use encaisse::app::AccessTokens;
use encaisse::config;
use encaisse::http::{payments_router, with_fallbacks, PaymentsApi};
use encaisse::ports::{Store, SystemClock};

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
    let origins = config::allowed_return_origins()?;
    let providers = Arc::new(encaisse::adapters::payment_providers_from(|n| {
        secrets.var(n)
    })?);
    let store = DynamoStore::new(client_from_config(&aws, None), table);
    if let Err(error) = store.warm_up().await {
        lambda_http::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    let store: Arc<dyn Store> = Arc::new(store);
    let card_forms = SubmitCardForm::new(store.clone(), providers.clone(), Arc::new(SystemClock))
        .with_three_d_secure(config::three_d_secure_policy()?)
        .with_review_rules(config::review_rules()?);
    let start = StartPayment::new(
        store.clone(),
        providers,
        tokens,
        Arc::new(SystemClock),
        origins,
    )
    .with_attempt_lifetime(config::payment_attempt_lifetime()?)
    .with_three_d_secure(config::three_d_secure_policy()?)
    .with_card_saving(config::card_saving_policy()?)
    .with_wallets(config::payment_wallets()?)
    .with_instalments(config::instalment_plans()?)
    .with_sepa(config::sepa_settings()?)
    .with_offline(config::offline_instructions()?)
    .with_modes(config::web_payment_modes()?);
    let api = PaymentsApi {
        start: Arc::new(start),
        card_forms: Arc::new(card_forms),
        store,
    };
    encaisse::adapters::lambda_telemetry::run_http(metrics, with_fallbacks(payments_router(api)))
        .await
}
