//! The seller records a bank transfer or a cheque received for an order (amount, day received,
//! their own reference; part of what is owed allowed). It settles like any payment: the order
//! is re-derived, and the paid email and the invoice follow once nothing is due. An awaited
//! transfer or cheque (chosen at checkout) is what the money pays: recorded whole, it becomes
//! the captured payment and the vouchers and credit reserved with it are taken; recorded in
//! part, a captured payment of that part is added and the awaited one waits for the rest.
//! Idempotent on the caller's key, and audited.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use super::idempotency::{completion, run_once, Refusal};
use super::payment_view::PaymentView;
use super::settle::{settle, PaymentChange};
use super::tender_admin::Once;
use crate::domain::tenders::AuditEntry;
use crate::domain::{
    CaptureTiming, FieldError, OfflineKind, OrderStatus, Payment, PaymentMethod, PaymentStatus,
    Reference,
};
use crate::ports::{
    Clock, OrderWithPayments, Store, StoreError, StoredResponse, TenderWrite, Versioned, Write,
};

/// What the seller received.
#[derive(Debug, Clone)]
pub struct OfflineReceipt {
    pub kind: OfflineKind,
    /// Must be the order's.
    pub currency: crate::domain::Currency,
    pub amount: Decimal,
    pub received_on: Date,
    /// The transfer's label or the cheque's number: free text, never logged.
    pub seller_reference: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordOfflineError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("order not found")]
    NotFound,
    /// Cancelled, deleted, or nothing owed.
    #[error("the order owes nothing now ({0:?})")]
    NothingOwed(OrderStatus),
    #[error("a request with this Idempotency-Key is still running")]
    InProgress,
    #[error("this Idempotency-Key was used with another body")]
    KeyReused,
    /// The shopper just paid on the PSP's page the recording would have closed.
    #[error("a payment on the PSP's page just completed")]
    AttemptCompleted,
    #[error("payment provider: {0}")]
    Provider(#[from] crate::ports::ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<super::start_payment::StartPaymentError> for RecordOfflineError {
    fn from(e: super::start_payment::StartPaymentError) -> Self {
        use super::start_payment::StartPaymentError as E;
        match e {
            E::AttemptCompleted => RecordOfflineError::AttemptCompleted,
            E::Provider(p) => RecordOfflineError::Provider(p),
            E::Store(s) => RecordOfflineError::Store(s),
            other => RecordOfflineError::Store(StoreError::Corrupt(other.to_string())),
        }
    }
}

pub struct OfflinePayments {
    store: Arc<dyn Store>,
    providers: Arc<crate::ports::ProviderRegistry>,
    clock: Arc<dyn Clock>,
}

/// When the money recorded leaves nothing due, the shopper's unfinished attempts at a PSP
/// are closed (so the order cannot be paid twice), and the vouchers and credit they held are
/// taken with the recorded payment instead of given back.
async fn close_the_rest(
    providers: &crate::ports::ProviderRegistry,
    snapshot: &OrderWithPayments,
    recorded: &str,
    changes: &mut Vec<PaymentChange>,
    now: OffsetDateTime,
) -> Result<(), RecordOfflineError> {
    let open: Vec<Versioned<Payment>> = snapshot
        .payments
        .iter()
        .filter(|p| p.value.status.is_unfinished() && p.value.psp.is_some())
        .filter(|p| !changes.iter().any(|c| c.payment.id == p.value.id))
        .cloned()
        .collect();
    for attempt in open {
        let id = attempt.value.id.clone();
        changes.push(super::start_payment::close_attempt(providers, attempt, now).await?);
        for held in snapshot.payments.iter().filter(|p| {
            p.value.reserved_for.as_deref() == Some(id.as_str())
                && p.value.status == PaymentStatus::Processing
        }) {
            let mut moved = held.value.clone();
            moved.reserved_for = Some(recorded.to_string());
            moved.updated_at = now;
            changes.push(PaymentChange {
                payment: moved,
                expected_version: Some(held.version),
            });
        }
    }
    Ok(())
}

/// The newest awaited transfer or cheque of the order, if any.
fn awaited(snapshot: &OrderWithPayments) -> Option<&Versioned<Payment>> {
    snapshot.payments.iter().rev().find(|p| {
        p.value.status == PaymentStatus::Created
            && matches!(p.value.method, PaymentMethod::Offline { .. })
    })
}

/// The captured payment the receipt records.
fn received(
    id: String,
    reference: &Reference,
    receipt: &OfflineReceipt,
    template: Option<&Payment>,
    currency: crate::domain::Currency,
    now: OffsetDateTime,
) -> Payment {
    Payment {
        id,
        order_reference: reference.clone(),
        method: PaymentMethod::Offline {
            kind: receipt.kind,
            seller_reference: receipt.seller_reference.clone(),
            received_on: Some(receipt.received_on),
        },
        status: PaymentStatus::Captured,
        amount: receipt.amount,
        currency,
        psp: None,
        captured_amount: receipt.amount,
        refunded_amount: Decimal::ZERO,
        shipped_amount: Decimal::ZERO,
        shipped_at: None,
        released: None,
        failure_code: None,
        billing: template.and_then(|p| p.billing.clone()),
        created_at: template.map_or(now, |p| p.created_at),
        updated_at: now,
        expires_at: now,
        authorised_at: Some(now),
        dispute: None,
        review: None,
        capture: CaptureTiming::AtOnce,
        due_on: None,
        reserved_for: None,
        credited_amount: Decimal::ZERO,
    }
}

/// The changes recording `receipt`: the awaited payment captured (recorded whole) or reduced
/// with a payment of its own added (in part); or a payment of its own.
fn changes_for(
    snapshot: &OrderWithPayments,
    receipt: &OfflineReceipt,
    new_id: String,
    now: OffsetDateTime,
) -> Result<Vec<PaymentChange>, RecordOfflineError> {
    let order = &snapshot.order.value;
    if order.closure.is_some() {
        return Err(RecordOfflineError::NothingOwed(order.status));
    }
    if receipt.currency != order.currency {
        return Err(FieldError::new(
            "currency",
            format!("must be the order's currency, {}", order.currency.code()),
        )
        .into());
    }
    let awaited = awaited(snapshot);
    let owed = order
        .amount_due()
        .max(awaited.map_or(Decimal::ZERO, |p| p.value.amount));
    if owed <= Decimal::ZERO {
        return Err(RecordOfflineError::NothingOwed(order.status));
    }
    if receipt.amount > owed {
        return Err(FieldError::new(
            "amount",
            format!(
                "is more than the {} {} the order owes",
                order.currency.format(owed),
                order.currency.code()
            ),
        )
        .into());
    }
    let reference = &order.reference;
    Ok(match awaited {
        Some(stored) if receipt.amount == stored.value.amount => {
            let mut whole = received(
                stored.value.id.clone(),
                reference,
                receipt,
                Some(&stored.value),
                order.currency,
                now,
            );
            whole.amount = stored.value.amount;
            vec![PaymentChange {
                payment: whole,
                expected_version: Some(stored.version),
            }]
        }
        Some(stored) if receipt.amount < stored.value.amount => {
            let mut rest = stored.value.clone();
            rest.amount -= receipt.amount;
            rest.updated_at = now;
            vec![
                PaymentChange {
                    payment: rest,
                    expected_version: Some(stored.version),
                },
                PaymentChange {
                    payment: received(
                        new_id,
                        reference,
                        receipt,
                        Some(&stored.value),
                        order.currency,
                        now,
                    ),
                    expected_version: None,
                },
            ]
        }
        // More than the awaited payment but within what is due (the awaited one is then
        // left for the rest), or nothing awaited.
        _ => vec![PaymentChange {
            payment: received(new_id, reference, receipt, None, order.currency, now),
            expected_version: None,
        }],
    })
}

impl OfflinePayments {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<crate::ports::ProviderRegistry>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
        }
    }

    /// Records `receipt` against `reference`; answers the recorded payment and the order's
    /// status and amount due after it.
    pub async fn record(
        &self,
        reference: &Reference,
        receipt: OfflineReceipt,
        by: &str,
        once: &Once<'_>,
    ) -> Result<StoredResponse, RecordOfflineError> {
        if receipt.amount <= Decimal::ZERO {
            return Err(FieldError::new("amount", "must be above 0").into());
        }
        let now = self.clock.now();
        if receipt.received_on > crate::domain::paris_time::paris_date(now) {
            return Err(FieldError::new("received_on", "must be today or earlier").into());
        }
        let request_hash = once.request_hash();
        run_once(
            self.store.as_ref(),
            &once.key,
            &request_hash,
            once.in_progress_until,
            now,
            |refusal| match refusal {
                Refusal::InProgress => RecordOfflineError::InProgress,
                Refusal::Mismatch => RecordOfflineError::KeyReused,
            },
            || self.record_claimed(reference, &receipt, by, once, &request_hash, now),
        )
        .await
    }

    async fn record_claimed(
        &self,
        reference: &Reference,
        receipt: &OfflineReceipt,
        by: &str,
        once: &Once<'_>,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<StoredResponse, RecordOfflineError> {
        let new_id = format!(
            "pay_{}",
            &super::start_payment::hex_digest(&[
                once.key.scope.as_bytes(),
                once.key.key.as_bytes()
            ])[..32]
        );
        for _ in 0..3 {
            let snapshot = self
                .store
                .get_order_with_payments(reference)
                .await?
                .filter(|s| s.order.value.status != OrderStatus::Deleted)
                .ok_or(RecordOfflineError::NotFound)?;
            let mut changes = changes_for(&snapshot, receipt, new_id.clone(), now)?;
            let recorded = changes
                .iter()
                .map(|c| c.payment.clone())
                .find(|p| p.status == PaymentStatus::Captured)
                .ok_or_else(|| StoreError::Corrupt("a receipt without its payment".into()))?;
            // Money arrived: a promo code held for a payment is kept from now on (whatever
            // becomes of the attempt it was held for, the order was paid with it).
            let mut kept = snapshot.order.value.clone();
            if let Some(discount) = kept.discount.as_mut() {
                discount.reserved_for = None;
            }
            let kept_discount = kept.discount != snapshot.order.value.discount;
            let mut settled = settle(&snapshot, &kept, changes.clone(), now);
            if settled.order.amount_due().is_zero() {
                close_the_rest(&self.providers, &snapshot, &recorded.id, &mut changes, now).await?;
                settled = settle(&snapshot, &kept, changes, now);
            }
            let order = settled.order.clone();
            let response = StoredResponse {
                status: 201,
                body: serde_json::json!({
                    "payment": PaymentView::new(&recorded),
                    "order": {
                        "reference": order.reference.as_str(),
                        "status": order.status.as_str(),
                        "amount_due": order.currency.format(order.amount_due()),
                        "currency": order.currency.code(),
                    },
                })
                .to_string(),
            };
            let mut writes = settled.into_writes(snapshot.order.version, kept_discount);
            writes.push(Write::Tender(TenderWrite::Audit(AuditEntry {
                subject: format!("order {reference}"),
                at: now,
                by: by.to_string(),
                action: "offline_payment_recorded".into(),
                before: None,
                after: serde_json::json!({
                    "payment_id": recorded.id,
                    "method": recorded.method.kind(),
                    "amount": order.currency.format(receipt.amount),
                    "received_on": receipt.received_on.to_string(),
                    "reference": receipt.seller_reference,
                }),
            })));
            writes.push(completion(&once.key, request_hash, &response, now));
            match self
                .store
                .transact(crate::ports::merge_adjustments(writes))
                .await
            {
                Ok(()) => {
                    tracing::info!(order = %reference, payment = %recorded.id, method = recorded.method.kind(), caller = %by, "offline payment recorded");
                    return Ok(response);
                }
                Err(StoreError::VersionConflict(item))
                    if item.kind != crate::ports::ItemKind::Idempotency =>
                {
                    continue
                }
                Err(StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::tests::sample_order;
    use crate::domain::Currency;
    use time::macros::{date, datetime};

    fn receipt(amount: i64) -> OfflineReceipt {
        OfflineReceipt {
            kind: OfflineKind::BankTransfer,
            currency: Currency::EUR,
            amount: Decimal::new(amount, 2),
            received_on: date!(2026 - 12 - 01),
            seller_reference: "VIR 2026-12-01 LUMEN".into(),
        }
    }

    fn snapshot_with(payments: Vec<Payment>) -> OrderWithPayments {
        let order = sample_order("ORD-10042");
        OrderWithPayments {
            order: Versioned {
                value: order.rederived(&payments),
                version: 3,
            },
            payments: payments
                .into_iter()
                .map(|value| Versioned { value, version: 1 })
                .collect(),
        }
    }

    fn awaited_transfer(amount: Decimal) -> Payment {
        let now = datetime!(2026-11-30 10:00 UTC);
        let mut p = received(
            "pay_awaited".into(),
            &Reference::parse("ORD-10042").unwrap(),
            &receipt(0),
            None,
            Currency::EUR,
            now,
        );
        p.status = PaymentStatus::Created;
        p.amount = amount;
        p.captured_amount = Decimal::ZERO;
        p.authorised_at = None;
        p
    }

    #[test]
    fn whole_partial_and_too_much() {
        let now = datetime!(2026-12-01 10:00 UTC);
        let gross = sample_order("ORD-10042").totals().gross;
        // Nothing awaited: a payment of its own, up to what is due.
        let empty = snapshot_with(Vec::new());
        let own = changes_for(&empty, &receipt(1000), "pay_new".into(), now).unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].payment.captured_amount, Decimal::new(1000, 2));
        let too_much = OfflineReceipt {
            amount: gross + Decimal::new(1, 2),
            ..receipt(0)
        };
        assert!(matches!(
            changes_for(&empty, &too_much, "pay_new".into(), now),
            Err(RecordOfflineError::Invalid(f)) if f.field == "amount"
        ));
        // The awaited transfer recorded whole: it is the captured payment.
        let waiting = snapshot_with(vec![awaited_transfer(gross)]);
        let whole = OfflineReceipt {
            amount: gross,
            ..receipt(0)
        };
        let done = changes_for(&waiting, &whole, "pay_new".into(), now).unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].payment.id, "pay_awaited");
        assert_eq!(done[0].payment.status, PaymentStatus::Captured);
        // In part: the awaited one waits for the rest, the part is its own payment.
        let part = changes_for(&waiting, &receipt(1000), "pay_new".into(), now).unwrap();
        assert_eq!(part[0].payment.amount, gross - Decimal::new(1000, 2));
        assert_eq!(part[0].payment.status, PaymentStatus::Created);
        assert_eq!(part[1].payment.amount, Decimal::new(1000, 2));
        let sum: Decimal = part.iter().map(|c| c.payment.amount).sum();
        assert_eq!(sum, gross, "the split sums exactly");
    }
}
