//! An instalment plan among an order's payments: the first instalment is paid on the PSP's page
//! (its id is the plan's id); the others are `Scheduled` payments charged off-session on their
//! due dates. Pure rules, applied wherever payments change (`settle`), so a webhook and the
//! daily collection run reach the same payments:
//! - a scheduled instalment covers the order once its plan's first instalment is authorised,
//!   and not before (a plan abandoned on the PSP's page owes nothing later);
//! - the plan's first closed unpaid cancels the scheduled rest;
//! - an off-session charge refused by the bank is tried again after `RETRY_DELAYS` (the retry
//!   does not cover the order: the shopper is emailed a pay link meanwhile); one that needs the
//!   shopper (authentication) is not retried: the pay link is the way.

use time::{Duration, OffsetDateTime};

use super::paris_time::paris_date;
use super::{FailureReason, Payment, PaymentMethod, PaymentStatus};

/// When a refused instalment is charged again, counted from the refusal (days): twice.
pub const RETRY_DELAYS: [Duration; 2] = [Duration::days(3), Duration::days(7)];

/// The id of instalment `index` of `plan`, or of its `retry`-th retry: derived, so a replayed
/// start or settle names the same payment (and its conditional create refuses a second one).
pub fn instalment_id(plan: &str, index: u32, retry: u32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("instalment-{index}-retry-{retry}-of-{plan}").as_bytes());
    format!("pay_{}", &hex::encode(digest)[..32])
}

/// Whether `payment` is a scheduled instalment that covers the order now: its first charge
/// (not a retry), with its plan's first instalment authorised.
pub fn scheduled_covers(payment: &Payment, payments: &[Payment]) -> bool {
    match payment.instalment() {
        Some((plan, _, _, 0)) if payment.status == PaymentStatus::Scheduled => payments
            .iter()
            .any(|p| p.id == plan && p.status.was_authorised()),
        _ => false,
    }
}

/// Whether an instalment is charged off-session (every one but the plan's first).
pub fn is_off_session_instalment(payment: &Payment) -> bool {
    payment
        .instalment()
        .is_some_and(|(plan, index, _, _)| index > 1 && plan != payment.id)
}

/// What the plans' rules add once `changed` (old, new) are applied and `after` is every payment
/// of the order: scheduled instalments to cancel and retries to schedule. Idempotent: nothing
/// when applied again to its own result.
pub fn plan_followups(
    changed: &[(Option<&Payment>, &Payment)],
    after: &[Payment],
    now: OffsetDateTime,
) -> Vec<Payment> {
    let mut out: Vec<Payment> = Vec::new();
    for first in after.iter().filter(|p| is_closed_unpaid_first(p)) {
        for sibling in after.iter().filter(|s| {
            s.status == PaymentStatus::Scheduled
                && s.instalment().is_some_and(|(plan, ..)| plan == first.id)
        }) {
            let mut cancelled = sibling.clone();
            cancelled.status = PaymentStatus::Cancelled;
            cancelled.updated_at = now;
            out.push(cancelled);
        }
    }
    for (old, new) in changed {
        if let Some(retry) = retry_of(*old, new, now) {
            if !after.iter().any(|p| p.id == retry.id) {
                out.push(retry);
            }
        }
    }
    out
}

fn is_closed_unpaid_first(payment: &Payment) -> bool {
    use PaymentStatus::*;
    matches!(payment.instalment(), Some((plan, 1, _, _)) if plan == payment.id)
        && matches!(payment.status, Failed | Cancelled | Expired)
}

/// The retry of an off-session instalment the bank just refused, when it has retries left.
fn retry_of(old: Option<&Payment>, new: &Payment, now: OffsetDateTime) -> Option<Payment> {
    let newly_failed = new.status == PaymentStatus::Failed
        && old.is_none_or(|o| o.status != PaymentStatus::Failed);
    if !newly_failed || !is_off_session_instalment(new) {
        return None;
    }
    if new.failure_reason() == Some(FailureReason::AuthenticationFailed) {
        return None;
    }
    let (plan, index, count, retry) = new.instalment()?;
    let delay = RETRY_DELAYS.get(retry as usize)?;
    Some(Payment {
        id: instalment_id(plan, index, retry + 1),
        method: PaymentMethod::Instalment {
            plan: plan.to_owned(),
            index,
            count,
            retry: retry + 1,
        },
        status: PaymentStatus::Scheduled,
        psp: new.psp.clone().map(|mut link| {
            link.payment = None;
            link.hosted_session = None;
            link.multicapture = None;
            link
        }),
        captured_amount: rust_decimal::Decimal::ZERO,
        refunded_amount: rust_decimal::Decimal::ZERO,
        shipped_amount: rust_decimal::Decimal::ZERO,
        shipped_at: None,
        released: None,
        failure_code: None,
        created_at: now,
        updated_at: now,
        expires_at: now,
        authorised_at: None,
        dispute: None,
        review: None,
        due_on: Some(paris_date(now) + *delay),
        ..new.clone()
    })
}

#[cfg(test)]
#[path = "instalment_plan_tests.rs"]
mod tests;
