//! The `domain-events` queue on SQS: SendMessageBatch, ten at a time.

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;

use crate::domain::OutboxEvent;
use crate::ports::{EventQueue, QueueError};

pub mod debit_jobs;

/// Where every relay of the outbox publishes (outbox-relay, and psp-webhook right after its
/// commit): `invoice_issued` to the e-invoicing connector's queue, the rest to `domain-events`.
pub fn outbox_destinations(
    client: Client,
    events_queue_url: String,
    einvoicing_queue_url: String,
) -> crate::ports::RoutedEventQueue {
    crate::ports::RoutedEventQueue::new(std::sync::Arc::new(SqsEventQueue::new(
        client.clone(),
        events_queue_url,
    )))
    .route(
        crate::domain::OutboxKind::InvoiceIssued,
        std::sync::Arc::new(SqsEventQueue::new(client, einvoicing_queue_url)),
    )
}

const SQS_BATCH: usize = 10;

pub struct SqsEventQueue {
    client: Client,
    queue_url: String,
}

impl SqsEventQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// A client from the environment (`AWS_ENDPOINT_URL` reaches an emulator).
    pub async fn client_from_env() -> Client {
        Client::new(&aws_config::load_from_env().await)
    }
}

#[async_trait]
impl EventQueue for SqsEventQueue {
    async fn publish(&self, events: &[OutboxEvent]) -> Result<Vec<String>, QueueError> {
        let mut accepted = Vec::new();
        for chunk in events.chunks(SQS_BATCH) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, event) in chunk.iter().enumerate() {
                let body = serde_json::to_string(event).map_err(|e| QueueError(e.to_string()))?;
                let entry = SendMessageBatchRequestEntry::builder()
                    // Batch entry ids are positional; the event id travels in the body.
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| QueueError(e.to_string()))?;
                entries.push(entry);
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError(DisplayErrorContext(&e).to_string()))?;
            for ok in out.successful() {
                if let Some(event) = ok.id().parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    accepted.push(event.id.clone());
                }
            }
            for failed in out.failed() {
                tracing::warn!(
                    entry = failed.id(),
                    code = failed.code(),
                    "event not queued; retried later"
                );
            }
        }
        Ok(accepted)
    }
}
