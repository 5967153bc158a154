//! Where domain events go once committed: the `domain-events` SQS queue in AWS, a memory queue
//! in the devserver. Delivery is at least once; consumers dedupe on the event id.

use async_trait::async_trait;

use crate::domain::OutboxEvent;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event queue: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait EventQueue: Send + Sync {
    /// Publishes the events; returns the ids accepted (the others stay pending and are retried).
    async fn publish(&self, events: &[OutboxEvent]) -> Result<Vec<String>, QueueError>;
}
