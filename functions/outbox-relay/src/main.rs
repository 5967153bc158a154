//! outbox-relay: every minute (EventBridge Scheduler), publishes outbox events still pending
//! to the domain-events queue (`invoice_issued` to the e-invoicing queue), so nothing committed
//! is left unsent; once a day, also sends
//! again the invoices whose email was never confirmed. Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_env, DynamoStore};
use encaisse::adapters::sqs::{outbox_destinations, SqsEventQueue};
use encaisse::app::publish_outbox::{OutboxRelay, RelayTask, INVOICE_GRACE};
use encaisse::config;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::{json, Value};

/// Per run; a backlog drains over successive runs.
const BATCH: usize = 500;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let queue_url = config::events_queue_url()?;
    let einvoicing_url = config::einvoicing_queue_url()?;
    let store = DynamoStore::new(client_from_env(None).await, table);
    // Issued invoices go to the e-invoicing connector's queue, the rest to the notifier's.
    let queue = outbox_destinations(
        SqsEventQueue::client_from_env().await,
        queue_url,
        einvoicing_url,
    );
    let relay = Arc::new(OutboxRelay::new(Arc::new(store), Arc::new(queue)));
    encaisse::adapters::lambda_telemetry::run(metrics, move |event: LambdaEvent<Value>| {
        let relay = relay.clone();
        async move {
            match RelayTask::from_input(&event.payload)? {
                RelayTask::PublishPending => {
                    let published = relay.publish_pending(BATCH).await?;
                    Ok::<Value, Error>(json!({ "published": published }))
                }
                RelayTask::ResendUndeliveredInvoices => {
                    let now = time::OffsetDateTime::now_utc();
                    let resent = relay
                        .resend_undelivered_invoices(now, INVOICE_GRACE, BATCH)
                        .await?;
                    Ok(json!({ "invoices_resent": resent.len() }))
                }
            }
        }
    })
    .await
}
