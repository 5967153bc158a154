//! What the shopper is told about their instalment plan, read off the order's payments when
//! the email is sent: the instalment's place in its plan, what is still to come, and when a
//! refused instalment is tried again.

use rust_decimal::Decimal;
use time::Date;

use crate::domain::emails::EmailContent;
use crate::domain::instalment_emails::InstalmentNews;
use crate::domain::{Currency, FailureReason, OutboxKind, Payment, PaymentStatus, Reference};
use crate::ports::Versioned;

/// One instalment's facts, from its order's payments.
pub(super) struct InstalmentFacts {
    index: u32,
    count: u32,
    /// The plan's scheduled instalments, soonest first (due date, amount).
    upcoming: Vec<(Date, Decimal)>,
    /// When this refused instalment is charged again.
    retry_on: Option<Date>,
    needs_shopper: bool,
}

/// The facts of `payment_id`, when it is an instalment.
pub(super) fn instalment_facts(
    payments: &[Versioned<Payment>],
    payment_id: &str,
) -> Option<InstalmentFacts> {
    let payment = &payments.iter().find(|p| p.value.id == payment_id)?.value;
    let (plan, index, count, retry) = payment.instalment()?;
    let of_plan = |p: &&Payment| p.instalment().is_some_and(|(other, ..)| other == plan);
    let mut upcoming: Vec<(Date, Decimal)> = payments
        .iter()
        .map(|p| &p.value)
        .filter(of_plan)
        .filter(|p| p.status == PaymentStatus::Scheduled)
        .filter_map(|p| Some((p.due_on?, p.amount)))
        .collect();
    upcoming.sort();
    let retry_on = payments
        .iter()
        .map(|p| &p.value)
        .filter(of_plan)
        .find(|p| {
            p.status == PaymentStatus::Scheduled
                && p.instalment()
                    .is_some_and(|(_, i, _, r)| i == index && r == retry + 1)
        })
        .and_then(|p| p.due_on);
    Some(InstalmentFacts {
        index,
        count,
        upcoming,
        retry_on,
        needs_shopper: payment.failure_reason() == Some(FailureReason::AuthenticationFailed),
    })
}

impl InstalmentFacts {
    /// The email for `kind` about this instalment, if it has one of its own.
    pub(super) fn content<'a>(
        &'a self,
        kind: OutboxKind,
        name: &'a str,
        reference: &'a Reference,
        amount: Decimal,
        currency: Currency,
        pay_link: &'a str,
    ) -> Option<EmailContent<'a>> {
        let news = InstalmentNews {
            name,
            reference,
            amount,
            currency,
            index: self.index,
            count: self.count,
        };
        match kind {
            OutboxKind::PaymentReceived | OutboxKind::AmountDebited => {
                Some(EmailContent::InstalmentTaken {
                    news,
                    upcoming: &self.upcoming,
                })
            }
            OutboxKind::InstalmentFailed => Some(EmailContent::InstalmentFailed {
                news,
                retry_on: self.retry_on,
                needs_shopper: self.needs_shopper,
                pay_link,
            }),
            _ => None,
        }
    }
}
