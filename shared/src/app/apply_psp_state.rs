//! Commits what the PSP says of a payment: the payment, the order if it moves (re-derived), the
//! outbox events, and the caller's own writes (a webhook's dedupe record, an idempotency
//! completion), in one transaction; re-reading and reconciling again if something moved.

use time::OffsetDateTime;

use super::reconcile::reconcile;
use super::settle::{settle, PaymentChange};
use crate::domain::{Payment, Reference, ReleaseReason};
use crate::ports::{OrderWithPayments, PaymentWrites, ProviderPayment, StoreError, Write};

const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The payment (as now stored) and maybe the order moved.
    Changed(Box<Payment>),
    /// The stored state already matched (the extra writes were still committed).
    Unchanged,
    /// No such order or payment here.
    Unknown,
}

/// What the caller knows that the PSP's object does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// Why an uncaptured rest is given back, when this change closes the payment short (a
    /// last-parcel capture), should the PSP's object not say it.
    pub release: Option<ReleaseReason>,
    /// What a shipment's capture took, once its answer is given with this change.
    pub shipped: Option<rust_decimal::Decimal>,
    /// The seller's fraud rules, for a change that may authorise the payment.
    pub review: Option<super::review::ReviewCheck>,
}

/// `extra` is built per attempt (Write is not Copy). A failed extra write's error is returned as
/// is (e.g. a duplicate webhook record). `known` is the caller's own recent read of the order,
/// used for the first attempt (one Query saved); if anything moved since, the conditional writes
/// fail and the next attempt re-reads.
#[allow(clippy::too_many_arguments)]
pub async fn apply_psp_state(
    store: &dyn PaymentWrites,
    known: Option<OrderWithPayments>,
    reference: &Reference,
    payment_id: &str,
    fresh: &ProviderPayment,
    context: Context,
    now: OffsetDateTime,
    extra: &(dyn Fn() -> Vec<Write> + Send + Sync),
) -> Result<Applied, StoreError> {
    let mut known = known;
    for _ in 0..ATTEMPTS {
        let snapshot = match known.take() {
            Some(snapshot) => snapshot,
            None => match store.get_order_with_payments(reference).await? {
                Some(snapshot) => snapshot,
                None => return Ok(Applied::Unknown),
            },
        };
        let Some(stored) = snapshot.payments.iter().find(|p| p.value.id == payment_id) else {
            return Ok(Applied::Unknown);
        };
        // The PSP's news, or the stored payment when the webhook recorded it first: either way
        // the reason for a rest released by this change is ours to record.
        let mut payment =
            reconcile(&stored.value, fresh, now).unwrap_or_else(|| stored.value.clone());
        if let Some(shipped) = context.shipped {
            payment.shipped_amount += shipped;
            payment.updated_at = now;
        }
        if let Some(check) = &context.review {
            super::review::open_review(
                check,
                &stored.value,
                &mut payment,
                &snapshot.order.value,
                fresh.risk_level,
                now,
            );
        }
        if let Some(reason) = context.release {
            if payment.note_release(reason) {
                payment.updated_at = now;
            }
        }
        if payment == stored.value {
            let writes = extra();
            if !writes.is_empty() {
                store.transact(writes).await?;
            }
            return Ok(Applied::Unchanged);
        }
        let committed = payment.clone();
        let before = stored.value.status;
        let settled = settle(
            &snapshot,
            &snapshot.order.value,
            vec![PaymentChange {
                payment,
                expected_version: Some(stored.version),
            }],
            now,
        );
        let mut writes = settled.into_writes(snapshot.order.version, false);
        writes.extend(extra());
        match store.transact(writes).await {
            Ok(()) => {
                crate::telemetry::payment_moved(before, committed.status);
                return Ok(Applied::Changed(Box::new(committed)));
            }
            // Another writer moved the payment or order first: reconcile from there.
            Err(StoreError::VersionConflict(what))
                if what.kind != crate::ports::ItemKind::Idempotency =>
            {
                continue
            }
            Err(StoreError::Contention) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contention)
}
