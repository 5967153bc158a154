//! The outbox relay: publishes committed domain events to the event queue and takes them off
//! the pending list. At least once: a crash between the two publishes again, and consumers
//! dedupe on the event id. Runs right after a webhook commits (so emails go out at once) and
//! on a schedule (so nothing is left behind).

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::domain::OutboxEvent;
use crate::ports::{EventQueue, OutboxStore, QueueError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// An invoice event whose email is not confirmed this long after it was queued is sent again
/// by the daily sweep (normal delivery takes seconds; SQS retries a few minutes).
pub const INVOICE_GRACE: Duration = Duration::hours(1);

/// What one run of the relay does, from its schedule's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayTask {
    /// Every minute (input without `task`).
    PublishPending,
    /// Daily: `{"task": "resend_undelivered_invoices"}`.
    ResendUndeliveredInvoices,
}

impl RelayTask {
    pub fn from_input(input: &serde_json::Value) -> Result<Self, String> {
        match input.get("task") {
            None | Some(serde_json::Value::Null) => Ok(RelayTask::PublishPending),
            Some(task) => match task.as_str() {
                Some("publish_pending") => Ok(RelayTask::PublishPending),
                Some("resend_undelivered_invoices") => Ok(RelayTask::ResendUndeliveredInvoices),
                _ => Err(format!(
                    "unknown task {task}: expected publish_pending or resend_undelivered_invoices"
                )),
            },
        }
    }
}

#[derive(Clone)]
pub struct OutboxRelay {
    store: Arc<dyn OutboxStore>,
    queue: Arc<dyn EventQueue>,
}

impl OutboxRelay {
    pub fn new(store: Arc<dyn OutboxStore>, queue: Arc<dyn EventQueue>) -> Self {
        Self { store, queue }
    }

    /// Publishes up to `limit` pending events, oldest first; returns how many went out.
    pub async fn publish_pending(&self, limit: usize) -> Result<usize, RelayError> {
        let pending = self.store.pending_outbox(limit).await?;
        // What the "outbox older than 5 minutes" alarm watches: measured before this run
        // publishes, so an outbox that never drains keeps reporting its growing age.
        let oldest = pending.iter().map(|e| e.created_at).min();
        crate::telemetry::outbox_oldest_pending(oldest.map_or(std::time::Duration::ZERO, |at| {
            crate::telemetry::elapsed(at, OffsetDateTime::now_utc())
        }));
        if pending.is_empty() {
            return Ok(0);
        }
        let accepted = self.queue.publish(&pending).await?;
        let published: Vec<OutboxEvent> = pending
            .into_iter()
            .filter(|e| accepted.contains(&e.id))
            .collect();
        self.store.mark_outbox_published(&published).await?;
        Ok(published.len())
    }

    /// The daily sweep: invoices due for longer than `grace` whose email was never confirmed
    /// are published again (the notifier reuses an invoice already numbered and never emails
    /// twice), so every invoice goes out within a business day even after a dead-lettered
    /// message. Returns the events sent again.
    pub async fn resend_undelivered_invoices(
        &self,
        now: OffsetDateTime,
        grace: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, RelayError> {
        let requeued = self
            .store
            .requeue_undelivered_invoices(now - grace, limit)
            .await?;
        for event in &requeued {
            tracing::warn!(
                event = %event.id, order = %event.order_reference,
                "invoice email never confirmed; publishing its event again"
            );
        }
        if !requeued.is_empty() {
            self.publish_pending(limit.max(requeued.len())).await?;
        }
        Ok(requeued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_schedule_input_names_the_task() {
        assert_eq!(
            RelayTask::from_input(&json!({})),
            Ok(RelayTask::PublishPending)
        );
        assert_eq!(
            RelayTask::from_input(&json!({"task": "resend_undelivered_invoices"})),
            Ok(RelayTask::ResendUndeliveredInvoices)
        );
        assert!(RelayTask::from_input(&json!({"task": "everything"})).is_err());
        assert!(RelayTask::from_input(&json!({"task": 3})).is_err());
    }
}
