//! The jobs of a phase, drained as the event source mapping hands them to the production SQS
//! consumer: a memory queue, or SQS on moto (ReceiveMessage 10, DeleteMessageBatch).

use std::collections::HashSet;
use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use encaisse::adapters::memory::debit_jobs::MemoryDebitJobQueue;
use encaisse::consumers::debit_jobs::advance_debit_jobs;

use super::{Bench, ESM_BATCH, MAX_RECEIVES};
use crate::card_flow::Failure;

/// Where jobs go and come from.
pub(super) enum Jobs {
    Memory(Arc<MemoryDebitJobQueue>),
    /// SQS on moto, drained as the event source mapping does: ReceiveMessage (10), then
    /// DeleteMessageBatch of the ones the consumer did not report failed.
    Sqs {
        client: aws_sdk_sqs::Client,
        url: String,
    },
}

fn sqs_event(messages: Vec<(String, String)>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .into_iter()
        .map(|(id, body)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(id);
            message.body = Some(body);
            message
        })
        .collect();
    event
}

impl Bench {
    /// Runs every queued job through the SQS consumer, 10 a batch, until each succeeded;
    /// (jobs, failed attempts). A job the consumer reports failed comes back, as it would
    /// after the queue's visibility timeout (at once here), up to 5 receives (then the
    /// dead-letter queue: an error here).
    pub(super) async fn process_jobs(&self) -> Result<(usize, usize), Failure> {
        let (mut succeeded, mut failures) = (0, 0);
        match &self.jobs {
            Jobs::Memory(queue) => {
                let mut jobs = queue.drain();
                for _ in 0..MAX_RECEIVES {
                    let mut again = Vec::new();
                    for chunk in jobs.chunks(ESM_BATCH) {
                        let messages = chunk
                            .iter()
                            .enumerate()
                            .map(|(i, job)| Ok((i.to_string(), serde_json::to_string(job)?)))
                            .collect::<Result<Vec<_>, serde_json::Error>>()?;
                        let response = advance_debit_jobs(&self.run, sqs_event(messages)).await;
                        for failed in &response.batch_item_failures {
                            let i: usize = failed.item_identifier.parse()?;
                            again.push(chunk[i].clone());
                        }
                        failures += response.batch_item_failures.len();
                        succeeded += chunk.len() - response.batch_item_failures.len();
                    }
                    jobs = again;
                    if jobs.is_empty() {
                        break;
                    }
                }
            }
            Jobs::Sqs { client, url } => {
                use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
                let mut empty = 0;
                while succeeded < self.customers {
                    if failures > self.customers * (MAX_RECEIVES - 1) {
                        break;
                    }
                    let out = client
                        .receive_message()
                        .queue_url(url)
                        .max_number_of_messages(ESM_BATCH as i32)
                        .send()
                        .await?;
                    let received = out.messages();
                    if received.is_empty() {
                        empty += 1;
                        if empty > 50 {
                            break;
                        }
                        continue;
                    }
                    let messages = received
                        .iter()
                        .map(|m| {
                            (
                                m.message_id().unwrap_or_default().to_string(),
                                m.body().unwrap_or_default().to_string(),
                            )
                        })
                        .collect();
                    let response = advance_debit_jobs(&self.run, sqs_event(messages)).await;
                    let failed: HashSet<&str> = response
                        .batch_item_failures
                        .iter()
                        .map(|f| f.item_identifier.as_str())
                        .collect();
                    let mut entries = Vec::new();
                    for (i, m) in received.iter().enumerate() {
                        let handle = m.receipt_handle().unwrap_or_default();
                        if failed.contains(m.message_id().unwrap_or_default()) {
                            failures += 1;
                            client
                                .change_message_visibility()
                                .queue_url(url)
                                .receipt_handle(handle)
                                .visibility_timeout(0)
                                .send()
                                .await?;
                        } else {
                            succeeded += 1;
                            entries.push(
                                DeleteMessageBatchRequestEntry::builder()
                                    .id(i.to_string())
                                    .receipt_handle(handle)
                                    .build()?,
                            );
                        }
                    }
                    if !entries.is_empty() {
                        client
                            .delete_message_batch()
                            .queue_url(url)
                            .set_entries(Some(entries))
                            .send()
                            .await?;
                    }
                }
            }
        }
        if succeeded != self.customers {
            return Err(format!(
                "{succeeded} of {} jobs succeeded ({failures} failed attempts; RUST_LOG=warn shows why)",
                self.customers
            )
            .into());
        }
        Ok((succeeded, failures))
    }
}
