//! SQS consumers, shared by the Lambdas and tests: one generic partial-batch loop
//! (`consume_batch`) and one handler per queue turning a message into a use-case call. Failed
//! messages are reported (ReportBatchItemFailures), so one bad message never makes the whole
//! batch run again; permanent failures are reported too and reach the dead-letter queue after
//! maxReceiveCount, where someone looks at them: nothing is dropped.

pub mod debit_jobs;
pub mod domain_events;
pub mod shipments;

use crate::domain::log_safe::LogSafe;
use std::future::Future;

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
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let outcome = match record.body {
            Some(body) => handle(body).await,
            None => Err(MessageFailure::permanent("empty body")),
        };
        if let Err(failure) = outcome {
            if failure.transient {
                tracing::warn!(queue, message = %id, error = %LogSafe(&failure.error), "message will be retried");
            } else {
                tracing::error!(queue, message = %id, error = %LogSafe(&failure.error), "message refused; it will reach the dead-letter queue");
            }
            let mut item = BatchItemFailure::default();
            item.item_identifier = id;
            failures.push(item);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}
