//! psp-webhook: `POST /v1/webhooks/stripe`, `GET /v1/webhooks/mangopay`. Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::adapters::sqs::{outbox_destinations, SqsEventQueue};
use encaisse::app::handle_webhook::HandleWebhook;
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::config;
use encaisse::http::{webhooks_router, with_fallbacks};
use encaisse::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let aws = encaisse::adapters::aws_config_from_env().await;
    // Its own secrets only, from Secrets Manager (see adapters/secrets.rs).
    let secrets = Secrets::load(
        &secrets_client(&aws),
        &[
            "STRIPE_API_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "MANGOPAY_API_KEY",
        ],
    )
    .await?;
    // The one function that verifies Stripe's notifications: it cannot serve Stripe without
    // their secret (MangoPay signs nothing: its hooks are only hints, always re-fetched).
    if secrets.var("STRIPE_API_KEY").is_some() {
        secrets
            .get("STRIPE_WEBHOOK_SECRET")
            .ok_or(config::ConfigError::Missing("STRIPE_WEBHOOK_SECRET"))?;
    }
    let providers = Arc::new(encaisse::adapters::payment_providers_from(|n| {
        secrets.var(n)
    })?);
    let store = DynamoStore::new(client_from_config(&aws, None), table);
    if let Err(error) = store.warm_up().await {
        lambda_http::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    let queue = outbox_destinations(
        SqsEventQueue::client_from_env().await,
        config::events_queue_url()?,
        config::einvoicing_queue_url()?,
    );
    let store = Arc::new(store);
    let relay = OutboxRelay::new(store.clone(), Arc::new(queue));
    let handler = HandleWebhook::new(store, providers, Arc::new(SystemClock))
        .with_relay(relay)
        .with_review_rules(config::review_rules()?);
    encaisse::adapters::lambda_telemetry::run_http(
        metrics,
        with_fallbacks(webhooks_router(Arc::new(handler))),
    )
    .await
}
