//! monthly-direct-debit: the SEPA month close. EventBridge Scheduler (02:00 Paris on the 1st,
//! and daily until the 10th for the collections due) fans out one job per customer of the
//! month (payload `{"month": "YYYY-MM"}`, default the month just ended) onto the
//! `direct-debit-jobs` queue; the same function consumes that queue (ReportBatchItemFailures),
//! each job moving its customer's month one step. Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::adapters::sqs::{debit_jobs::SqsDebitJobQueue, SqsEventQueue};
use encaisse::app::direct_debit::MonthlyDirectDebit;
use encaisse::app::start_sepa::SepaSettings;
use encaisse::config;
use encaisse::consumers::debit_jobs::handle_invocation;
use encaisse::ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let queue_url = config::debit_jobs_queue_url()?;
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
    let queue = SqsDebitJobQueue::new(SqsEventQueue::client_from_env().await, queue_url);
    let settings = config::sepa_settings()?.unwrap_or_else(SepaSettings::local);
    let run = Arc::new(
        MonthlyDirectDebit::new(
            Arc::new(store),
            providers,
            Arc::new(SystemClock),
            Arc::new(queue),
            settings,
        )
        .with_creditor_id(config::sepa_creditor_id()),
    );
    encaisse::adapters::lambda_telemetry::run(metrics, move |event: LambdaEvent<Value>| {
        let run = run.clone();
        async move { Ok::<Value, Error>(handle_invocation(&run, event.payload).await?) }
    })
    .await
}
