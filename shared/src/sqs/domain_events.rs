//! The `domain-events` queue: outbox events (JSON) to the notifier. The notifier dedupes per
//! event and recipient, so redelivery never sends twice; every failure is reported so the
//! message comes back, and lands in the dead-letter queue if it never succeeds.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::app::notify::{parse_outbox_message, Notifier};

pub async fn notify_batch(notifier: &Notifier, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let outcome = match parse_outbox_message(record.body.as_deref().unwrap_or("")) {
            Ok(outbox) => notifier.handle(&outbox).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(error) = outcome {
            if error.is_transient() {
                tracing::warn!(message = %id, %error, "notification will be retried");
            } else {
                tracing::error!(message = %id, %error, "notification refused; will reach the DLQ");
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}
