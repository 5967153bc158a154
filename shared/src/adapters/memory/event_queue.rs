//! A memory event queue for the devserver and tests: events land in a tokio channel that the
//! devserver's notifier loop drains.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::domain::OutboxEvent;
use crate::ports::{EventQueue, QueueError};

pub struct MemoryEventQueue {
    sender: mpsc::UnboundedSender<OutboxEvent>,
}

impl MemoryEventQueue {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<OutboxEvent>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, receiver)
    }
}

#[async_trait]
impl EventQueue for MemoryEventQueue {
    async fn publish(&self, events: &[OutboxEvent]) -> Result<Vec<String>, QueueError> {
        let mut accepted = Vec::with_capacity(events.len());
        for event in events {
            self.sender
                .send(event.clone())
                .map_err(|_| QueueError("the consumer has stopped".into()))?;
            accepted.push(event.id.clone());
        }
        Ok(accepted)
    }
}
