//! The `direct-debit-jobs` queue on SQS: SendMessageBatch, ten at a time.

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;

use crate::ports::{DebitJob, DebitJobQueue, QueueError};

pub struct SqsDebitJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsDebitJobQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl DebitJobQueue for SqsDebitJobQueue {
    async fn enqueue(&self, jobs: &[DebitJob]) -> Result<usize, QueueError> {
        let mut accepted = 0;
        for chunk in jobs.chunks(super::SQS_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, job)| {
                    let body = serde_json::to_string(job).map_err(|e| QueueError(e.to_string()))?;
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| QueueError(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError(DisplayErrorContext(&e).to_string()))?;
            accepted += out.successful().len();
            for failed in out.failed() {
                tracing::warn!(
                    entry = failed.id(),
                    code = failed.code(),
                    "debit job not queued; the next run queues it again"
                );
            }
        }
        Ok(accepted)
    }
}
