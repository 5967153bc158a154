//! The seller records that a month the debit did not collect (returned, disputed, or closed
//! without a mandate) was paid another way: a bank transfer or a cheque of the month's total.
//! Each purchase of the month gets an offline payment of its amount (its id derived from the
//! SEPA payment's, so a retry or a second click adds nothing), a SEPA authorisation still live
//! is given up for it, and the orders settle as any payment settles them (paid email, invoice);
//! then the month becomes `settled_otherwise` with who recorded what. Repeating the same
//! settlement answers the month as it is; a different one is refused.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::outcome::settle_order;
use crate::app::settle::PaymentChange;
use crate::domain::sepa::{DebitMonth, DebitStatus, MonthId, OtherSettlement};
use crate::domain::{
    CaptureTiming, FieldError, OfflineKind, Payment, PaymentMethod, PaymentStatus, Release,
    ReleaseReason,
};
use crate::ports::{SepaWrite, Store, StoreError, Write};

/// What the seller records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRecord {
    pub kind: OfflineKind,
    pub seller_reference: String,
    /// The amount received: must be the month's total.
    pub amount: Decimal,
    pub recorded_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OtherSettlementError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("no SEPA month {month} for this customer")]
    NoSuchMonth { month: MonthId },
    /// The month is not one the seller can settle (still to be collected, paid, or settled
    /// another way already).
    #[error("the month is {}", status.as_str())]
    NotSettleable { status: DebitStatus },
    #[error("the month's total is {total}")]
    AmountMismatch { total: Decimal },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The longest seller reference kept (a transfer label, a cheque number).
const MAX_REFERENCE: usize = 64;

fn validate(record: &SettlementRecord) -> Result<(), FieldError> {
    let reference = record.seller_reference.trim();
    if reference.is_empty()
        || reference.chars().count() > MAX_REFERENCE
        || reference.chars().any(char::is_control)
    {
        return Err(FieldError::new(
            "reference",
            "must be 1 to 64 printable characters (the transfer's label, the cheque's number)",
        ));
    }
    if record.amount <= Decimal::ZERO || record.amount.normalize().scale() > 2 {
        return Err(FieldError::new(
            "amount",
            "must be a positive amount in euros, 2 decimals at most",
        ));
    }
    Ok(())
}

/// The purchase as the settlement leaves it, and its offline payment, when not done yet.
fn line_changes(
    sepa: &Payment,
    payments: &[crate::ports::Versioned<Payment>],
    record: &SettlementRecord,
    now: OffsetDateTime,
) -> Vec<PaymentChange> {
    let offline_id = sepa.replacement_id();
    if payments.iter().any(|p| p.value.id == offline_id) {
        return Vec::new();
    }
    let mut changes = Vec::new();
    if sepa.status.is_live_authorisation() {
        // Closed without a mandate: the authorisation is given up for the offline payment.
        let mut given_up = sepa.clone();
        given_up.status = PaymentStatus::Cancelled;
        given_up.released = Some(Release {
            amount: sepa.amount - sepa.captured_amount,
            reason: ReleaseReason::Replaced,
        });
        given_up.updated_at = now;
        let version = payments.iter().find(|p| p.value.id == sepa.id);
        changes.push(PaymentChange {
            payment: given_up,
            expected_version: version.map(|p| p.version),
        });
    }
    let offline = Payment {
        id: offline_id,
        order_reference: sepa.order_reference.clone(),
        method: PaymentMethod::Offline {
            kind: record.kind,
            seller_reference: record.seller_reference.trim().to_string(),
            received_on: None,
        },
        status: PaymentStatus::Captured,
        amount: sepa.amount,
        currency: sepa.currency,
        psp: None,
        captured_amount: sepa.amount,
        shipped_amount: Decimal::ZERO,
        shipped_at: None,
        refunded_amount: Decimal::ZERO,
        released: None,
        failure_code: None,
        billing: sepa.billing.clone(),
        created_at: now,
        updated_at: now,
        expires_at: now,
        authorised_at: Some(now),
        dispute: None,
        review: None,
        capture: CaptureTiming::AtOnce,
        due_on: None,
        reserved_for: None,
        credited_amount: Decimal::ZERO,
    };
    changes.push(PaymentChange {
        payment: offline,
        expected_version: None,
    });
    changes
}

/// Records `record` as the settlement of the customer's `month`; answers the month after.
pub async fn record_other_settlement(
    store: &dyn Store,
    customer_id: &str,
    month: MonthId,
    record: &SettlementRecord,
    now: OffsetDateTime,
) -> Result<DebitMonth, OtherSettlementError> {
    validate(record)?;
    let same = |s: &OtherSettlement| {
        s.kind == record.kind && s.seller_reference == record.seller_reference.trim()
    };
    for _ in 0..3 {
        let Some(stored) = store.get_debit_month(customer_id, month).await? else {
            return Err(OtherSettlementError::NoSuchMonth { month });
        };
        let current = &stored.value;
        if current.status == DebitStatus::SettledOtherwise
            && current.settlement.as_ref().is_some_and(same)
        {
            return Ok(stored.value);
        }
        if !current.status.can_be_settled_otherwise() {
            return Err(OtherSettlementError::NotSettleable {
                status: current.status,
            });
        }
        if record.amount != current.total {
            return Err(OtherSettlementError::AmountMismatch {
                total: current.total,
            });
        }
        for reference in current.orders() {
            settle_order(store, &reference, now, |payments| {
                payments
                    .iter()
                    .filter(|p| current.lines.contains_key(&p.value.id))
                    .flat_map(|p| line_changes(&p.value, payments, record, now))
                    .collect()
            })
            .await?;
        }
        let mut next = current.clone();
        next.status = DebitStatus::SettledOtherwise;
        next.settlement = Some(OtherSettlement {
            kind: record.kind,
            seller_reference: record.seller_reference.trim().to_string(),
            recorded_by: record.recorded_by.clone(),
            recorded_at: now,
        });
        next.updated_at = now;
        let write = Write::Sepa(SepaWrite::PutMonth {
            month: next.clone(),
            expected_version: Some(stored.version),
        });
        match store.transact(vec![write]).await {
            Ok(()) => return Ok(next),
            Err(StoreError::VersionConflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Contention.into())
}
