//! A plan's rules: what its scheduled instalments cover, cancellation with an unpaid first,
//! retries of a refused charge.

use rust_decimal::Decimal;
use time::{macros::date, OffsetDateTime};

use super::*;
use crate::domain::{order_position, Currency, OrderStatus, PspLink, Reference};

const PLAN: &str = "pay_first";

fn at() -> OffsetDateTime {
    // 2027-01-15 09:00 UTC, 10:00 in Paris.
    OffsetDateTime::from_unix_timestamp(1_800_003_600).unwrap()
}

fn instalment(index: u32, retry: u32, status: PaymentStatus, cents: i64) -> Payment {
    let id = if index == 1 {
        PLAN.to_string()
    } else {
        instalment_id(PLAN, index, retry)
    };
    let amount = Decimal::new(cents, 2);
    Payment {
        id,
        order_reference: Reference::parse("ORD-1").unwrap(),
        method: PaymentMethod::Instalment {
            plan: PLAN.into(),
            index,
            count: 3,
            retry,
        },
        status,
        amount,
        currency: Currency::EUR,
        psp: Some(PspLink {
            provider: "stripe".into(),
            payment: None,
            hosted_session: None,
            multicapture: None,
            card_form: None,
        }),
        captured_amount: if status == PaymentStatus::Captured {
            amount
        } else {
            Decimal::ZERO
        },
        shipped_amount: Decimal::ZERO,
        shipped_at: None,
        refunded_amount: Decimal::ZERO,
        released: None,
        failure_code: None,
        billing: None,
        created_at: at(),
        updated_at: at(),
        expires_at: at(),
        authorised_at: None,
        dispute: None,
        review: None,
        capture: crate::domain::CaptureTiming::AtOnce,
        due_on: (index > 1).then_some(date!(2027 - 02 - 15)),
        reserved_for: None,
        credited_amount: Decimal::ZERO,
    }
}

fn plan(first: PaymentStatus) -> Vec<Payment> {
    vec![
        instalment(1, 0, first, 3_402),
        instalment(2, 0, PaymentStatus::Scheduled, 3_400),
        instalment(3, 0, PaymentStatus::Scheduled, 3_400),
    ]
}

#[test]
fn scheduled_instalments_cover_the_order_only_once_the_first_is_paid() {
    let gross = Decimal::new(10_202, 2);
    let open = order_position(gross, None, &plan(PaymentStatus::Created));
    assert_eq!(open.status, OrderStatus::PaymentPending);
    assert_eq!(open.due, gross);

    let paid = order_position(gross, None, &plan(PaymentStatus::Captured));
    assert_eq!(paid.due, Decimal::ZERO);
    assert_eq!(paid.amounts.captured, Decimal::new(3_402, 2));
    // Money still to come: not captured in full, so not invoiced yet.
    assert_eq!(paid.status, OrderStatus::PartiallyCaptured);

    let mut all = plan(PaymentStatus::Captured);
    for p in all.iter_mut() {
        p.status = PaymentStatus::Captured;
        p.captured_amount = p.amount;
    }
    let done = order_position(gross, None, &all);
    assert_eq!(done.status, OrderStatus::Captured);
    assert_eq!(done.amounts.captured, gross);
}

#[test]
fn an_unpaid_first_cancels_the_scheduled_rest() {
    let before = plan(PaymentStatus::Created);
    let mut after = before.clone();
    after[0].status = PaymentStatus::Failed;
    let changed = [(Some(&before[0]), &after[0])];
    let follow = plan_followups(&changed, &after, at());
    assert_eq!(follow.len(), 2);
    assert!(follow.iter().all(|p| p.status == PaymentStatus::Cancelled));
    // Applied again to its own result: nothing more.
    let mut settled = after.clone();
    for p in &follow {
        let slot = settled.iter_mut().find(|s| s.id == p.id).unwrap();
        *slot = p.clone();
    }
    assert!(plan_followups(&[], &settled, at()).is_empty());
}

#[test]
fn a_refused_instalment_is_retried_twice_then_left_to_the_pay_link() {
    let payments = plan(PaymentStatus::Captured);
    let mut refused = payments[1].clone();
    refused.status = PaymentStatus::Failed;
    refused.failure_code = Some("insufficient_funds".into());
    let mut after = payments.clone();
    after[1] = refused.clone();
    let follow = plan_followups(&[(Some(&payments[1]), &refused)], &after, at());
    assert_eq!(follow.len(), 1);
    let retry = &follow[0];
    assert_eq!(retry.status, PaymentStatus::Scheduled);
    assert_eq!(retry.id, instalment_id(PLAN, 2, 1));
    assert_eq!(retry.amount, refused.amount);
    // Three days after the refusal, in the shop's calendar.
    assert_eq!(retry.due_on, Some(date!(2027 - 01 - 18)));
    // The retry does not cover the order: the shopper is asked to pay meanwhile.
    after.push(retry.clone());
    let position = order_position(Decimal::new(10_202, 2), None, &after);
    assert_eq!(position.due, refused.amount);
    assert_eq!(position.status, OrderStatus::AwaitingPayment);
    // The same change seen again (a webhook after the run): no second retry.
    assert!(plan_followups(&[(Some(&payments[1]), &refused)], &after, at()).is_empty());

    // The second retry refused: a third try a week later; the third refused: no more.
    let mut second = instalment(2, 1, PaymentStatus::Failed, 3_400);
    second.failure_code = Some("card_declined".into());
    let third = plan_followups(&[(None, &second)], &after, at());
    assert_eq!(third[0].due_on, Some(date!(2027 - 01 - 22)));
    let mut last = instalment(2, 2, PaymentStatus::Failed, 3_400);
    last.failure_code = Some("card_declined".into());
    assert!(plan_followups(&[(None, &last)], &after, at()).is_empty());
}

#[test]
fn an_instalment_that_needs_the_shopper_is_not_retried() {
    let payments = plan(PaymentStatus::Captured);
    let mut refused = payments[2].clone();
    refused.status = PaymentStatus::Failed;
    refused.failure_code = Some("authentication_required".into());
    let follow = plan_followups(&[(Some(&payments[2]), &refused)], &payments, at());
    assert!(follow.is_empty());
}
