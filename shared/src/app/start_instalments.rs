//! Starting a payment in instalments: the order's schedule under the seller's plans, and the
//! scheduled instalments recorded with the first (which the shopper pays on the PSP's page).

use time::OffsetDateTime;

use crate::domain::instalment_plan::instalment_id;
use crate::domain::instalments::{Instalment, InstalmentPolicy};
use crate::domain::paris_time::paris_date;
use crate::domain::{FieldError, Money, Payment, PaymentMethod, PaymentStatus};

/// The schedule of what is due in `count` instalments, the first due today (the shop's
/// calendar); a plan the seller's rules refuse is the `instalments` field's error.
pub(super) fn plan_schedule(
    policy: Option<&InstalmentPolicy>,
    due: Money,
    count: u32,
    now: OffsetDateTime,
    event: Option<time::Date>,
) -> Result<Vec<Instalment>, FieldError> {
    let policy = policy.ok_or_else(|| {
        FieldError::new("method", "this shop does not offer payment in instalments")
    })?;
    policy
        .schedule(due.amount(), due.currency(), count, paris_date(now), event)
        .map_err(|refusal| FieldError::new("instalments", refusal.to_string()))
}

/// The plan's method on its first instalment (`first` is its payment id, the plan's id).
pub(super) fn first_method(first: &str, count: u32) -> PaymentMethod {
    PaymentMethod::Instalment {
        plan: first.to_owned(),
        index: 1,
        count,
        retry: 0,
    }
}

/// The instalments after the first, scheduled on their dates: nothing at the PSP yet.
pub(super) fn scheduled_after(first: &Payment, schedule: &[Instalment]) -> Vec<Payment> {
    let count = schedule.len() as u32;
    schedule
        .iter()
        .skip(1)
        .map(|instalment| Payment {
            id: instalment_id(&first.id, instalment.index, 0),
            method: PaymentMethod::Instalment {
                plan: first.id.clone(),
                index: instalment.index,
                count,
                retry: 0,
            },
            status: PaymentStatus::Scheduled,
            amount: instalment.amount,
            psp: first.psp.clone().map(|mut link| {
                link.payment = None;
                link.hosted_session = None;
                link
            }),
            due_on: Some(instalment.due_on),
            ..first.clone()
        })
        .collect()
}
