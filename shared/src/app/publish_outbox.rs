//! The outbox relay: publishes committed domain events to the event queue and takes them off
//! the pending list. At least once: a crash between the two publishes again, and consumers
//! dedupe on the event id. Runs right after a webhook commits (so emails go out at once) and
//! on a schedule (so nothing is left behind).

use std::sync::Arc;

use crate::ports::{EventQueue, QueueError, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

#[derive(Clone)]
pub struct OutboxRelay {
    store: Arc<dyn Store>,
    queue: Arc<dyn EventQueue>,
}

impl OutboxRelay {
    pub fn new(store: Arc<dyn Store>, queue: Arc<dyn EventQueue>) -> Self {
        Self { store, queue }
    }

    /// Publishes up to `limit` pending events, oldest first; returns how many went out.
    pub async fn publish_pending(&self, limit: usize) -> Result<usize, RelayError> {
        let pending = self.store.pending_outbox(limit).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let accepted = self.queue.publish(&pending).await?;
        self.store.mark_outbox_published(&accepted).await?;
        Ok(accepted.len())
    }
}
