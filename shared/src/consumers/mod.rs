//! SQS consumers, shared by the Lambdas and tests: one generic partial-batch loop
//! (`consume_batch`) and one handler per queue turning a message into a use-case call. Failed
//! messages are reported (ReportBatchItemFailures), so one bad message never makes the whole
//! batch run again; permanent failures are reported too and reach the dead-letter queue after
//! maxReceiveCount, where someone looks at them: nothing is dropped.

pub mod debit_jobs;
pub mod domain_events;
pub mod shipments;

use crate::domain::log_safe::LogSafe;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;
use tracing::field::Empty;
use tracing::Instrument;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

/// Why one message failed, and whether trying again later may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFailure {
    pub transient: bool,
    pub error: String,
}

impl MessageFailure {
    /// A message that will never succeed (unreadable, refused).
    pub fn permanent(error: impl ToString) -> Self {
        Self {
            transient: false,
            error: error.to_string(),
        }
    }
}

/// Runs `handle` on each message body in turn and reports the ones that failed.
pub async fn consume_batch<F, Fut>(queue: &str, event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), MessageFailure>>,
{
    consume_batch_observed(queue, event, |_| {}, handle).await
}

/// [`consume_batch`], also telling `handled` how long each message handled waited since it
/// was sent (SQS's `SentTimestamp`). Each message is handled in a span naming the queue and
/// message, which the handler can complete with the order (`telemetry::log_context`).
pub async fn consume_batch_observed<F, Fut>(
    queue: &str,
    event: SqsEvent,
    handled: impl Fn(Duration),
    handle: F,
) -> SqsBatchResponse
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), MessageFailure>>,
{
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let sent_at = sent_at(&record.attributes);
        let span = tracing::info_span!(
            "message",
            queue,
            message = %id,
            reference = Empty,
            payment_id = Empty,
        );
        let outcome = match record.body {
            Some(body) => handle(body).instrument(span.clone()).await,
            None => Err(MessageFailure::permanent("empty body")),
        };
        let _entered = span.enter();
        match outcome {
            Ok(()) => {
                if let Some(sent_at) = sent_at {
                    handled(crate::telemetry::elapsed(
                        sent_at,
                        OffsetDateTime::now_utc(),
                    ));
                }
            }
            Err(failure) => {
                if failure.transient {
                    tracing::warn!(error = %LogSafe(&failure.error), "message will be retried");
                } else {
                    tracing::error!(error = %LogSafe(&failure.error), "message refused; it will reach the dead-letter queue");
                }
                let mut item = BatchItemFailure::default();
                item.item_identifier = id;
                failures.push(item);
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

/// SQS's `SentTimestamp` attribute (milliseconds since the epoch), when present and readable.
fn sent_at(attributes: &HashMap<String, String>) -> Option<OffsetDateTime> {
    let millis: i128 = attributes.get("SentTimestamp")?.parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sent_timestamp_is_read_in_milliseconds_and_garbage_ignored() {
        let mut attributes = HashMap::new();
        assert_eq!(sent_at(&attributes), None);
        attributes.insert("SentTimestamp".into(), "1764662400123".into());
        let at = sent_at(&attributes).unwrap();
        assert_eq!(at.unix_timestamp(), 1_764_662_400);
        assert_eq!(at.millisecond(), 123);
        attributes.insert("SentTimestamp".into(), "soon".into());
        assert_eq!(sent_at(&attributes), None);
    }
}
