//! Refunds no PSP takes part in: back to the tenders (the vouchers and the credit balance
//! restored, on account owed less; a transfer or cheque recorded as sent back by the seller),
//! or to the customer's credit balance whatever paid. Newest payment first; the payments, the
//! order, the balances and the idempotent answer in one transaction.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::idempotency::completion;
use super::refund::RefundError;
use super::settle::{settle, PaymentChange};
use crate::domain::tenders::tender_of;
use crate::domain::{FieldError, Payment, PaymentMethod, PaymentStatus};
use crate::ports::{
    IdempotencyKey, OrderWithPayments, Store, StoreError, StoredResponse, Versioned,
};

/// Where a refund goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundTo {
    /// Where the money came from: the PSP's payment (the card); for an order no PSP was paid
    /// for, its tenders.
    Original,
    /// The vouchers, credit balance and on account (and transfers or cheques, sent back by
    /// the seller), none to a PSP.
    Tenders,
    /// The customer's credit balance, whatever paid.
    CreditBalance,
}

impl RefundTo {
    pub fn parse(text: Option<&str>) -> Result<Self, FieldError> {
        match text {
            None | Some("original") => Ok(RefundTo::Original),
            Some("tenders") => Ok(RefundTo::Tenders),
            Some("credit_balance") => Ok(RefundTo::CreditBalance),
            Some(_) => Err(FieldError::new(
                "to",
                "must be original, tenders or credit_balance",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            RefundTo::Original => "original",
            RefundTo::Tenders => "tenders",
            RefundTo::CreditBalance => "credit_balance",
        }
    }

    /// Whether `payment` can take this refund (disputes aside).
    fn takes(self, payment: &Payment) -> bool {
        match self {
            RefundTo::CreditBalance => true,
            RefundTo::Original | RefundTo::Tenders => {
                tender_of(payment).is_some()
                    || matches!(payment.method, PaymentMethod::Offline { .. })
            }
        }
    }
}

/// The changes refunding `amount` over the payments that take it, newest first: each its
/// part, none above what it has left; the parts sum to `amount` exactly.
pub fn local_refund(
    payments: &[Versioned<Payment>],
    to: RefundTo,
    amount: Decimal,
    now: OffsetDateTime,
) -> Result<Vec<PaymentChange>, RefundError> {
    let mut eligible: Vec<&Versioned<Payment>> = payments
        .iter()
        .filter(|p| to.takes(&p.value) && p.value.refundable() > Decimal::ZERO)
        .filter(|p| !p.value.dispute.as_ref().is_some_and(|d| d.blocks_refund()))
        .collect();
    // Newest first; within one checkout, the payment that took the rest before its tenders
    // (they were spent first).
    eligible
        .sort_by_key(|p| std::cmp::Reverse((p.value.created_at, tender_of(&p.value).is_none())));
    let left: Decimal = eligible.iter().map(|p| p.value.refundable()).sum();
    if left.is_zero() {
        return Err(RefundError::NothingToRefund);
    }
    let currency = eligible[0].value.currency;
    if amount <= Decimal::ZERO || amount > left {
        return Err(FieldError::new(
            "amount",
            format!(
                "must be above 0 and at most the {} still refundable to {}",
                currency.format(left),
                match to {
                    RefundTo::CreditBalance => "the credit balance",
                    _ => "the vouchers, credit and payments recorded by the seller",
                }
            ),
        )
        .into());
    }
    let mut remaining = amount;
    let mut changes = Vec::new();
    for stored in eligible {
        if remaining.is_zero() {
            break;
        }
        let part = remaining.min(stored.value.refundable());
        remaining -= part;
        let mut refunded = stored.value.clone();
        match to {
            RefundTo::CreditBalance => refunded.credited_amount += part,
            RefundTo::Original | RefundTo::Tenders => {
                refunded.refunded_amount += part;
                refunded.status = if refunded.returned_amount() >= refunded.captured_amount {
                    PaymentStatus::Refunded
                } else {
                    PaymentStatus::PartiallyRefunded
                };
            }
        }
        refunded.updated_at = now;
        changes.push(PaymentChange {
            payment: refunded,
            expected_version: Some(stored.version),
        });
    }
    Ok(changes)
}

/// What the seller asked besides the amount: where it goes, and why (free text, not logged).
pub struct RefundAsk {
    pub to: RefundTo,
    pub reason: Option<String>,
}

/// Commits a local refund, reading again when another writer moved the order meanwhile.
pub async fn refund_locally(
    store: &dyn Store,
    first: OrderWithPayments,
    ask: RefundAsk,
    amount: Decimal,
    key: &IdempotencyKey,
    request_hash: &str,
    now: OffsetDateTime,
) -> Result<StoredResponse, RefundError> {
    let RefundAsk { to, reason } = ask;
    let mut snapshot = Some(first);
    let reference = snapshot
        .as_ref()
        .map(|s| s.order.value.reference.clone())
        .ok_or(RefundError::NotFound)?;
    for _ in 0..3 {
        let current = match snapshot.take() {
            Some(s) => s,
            None => store
                .get_order_with_payments(&reference)
                .await?
                .ok_or(RefundError::NotFound)?,
        };
        let changes = local_refund(&current.payments, to, amount, now)?;
        let first_id = changes[0].payment.id.clone();
        let currency = changes[0].payment.currency;
        let response = StoredResponse {
            status: 201,
            body: serde_json::json!({
                "refund": {
                    "id": format!("rfl_{}", &super::start_payment::hex_digest(&[key.scope.as_bytes(), key.key.as_bytes()])[..24]),
                    "payment_id": first_id,
                    "payment_ids": changes.iter().map(|c| c.payment.id.as_str()).collect::<Vec<_>>(),
                    "amount": currency.format(amount),
                    "currency": currency.code(),
                    "status": "succeeded",
                    "to": to.as_str(),
                    "reason": reason,
                }
            })
            .to_string(),
        };
        let settled = settle(&current, &current.order.value, changes, now);
        let mut writes = settled.into_writes(current.order.version, false);
        writes.push(completion(key, request_hash, &response, now));
        // Several payments may give back to one balance: one write per item.
        match store
            .transact(crate::ports::merge_adjustments(writes))
            .await
        {
            Ok(()) => {
                tracing::info!(order = %reference, to = to.as_str(), reason_given = reason.is_some(), "refund recorded without a PSP");
                return Ok(response);
            }
            Err(StoreError::VersionConflict(item))
                if item.kind != crate::ports::ItemKind::Idempotency => {}
            Err(StoreError::Contention) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Contention.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn paid(id: &str, method: PaymentMethod, cents: i64, minute: u8) -> Versioned<Payment> {
        let at = datetime!(2026-12-01 10:00 UTC) + time::Duration::minutes(minute.into());
        let amount = Decimal::new(cents, 2);
        let p = Payment {
            id: id.into(),
            order_reference: crate::domain::Reference::parse("ORD-10042").unwrap(),
            method,
            status: PaymentStatus::Captured,
            amount,
            currency: crate::domain::Currency::EUR,
            psp: None,
            captured_amount: amount,
            shipped_amount: Decimal::ZERO,
            shipped_at: None,
            refunded_amount: Decimal::ZERO,
            released: None,
            failure_code: None,
            billing: None,
            created_at: at,
            updated_at: at,
            expires_at: at,
            authorised_at: Some(at),
            dispute: None,
            review: None,
            capture: Default::default(),
            due_on: None,
            reserved_for: None,
            credited_amount: Decimal::ZERO,
        };
        Versioned {
            value: p,
            version: 1,
        }
    }

    fn order_paid() -> Vec<Versioned<Payment>> {
        vec![
            paid("pay_card", PaymentMethod::Card, 10_000, 2),
            paid(
                "pay_v",
                PaymentMethod::Voucher {
                    voucher: "vch_1".into(),
                },
                3_000,
                1,
            ),
            paid("pay_c", PaymentMethod::CreditBalance, 1_000, 1),
        ]
    }

    #[test]
    fn tenders_take_newest_first_and_never_the_card() {
        let now = datetime!(2026-12-02 10:00 UTC);
        let changes = local_refund(
            &order_paid(),
            RefundTo::Tenders,
            Decimal::new(3_500, 2),
            now,
        )
        .unwrap();
        let ids: Vec<&str> = changes.iter().map(|c| c.payment.id.as_str()).collect();
        assert!(!ids.contains(&"pay_card"), "{ids:?}");
        let sum: Decimal = changes.iter().map(|c| c.payment.refunded_amount).sum();
        assert_eq!(sum, Decimal::new(3_500, 2));
        assert!(matches!(
            local_refund(&order_paid(), RefundTo::Tenders, Decimal::new(4_001, 2), now),
            Err(RefundError::Invalid(f)) if f.field == "amount"
        ));
    }

    proptest! {
        /// Whatever the amount, the parts sum to it exactly, none negative or above what its
        /// payment had left; more than is left is refused whole.
        #[test]
        fn parts_sum_exactly(cents in 1i64..20_000, to_credit in any::<bool>()) {
            let now = datetime!(2026-12-02 10:00 UTC);
            let to = if to_credit { RefundTo::CreditBalance } else { RefundTo::Tenders };
            let payments = order_paid();
            let left: Decimal = payments.iter().filter(|p| to.takes(&p.value)).map(|p| p.value.refundable()).sum();
            let amount = Decimal::new(cents, 2);
            match local_refund(&payments, to, amount, now) {
                Ok(changes) => {
                    prop_assert!(amount <= left);
                    let mut sum = Decimal::ZERO;
                    for c in &changes {
                        let before = payments.iter().find(|p| p.value.id == c.payment.id).unwrap();
                        let part = c.payment.returned_amount() - before.value.returned_amount();
                        prop_assert!(part > Decimal::ZERO);
                        prop_assert!(c.payment.returned_amount() <= c.payment.captured_amount);
                        sum += part;
                    }
                    prop_assert_eq!(sum, amount);
                }
                Err(_) => prop_assert!(amount > left),
            }
        }
    }
}
