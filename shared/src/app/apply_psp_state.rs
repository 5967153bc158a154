//! Commits what the PSP says of a payment: the payment, the order if it moves, the outbox
//! events, and the caller's own writes (a webhook's dedupe record, an idempotency completion),
//! in one transaction; re-reading and reconciling again if something moved meanwhile.

use time::OffsetDateTime;

use super::reconcile::reconcile;
use crate::domain::Reference;
use crate::ports::{OrderWithPayments, ProviderPayment, Store, StoreError, Write};

const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The payment and maybe the order moved.
    Changed,
    /// The stored state already matched (the extra writes were still committed).
    Unchanged,
    /// No such order or payment here.
    Unknown,
}

/// `extra` is built per attempt (it may depend on nothing the retry changes, but Write is not
/// Copy). A failed extra write's error is returned as is (e.g. a duplicate webhook record).
/// `known` is the caller's own recent read of the order, used for the first attempt (one Query
/// saved); if anything moved since, the conditional writes fail and the next attempt re-reads.
pub async fn apply_psp_state(
    store: &dyn Store,
    known: Option<OrderWithPayments>,
    reference: &Reference,
    payment_id: &str,
    fresh: &ProviderPayment,
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
        let Some(change) = reconcile(
            &snapshot.order.value,
            &stored.value,
            stored.version + 1,
            fresh,
            now,
        ) else {
            let writes = extra();
            if !writes.is_empty() {
                store.transact(writes).await?;
            }
            return Ok(Applied::Unchanged);
        };
        let mut writes = vec![Write::PutPayment {
            payment: change.payment,
            expected_version: Some(stored.version),
        }];
        if let Some(order) = change.order {
            writes.push(Write::UpdateOrder {
                order,
                expected_version: snapshot.order.version,
            });
        }
        writes.extend(change.events.into_iter().map(Write::PutOutbox));
        writes.extend(extra());
        match store.transact(writes).await {
            Ok(()) => return Ok(Applied::Changed),
            // Another writer moved the payment or order first: reconcile from there.
            Err(StoreError::VersionConflict(what)) if !what.starts_with("idempotency") => continue,
            Err(StoreError::Contention) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contention)
}
