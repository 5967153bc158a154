//! The order's status and amounts, derived from its payments by one pure function. Nothing is
//! incremented by hand on a transition: every change of a payment re-derives the order, so
//! duplicated, late and reordered PSP news converge on the same order whatever their order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Payment, PaymentMethod, PaymentStatus, ReleaseReason};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    PaymentPending,
    Authorised,
    PartiallyCaptured,
    Captured,
    PartiallyRefunded,
    Refunded,
    Cancelled,
    Deleted,
    /// Authorised, and the seller's fraud rules asked for a review: nothing is captured until
    /// the seller approves it (a rejection releases the authorisation: `cancelled`).
    UnderReview,
    /// An authorisation lapsed (or the PSP cancelled it) before everything shipped and could
    /// not be renewed with the saved card: the shopper was sent a pay link for what remains.
    RequiresReauthorisation,
    /// The shopper's bank disputes a payment: open (the seller must answer, or the bank
    /// decides), or lost. A won dispute gives the order back the status its payments say.
    Disputed,
}

impl OrderStatus {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Refunded | OrderStatus::Cancelled | OrderStatus::Deleted
        )
    }

    /// Everything owed was captured (refunds may have followed): the order can be invoiced.
    pub fn is_fully_captured(self) -> bool {
        matches!(
            self,
            OrderStatus::Captured | OrderStatus::PartiallyRefunded | OrderStatus::Refunded
        )
    }

    pub fn as_str(self) -> &'static str {
        use OrderStatus::*;
        match self {
            AwaitingPayment => "awaiting_payment",
            PaymentPending => "payment_pending",
            Authorised => "authorised",
            PartiallyCaptured => "partially_captured",
            Captured => "captured",
            PartiallyRefunded => "partially_refunded",
            Refunded => "refunded",
            Cancelled => "cancelled",
            Deleted => "deleted",
            UnderReview => "under_review",
            RequiresReauthorisation => "requires_reauthorisation",
            Disputed => "disputed",
        }
    }
}

/// An end the seller or the shopper put to the order, whatever its payments say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderClosure {
    CancelledBySeller,
    DeletedByShopper,
    /// The seller rejected it in fraud review: the authorisation was released.
    RejectedInReview,
}

/// The order's money, summed over its payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderAmounts {
    /// Every payment that reached an authorisation, for its whole amount.
    #[serde(default)]
    pub authorised: Decimal,
    #[serde(default)]
    pub captured: Decimal,
    #[serde(default)]
    pub refunded: Decimal,
    /// What covers the order now: live authorisations, processing debits, captures, and a rest
    /// released as not owed (last parcel). `amount_due` = gross − settled.
    #[serde(default)]
    pub settled: Decimal,
    /// What the PSPs hold back because of disputes: open chargebacks and lost ones.
    #[serde(default)]
    pub disputed: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPosition {
    pub status: OrderStatus,
    /// The status the payments give, disputes aside: what the order's lifecycle (paid,
    /// invoiced, pay link) follows, so a dispute opening or closing never re-announces it.
    pub lifecycle: OrderStatus,
    pub amounts: OrderAmounts,
    pub due: Decimal,
}

/// The one function that says where an order stands, from its gross total, a closure if any,
/// and all its payments (in any order: the result does not depend on it).
pub fn order_position(
    gross: Decimal,
    closure: Option<OrderClosure>,
    payments: &[Payment],
) -> OrderPosition {
    let mut amounts = OrderAmounts::default();
    let mut capturable = Decimal::ZERO;
    let (mut unfinished, mut processing, mut lapsed, mut disputed) = (false, false, false, false);
    let mut under_review = false;
    let mut scheduled = false;
    for p in payments {
        if super::instalment_plan::scheduled_covers(p, payments) {
            // Promised by a plan whose first instalment went through: covers the order, and
            // keeps it open (money still to come) like an authorisation.
            amounts.settled += p.amount;
            scheduled = true;
        }
        if p.status.was_authorised() {
            amounts.authorised += p.amount;
        }
        amounts.captured += p.captured_amount;
        amounts.refunded += p.returned_amount();
        amounts.settled += p.covers();
        capturable += p.capturable();
        if let Some(rest) = awaiting_replacement(p, payments) {
            // Taken over by a payment not recorded yet (a single-capture card's capture seen
            // first through its webhook): still covered, still to be captured.
            amounts.settled += rest;
            capturable += rest;
        }
        if let Some(dispute) = &p.dispute {
            amounts.disputed += dispute.withdrawn;
            disputed |= dispute.marks_order() && !settled_otherwise(p, payments);
        }
        under_review |=
            p.capturable() > Decimal::ZERO && p.review.as_ref().is_some_and(|r| r.is_pending());
        unfinished |= p.status.is_unfinished();
        processing |= p.status == PaymentStatus::Processing;
        lapsed |= p
            .released
            .is_some_and(|r| r.reason == ReleaseReason::Lapsed);
    }
    let due = (gross - amounts.settled).max(Decimal::ZERO);
    use OrderStatus as S;
    let lifecycle = match closure {
        Some(OrderClosure::CancelledBySeller | OrderClosure::RejectedInReview) => S::Cancelled,
        Some(OrderClosure::DeletedByShopper) => S::Deleted,
        None if due > Decimal::ZERO && unfinished => S::PaymentPending,
        None if due > Decimal::ZERO && lapsed => S::RequiresReauthorisation,
        None if due > Decimal::ZERO => S::AwaitingPayment,
        None if processing && capturable.is_zero() && amounts.captured.is_zero() => {
            S::PaymentPending
        }
        None if under_review => S::UnderReview,
        None if capturable > Decimal::ZERO || processing || scheduled => {
            if amounts.captured.is_zero() {
                S::Authorised
            } else {
                S::PartiallyCaptured
            }
        }
        None if amounts.refunded.is_zero() => S::Captured,
        None if amounts.refunded >= amounts.captured => S::Refunded,
        None => S::PartiallyRefunded,
    };
    let status = match closure {
        None if disputed => S::Disputed,
        _ => lifecycle,
    };
    OrderPosition {
        status,
        lifecycle,
        amounts,
        due,
    }
}

/// The rest of `payment` released to be replaced, while its replacement is not among
/// `payments`.
fn awaiting_replacement(payment: &Payment, payments: &[Payment]) -> Option<Decimal> {
    let release = payment
        .released
        .filter(|r| r.reason == ReleaseReason::Replaced)?;
    let replacement = payment.replacement_id();
    (!payments.iter().any(|p| p.id == replacement)).then_some(release.amount)
}

/// Whether the seller recorded another settlement for `payment` (a transfer or cheque under
/// its replacement id, `app::direct_debit::other_settlement`): its dispute no longer marks the
/// order, the money being back. Only an offline payment does it: a card renewed after a
/// partial capture keeps the capture's dispute on the order.
fn settled_otherwise(payment: &Payment, payments: &[Payment]) -> bool {
    let replacement = payment.replacement_id();
    payments
        .iter()
        .any(|q| q.id == replacement && matches!(q.method, PaymentMethod::Offline { .. }))
}

#[cfg(test)]
#[path = "order_state_tests.rs"]
mod tests;
