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

/// Sends the events of the routed kinds to their own queue (`invoice_issued` to the
/// e-invoicing connector's), everything else to `default`.
pub struct RoutedEventQueue {
    default: std::sync::Arc<dyn EventQueue>,
    routes: Vec<(crate::domain::OutboxKind, std::sync::Arc<dyn EventQueue>)>,
}

impl RoutedEventQueue {
    pub fn new(default: std::sync::Arc<dyn EventQueue>) -> Self {
        Self {
            default,
            routes: Vec::new(),
        }
    }

    pub fn route(
        mut self,
        kind: crate::domain::OutboxKind,
        queue: std::sync::Arc<dyn EventQueue>,
    ) -> Self {
        self.routes.push((kind, queue));
        self
    }
}

#[async_trait]
impl EventQueue for RoutedEventQueue {
    /// Each queue on its own: one that fails keeps only its events pending (what the others
    /// accepted is still reported); an error only when every queue tried failed.
    async fn publish(&self, events: &[OutboxEvent]) -> Result<Vec<String>, QueueError> {
        let routed = |e: &OutboxEvent| self.routes.iter().position(|(kind, _)| *kind == e.kind);
        let queues = std::iter::once((None, &self.default)).chain(
            self.routes
                .iter()
                .enumerate()
                .map(|(i, (_, q))| (Some(i), q)),
        );
        let (mut accepted, mut failure, mut tried) = (Vec::new(), None, 0);
        for (route, queue) in queues {
            let mine: Vec<OutboxEvent> = events
                .iter()
                .filter(|e| routed(e) == route)
                .cloned()
                .collect();
            if mine.is_empty() {
                continue;
            }
            tried += 1;
            match queue.publish(&mine).await {
                Ok(ids) => accepted.extend(ids),
                Err(error) => {
                    tracing::warn!(%error, "an event queue refused its events: they stay pending");
                    failure = Some(error);
                }
            }
        }
        match failure {
            Some(error) if accepted.is_empty() && tried > 0 => Err(error),
            _ => Ok(accepted),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::adapters::memory::event_queue::MemoryEventQueue;
    use crate::domain::OutboxKind;

    /// An `invoice_issued` event and one of another kind.
    fn issued_and_other() -> (OutboxEvent, OutboxEvent) {
        let mut invoice = crate::notification_contract::outbox_event(
            OutboxKind::PaymentReceived,
            "ORD-10042",
            "pay_1",
        );
        invoice.kind = OutboxKind::InvoiceIssued;
        invoice.id = "invoice_issued#F-1".into();
        let other = crate::notification_contract::outbox_event(
            OutboxKind::PaymentReceived,
            "ORD-10043",
            "pay_2",
        );
        (invoice, other)
    }

    #[tokio::test]
    async fn routed_kinds_go_to_their_queue_and_the_rest_to_the_default() {
        let (default, mut general) = MemoryEventQueue::new();
        let (einvoicing, mut issued) = MemoryEventQueue::new();
        let queue = RoutedEventQueue::new(Arc::new(default))
            .route(OutboxKind::InvoiceIssued, Arc::new(einvoicing));
        let (invoice, other) = issued_and_other();
        let accepted = queue
            .publish(&[invoice.clone(), other.clone()])
            .await
            .expect("published");
        assert_eq!(accepted.len(), 2);
        assert_eq!(issued.try_recv().map(|e| e.id), Ok(invoice.id));
        assert_eq!(general.try_recv().map(|e| e.id), Ok(other.id));
        assert!(issued.try_recv().is_err() && general.try_recv().is_err());
    }

    struct Refusing;

    #[async_trait]
    impl EventQueue for Refusing {
        async fn publish(&self, _: &[OutboxEvent]) -> Result<Vec<String>, QueueError> {
            Err(QueueError("down".into()))
        }
    }

    #[tokio::test]
    async fn a_failing_queue_keeps_only_its_own_events_pending() {
        let (default, mut general) = MemoryEventQueue::new();
        let queue = RoutedEventQueue::new(Arc::new(default))
            .route(OutboxKind::InvoiceIssued, Arc::new(Refusing));
        let (invoice, other) = issued_and_other();
        let accepted = queue.publish(&[invoice.clone(), other.clone()]).await;
        assert_eq!(accepted, Ok(vec![other.id.clone()]));
        assert_eq!(general.try_recv().map(|e| e.id), Ok(other.id));
        let only_refused = queue.publish(&[invoice]).await;
        assert!(only_refused.is_err(), "{only_refused:?}");
    }
}
