//! What the outside world must hear when an order's payments change: read off the order's
//! position before and after, and each changed payment's own amounts. Pure, so the same change
//! always names the same events (their ids are derived from it, the outbox dedupes them).

use rust_decimal::Decimal;

use super::order_state::{OrderPosition, OrderStatus};
use super::Payment;

/// What the outside world must hear about a change (through the outbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    EmailPaymentReceived,
    EmailAmountDebited,
    EmailRefundIssued,
    IssueInvoice,
    /// Ask the shopper to pay again (pay link): the authorisation lapsed.
    EmailReauthorisationNeeded,
    /// Tell the seller a payment is disputed (amount: what is disputed).
    EmailDisputeOpened,
    /// Tell the seller how a dispute ended (amount: what was disputed).
    EmailDisputeClosed,
    /// Tell the shopper the seller did not accept the order after review: the authorisation
    /// was released, nothing is charged (amount: what was authorised).
    EmailOrderRejected,
    /// Tell the shopper an instalment could not be charged: when it is tried again, and a pay
    /// link (amount: the instalment).
    EmailInstalmentFailed,
}

/// One effect, the payment whose change caused it, and the amount it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caused {
    pub effect: Effect,
    pub payment_id: String,
    pub amount: Decimal,
}

fn is_paid(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Authorised
            | OrderStatus::UnderReview
            | OrderStatus::PartiallyCaptured
            | OrderStatus::Captured
            | OrderStatus::PartiallyRefunded
            | OrderStatus::Refunded
    )
}

/// `changed` pairs each changed payment (new state) with its stored state (None: new). Effects
/// come oldest first: received, debited, refunded, invoice, pay link, disputes. The lifecycle
/// effects follow `lifecycle` (disputes aside), so a dispute never re-announces a payment.
pub fn effects(
    before: &OrderPosition,
    after: &OrderPosition,
    changed: &[(Option<&Payment>, &Payment)],
) -> Vec<Caused> {
    let Some((_, first)) = changed.first() else {
        return Vec::new();
    };
    let caused = |effect, payment: &Payment, amount| Caused {
        effect,
        payment_id: payment.id.clone(),
        amount,
    };
    let mut out = Vec::new();
    if is_paid(after.lifecycle) && !is_paid(before.lifecycle) {
        let newly = changed
            .iter()
            .find(|(old, new)| {
                new.status.was_authorised() && !old.is_some_and(|o| o.status.was_authorised())
            })
            .map_or(*first, |(_, new)| *new);
        out.push(caused(Effect::EmailPaymentReceived, newly, newly.amount));
    }
    for (old, new) in changed {
        let captured_before = old.map_or(Decimal::ZERO, |o| o.captured_amount);
        // Taken at once (a wallet the PSP cannot authorise apart): no parcel, nothing more to
        // say than that it was received.
        if new.capture == super::CaptureTiming::AtOnce
            && !super::instalment_plan::is_off_session_instalment(new)
        {
            continue;
        }
        if new.captured_amount > captured_before {
            out.push(caused(
                Effect::EmailAmountDebited,
                new,
                new.captured_amount - captured_before,
            ));
        }
    }
    for (old, new) in changed {
        // Refunded to its means or credited to the customer's balance: a refund either way.
        let refunded_before = old.map_or(Decimal::ZERO, |o| o.returned_amount());
        if new.returned_amount() > refunded_before {
            out.push(caused(
                Effect::EmailRefundIssued,
                new,
                new.returned_amount() - refunded_before,
            ));
        }
    }
    if after.lifecycle.is_fully_captured()
        && !before.lifecycle.is_fully_captured()
        && after.amounts.captured > after.amounts.refunded
    {
        // What was captured less what was refunded by now: later refunds get credit notes.
        out.push(caused(
            Effect::IssueInvoice,
            first,
            after.amounts.captured - after.amounts.refunded,
        ));
    }
    if before.lifecycle == OrderStatus::UnderReview && after.lifecycle == OrderStatus::Cancelled {
        out.push(caused(
            Effect::EmailOrderRejected,
            first,
            before.amounts.authorised,
        ));
    }
    if after.lifecycle == OrderStatus::RequiresReauthorisation
        && before.lifecycle != OrderStatus::RequiresReauthorisation
    {
        out.push(caused(Effect::EmailReauthorisationNeeded, first, after.due));
    }
    for (old, new) in changed {
        let newly_failed = new.status == super::PaymentStatus::Failed
            && old.is_none_or(|o| o.status != super::PaymentStatus::Failed);
        if newly_failed && super::instalment_plan::is_off_session_instalment(new) {
            out.push(caused(Effect::EmailInstalmentFailed, new, new.amount));
        }
    }
    for (old, new) in changed {
        let Some(dispute) = &new.dispute else {
            continue;
        };
        let stored = old.and_then(|o| o.dispute.as_ref());
        if dispute.is_new_since(stored) {
            out.push(caused(Effect::EmailDisputeOpened, new, dispute.amount));
        }
        if dispute.closed_since(stored) {
            out.push(caused(Effect::EmailDisputeClosed, new, dispute.amount));
        }
    }
    out
}
