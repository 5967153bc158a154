//! capture-on-shipment: the `shipments` SQS queue (ReportBatchItemFailures). Wiring only; the
//! back-office route `POST /v1/admin/orders/{reference}/shipments` runs the same use case.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::app::capture_on_shipment::CaptureOnShipment;
use encaisse::config;
use encaisse::consumers::shipments::capture_shipments;
use encaisse::ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let aws = encaisse::adapters::aws_config_from_env().await;
    // Its own secrets only, from Secrets Manager (see adapters/secrets.rs).
    let secrets = Secrets::load(
        &secrets_client(&aws),
        &["STRIPE_API_KEY", "MANGOPAY_API_KEY"],
    )
    .await?;
    let providers = Arc::new(encaisse::adapters::payment_providers_from(|n| {
        secrets.var(n)
    })?);
    let store = DynamoStore::new(client_from_config(&aws, None), table);
    if let Err(error) = store.warm_up().await {
        lambda_runtime::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    let capture = Arc::new(CaptureOnShipment::new(
        Arc::new(store),
        providers,
        Arc::new(SystemClock),
    ));
    encaisse::adapters::lambda_telemetry::run(metrics, move |event: LambdaEvent<SqsEvent>| {
        let capture = capture.clone();
        async move { Ok::<SqsBatchResponse, Error>(capture_shipments(&capture, event.payload).await) }
    })
    .await
}
