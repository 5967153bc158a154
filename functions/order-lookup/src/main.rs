//! order-lookup: `POST /v1/order-lookups`, `GET /v1/orders/{reference}` (and its billing and
//! documents). Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::app::{AccessTokens, OrderLookup};
use encaisse::config;
use encaisse::http::{order_lookup_router, with_fallbacks};
use encaisse::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let aws = encaisse::adapters::aws_config_from_env().await;
    // Its own secrets only, from Secrets Manager (see adapters/secrets.rs).
    let secrets = Secrets::load(&secrets_client(&aws), &["ACCESS_TOKEN_SECRET"]).await?;
    let tokens = AccessTokens::new(config::access_token_secret_from(|n| secrets.var(n))?);
    let store = DynamoStore::new(client_from_config(&aws, None), table);
    if let Err(error) = store.warm_up().await {
        lambda_http::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    // Invoices and credit notes: listed from the table, downloaded from S3 by presigned link.
    let documents =
        encaisse::adapters::s3::order_documents_from_env(&aws, &store, Arc::new(SystemClock))?;
    let lookup = OrderLookup::new(Arc::new(store), tokens, Arc::new(SystemClock))
        .with_documents(documents)
        .with_card_saving(config::card_saving_policy()?)
        .with_saved_card_checkout(config::saved_card_checkout())
        .with_wallets(config::payment_wallets()?)
        .with_offline(config::offline_instructions()?)
        .with_modes(config::web_payment_modes()?)
        .with_instalments(config::instalment_plans()?);
    encaisse::adapters::lambda_telemetry::run_http(
        metrics,
        with_fallbacks(order_lookup_router(lookup)),
    )
    .await
}
