//! The shopper deletes an order nothing was paid on (from their account): its unfinished
//! attempt is closed at the PSP, the order is `deleted` (no longer payable), and the seller is
//! told through the outbox, all committed in one transaction.

use time::OffsetDateTime;

use super::settle::settle;
use super::start_payment::{StartPayment, StartPaymentError};
use crate::domain::{OrderClosure, OutboxEvent, OutboxKind, Reference};
use crate::ports::{StoreError, Write};

impl StartPayment {
    /// Deleting an order already deleted answers the same. `NotPayable` when something is
    /// authorised, processing or paid on it (or the seller cancelled it).
    pub async fn delete_order(&self, reference: &Reference) -> Result<(), StartPaymentError> {
        for _ in 0..3 {
            let now = self.now();
            let snapshot = self
                .store()
                .get_order_with_payments(reference)
                .await?
                .ok_or(StartPaymentError::NotFound)?;
            let order = &snapshot.order.value;
            if order.closure == Some(OrderClosure::DeletedByShopper) {
                return Ok(());
            }
            let settled_any = order.amounts.settled > rust_decimal::Decimal::ZERO
                || snapshot
                    .payments
                    .iter()
                    .any(|p| p.value.status == crate::domain::PaymentStatus::Processing);
            if order.closure.is_some() || settled_any {
                return Err(StartPaymentError::NotPayable(order.status));
            }
            let mut changes = Vec::new();
            for open in snapshot
                .payments
                .iter()
                .filter(|p| p.value.status.is_unfinished())
            {
                changes.push(self.close_attempt(open.clone(), now).await?);
            }
            let mut deleted = order.clone();
            deleted.closure = Some(OrderClosure::DeletedByShopper);
            let settled = settle(&snapshot, &deleted, changes, now);
            let mut writes = settled.into_writes(snapshot.order.version, true);
            writes.push(Write::PutOutbox(deleted_event(order, now)));
            match self.store().transact(writes).await {
                Ok(()) => return Ok(()),
                Err(StoreError::VersionConflict(_)) | Err(StoreError::Contention) => continue,
                // Queued by a delete that committed meanwhile.
                Err(StoreError::AlreadyExists(_)) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        Err(StartPaymentError::Conflict)
    }
}

fn deleted_event(order: &crate::domain::Order, now: OffsetDateTime) -> OutboxEvent {
    OutboxEvent {
        id: format!("OrderDeletedByShopper#{}", order.reference),
        kind: OutboxKind::OrderDeletedByShopper,
        order_reference: order.reference.clone(),
        payment_id: String::new(),
        amount: order.totals().gross,
        currency: order.currency,
        created_at: now,
        document: None,
    }
}
