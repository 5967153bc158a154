//! collect-instalments: once a day (EventBridge Scheduler, 07:00 in Paris), charges the
//! scheduled instalments due that day or before, off-session on the plans' cards. Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::app::collect_instalments::CollectInstalments;
use encaisse::config;
use encaisse::ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

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
    let run = Arc::new(CollectInstalments::new(
        Arc::new(store),
        providers,
        Arc::new(SystemClock),
    ));
    encaisse::adapters::lambda_telemetry::run(metrics, move |_: LambdaEvent<Value>| {
        let run = run.clone();
        async move {
            let report = run.run().await?;
            Ok::<Value, Error>(serde_json::to_value(report)?)
        }
    })
    .await
}
