//! Bringing one stored payment in line with what its PSP says now. Webhooks are only hints:
//! this runs on a freshly fetched payment, so duplicates, late and reordered events all converge
//! on the same payment; the order then follows by derivation (`settle`).

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::domain::{Dispute, Payment, PaymentStatus, PspLink};
use crate::ports::{ProviderPayment, ProviderPaymentStatus};

fn payment_status(stored: &Payment, psp: &ProviderPayment) -> PaymentStatus {
    use ProviderPaymentStatus as P;
    let captured = psp.amount_received.amount();
    let refunded = psp.amount_refunded.amount();
    match psp.status {
        P::Failed => PaymentStatus::Failed,
        // Off the PSP's page (a saved-card charge) nobody can try again: the attempt is over.
        P::RequiresPaymentMethod if psp.failure.is_some() && stored.hosted_session().is_none() => {
            PaymentStatus::Failed
        }
        P::RequiresPaymentMethod | P::RequiresConfirmation => PaymentStatus::Created,
        P::RequiresAction => PaymentStatus::RequiresAction,
        P::Processing => PaymentStatus::Processing,
        P::RequiresCapture if captured > Decimal::ZERO => PaymentStatus::PartiallyCaptured,
        P::RequiresCapture => PaymentStatus::Authorised,
        P::Succeeded if refunded > Decimal::ZERO && refunded >= captured => PaymentStatus::Refunded,
        P::Succeeded if refunded > Decimal::ZERO => PaymentStatus::PartiallyRefunded,
        P::Succeeded => PaymentStatus::Captured,
        P::Canceled if refunded > Decimal::ZERO && refunded >= captured => PaymentStatus::Refunded,
        P::Canceled if refunded > Decimal::ZERO => PaymentStatus::PartiallyRefunded,
        P::Canceled if captured > Decimal::ZERO => PaymentStatus::Captured,
        // We close a failed attempt's page ourselves: it stays failed, with its reason.
        P::Canceled if stored.status == PaymentStatus::Failed => PaymentStatus::Failed,
        P::Canceled => PaymentStatus::Cancelled,
    }
}

/// Whether the PSP's payment is the one we stored: same currency, same amount. Anything else
/// is an alert (a bug, or a tampered object), and changes nothing.
pub fn matches_ours(payment: &Payment, psp: &ProviderPayment) -> bool {
    let same = psp.amount.currency() == payment.currency && psp.amount.amount() == payment.amount;
    if !same {
        tracing::error!(
            alert = "psp_amount_mismatch",
            payment = %payment.id,
            ours = %payment.currency.format(payment.amount),
            ours_currency = payment.currency.code(),
            psp = %psp.amount.currency().format(psp.amount.amount()),
            psp_currency = psp.amount.currency().code(),
            "the PSP's amount or currency differs from ours; nothing changed"
        );
    }
    same
}

/// A PSP object older than what we stored (two webhooks fetched it at different moments and
/// the later commit carries the earlier read): money never flows back, and an authorisation
/// never returns to an open attempt.
fn is_stale(stored: &Payment, updated: &Payment) -> bool {
    updated.captured_amount < stored.captured_amount
        || updated.refunded_amount < stored.refunded_amount
        || (stored.status.was_authorised()
            && matches!(
                updated.status,
                PaymentStatus::Created
                    | PaymentStatus::RequiresAction
                    | PaymentStatus::Processing
                    | PaymentStatus::Failed
                    | PaymentStatus::Expired
            ))
        || (stored.status.was_authorised()
            && updated.status == PaymentStatus::Authorised
            && stored.status != PaymentStatus::Authorised)
}

/// The payment as the PSP says it is now, or None when nothing changed, when the PSP's object
/// is older than ours, or when it does not match ours (see `matches_ours`).
pub fn reconcile(payment: &Payment, psp: &ProviderPayment, now: OffsetDateTime) -> Option<Payment> {
    if !matches_ours(payment, psp) {
        return None;
    }
    let mut updated = payment.clone();
    let link = updated.psp.get_or_insert_with(|| PspLink {
        provider: String::new(),
        payment: None,
        hosted_session: None,
        multicapture: None,
        card_form: None,
    });
    link.payment = Some(psp.id.clone());
    updated.captured_amount = psp.amount_received.amount();
    updated.refunded_amount = psp.amount_refunded.amount();
    updated.status = payment_status(payment, psp);
    updated.failure_code = psp
        .failure
        .as_ref()
        .map(|f| f.decline_code.clone().unwrap_or_else(|| f.code.clone()))
        .or(payment.failure_code.clone());
    if updated.status.was_authorised() && payment.authorised_at.is_none() {
        updated.authorised_at = Some(now);
    }
    if let Some(link) = updated.psp.as_mut() {
        link.multicapture = psp.multicapture.or(link.multicapture);
    }
    // Closed short by a final capture: the reason we gave the PSP with it.
    if let Some(reason) = psp.release_reason {
        updated.note_release(reason);
    }
    updated.dispute = Dispute::merge(payment.dispute.as_ref(), psp.dispute.clone());
    if updated == *payment || is_stale(payment, &updated) {
        return None;
    }
    updated.updated_at = now;
    Some(updated)
}
