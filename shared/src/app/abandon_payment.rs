//! `DELETE /v1/orders/{reference}/payments/{payment_id}`: the shopper drops an unfinished
//! attempt (split from start_payment.rs; the same use case).

use super::settle::settle;
use super::start_payment::{StartPayment, StartPaymentError};
use crate::domain::{Payment, PaymentStatus, Reference};
use crate::ports::StoreError;

impl StartPayment {
    /// `DELETE …/payments/{id}`: the shopper drops an unfinished attempt; the order can be paid
    /// again. Deleting an attempt already closed answers the same.
    pub async fn abandon(
        &self,
        reference: &Reference,
        payment_id: &str,
    ) -> Result<Payment, StartPaymentError> {
        // Closing the page makes the PSP send `checkout.session.expired`, whose webhook may
        // commit first: then we read again and find the attempt already closed.
        for _ in 0..3 {
            let now = self.now();
            let snapshot = self
                .store()
                .get_order_with_payments(reference)
                .await?
                .ok_or(StartPaymentError::NotFound)?;
            let stored = snapshot
                .payments
                .iter()
                .find(|p| p.value.id == payment_id)
                .cloned()
                .ok_or(StartPaymentError::PaymentNotFound)?;
            match stored.value.status {
                PaymentStatus::Cancelled | PaymentStatus::Expired => return Ok(stored.value),
                s if !s.is_unfinished() => {
                    return Err(StartPaymentError::NotPayable(snapshot.order.value.status))
                }
                _ => {}
            }
            let cancel = self.close_attempt(stored, now).await?;
            let cancelled = cancel.payment.clone();
            let settled = settle(&snapshot, &snapshot.order.value, vec![cancel], now);
            match self
                .store()
                .transact(settled.into_writes(snapshot.order.version, false))
                .await
            {
                Ok(()) => return Ok(cancelled),
                Err(StoreError::VersionConflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StartPaymentError::Conflict)
    }
}
