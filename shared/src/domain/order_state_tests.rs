//! The derivation over arbitrary sets of payments.

use proptest::prelude::*;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::*;
use crate::domain::{
    Currency, Dispute, DisputeKind, DisputeStatus, PaymentMethod, Reference, Release,
};

fn payment(id: usize, status: PaymentStatus, amount: i64, captured: i64, refunded: i64) -> Payment {
    let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    Payment {
        id: format!("pay_{id}"),
        order_reference: Reference::parse("ORD-1").unwrap(),
        method: PaymentMethod::Card,
        status,
        amount: Decimal::new(amount, 2),
        currency: Currency::EUR,
        psp: None,
        captured_amount: Decimal::new(captured, 2),
        refunded_amount: Decimal::new(refunded, 2),
        shipped_amount: Decimal::ZERO,
        shipped_at: None,
        released: None,
        failure_code: None,
        billing: None,
        created_at: at,
        updated_at: at,
        expires_at: at,
        authorised_at: None,
        dispute: None,
        review: None,
        capture: Default::default(),
        due_on: None,
        reserved_for: None,
        credited_amount: Decimal::ZERO,
    }
}

fn eur(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

#[test]
fn a_refund_between_two_partial_captures_leaves_the_rest_capturable() {
    let gross = eur(10_000);
    let partly = payment(1, PaymentStatus::PartiallyCaptured, 10_000, 4_000, 1_000);
    let p = order_position(gross, None, &[partly]);
    assert_eq!(p.status, OrderStatus::PartiallyCaptured);
    assert_eq!(p.due, Decimal::ZERO);
    let done = payment(1, PaymentStatus::PartiallyRefunded, 10_000, 10_000, 1_000);
    let p = order_position(gross, None, &[done]);
    assert_eq!(p.status, OrderStatus::PartiallyRefunded);
    assert!(p.status.is_fully_captured());
}

#[test]
fn a_rest_to_be_replaced_stays_covered_until_its_replacement_is_recorded() {
    let gross = eur(10_000);
    // A single-capture card's part, its webhook recorded before the capture's own commit.
    let mut part = payment(1, PaymentStatus::Captured, 10_000, 3_000, 0);
    part.released = Some(Release {
        amount: eur(7_000),
        reason: ReleaseReason::Replaced,
    });
    let p = order_position(gross, None, std::slice::from_ref(&part));
    assert_eq!(
        (p.status, p.due),
        (OrderStatus::PartiallyCaptured, Decimal::ZERO),
        "neither owed nor captured in full"
    );
    assert_eq!(p.amounts.settled, gross);
    // The renewal recorded: counted once, by the replacement.
    let mut renewal = payment(2, PaymentStatus::Authorised, 7_000, 0, 0);
    renewal.id = part.replacement_id();
    let p = order_position(gross, None, &[part.clone(), renewal.clone()]);
    assert_eq!(
        (p.status, p.due, p.amounts.settled),
        (OrderStatus::PartiallyCaptured, Decimal::ZERO, gross)
    );
    // Any other payment is not the replacement.
    let other = payment(3, PaymentStatus::Authorised, 7_000, 0, 0);
    let p = order_position(gross, None, &[part, other]);
    assert_eq!(p.amounts.settled, eur(17_000));
}

#[test]
fn a_release_reason_is_recorded_once_and_only_on_a_payment_closed_short() {
    let mut live = payment(1, PaymentStatus::PartiallyCaptured, 10_000, 3_000, 0);
    assert!(
        !live.note_release(ReleaseReason::LastParcel),
        "still capturable"
    );
    let mut full = payment(1, PaymentStatus::Captured, 10_000, 10_000, 0);
    assert!(
        !full.note_release(ReleaseReason::LastParcel),
        "nothing released"
    );
    let mut short = payment(1, PaymentStatus::Captured, 10_000, 3_000, 0);
    assert!(short.note_release(ReleaseReason::LastParcel));
    assert_eq!(
        short.released,
        Some(Release {
            amount: eur(7_000),
            reason: ReleaseReason::LastParcel
        })
    );
    assert!(
        !short.note_release(ReleaseReason::Lapsed),
        "the first reason stands"
    );
    live.status = PaymentStatus::Created;
    assert!(!live.note_release(ReleaseReason::Lapsed));
    assert_eq!(full.released, None);
}

#[test]
fn a_last_parcel_closes_the_order_short_and_a_lapse_asks_for_the_rest() {
    let gross = eur(10_000);
    let mut short = payment(1, PaymentStatus::Captured, 10_000, 6_000, 0);
    short.released = Some(Release {
        amount: eur(4_000),
        reason: ReleaseReason::LastParcel,
    });
    let p = order_position(gross, None, std::slice::from_ref(&short));
    assert_eq!((p.status, p.due), (OrderStatus::Captured, Decimal::ZERO));
    assert_eq!(p.amounts.captured, eur(6_000));

    short.released = Some(Release {
        amount: eur(4_000),
        reason: ReleaseReason::Lapsed,
    });
    let p = order_position(gross, None, std::slice::from_ref(&short));
    assert_eq!(p.status, OrderStatus::RequiresReauthorisation);
    assert_eq!(p.due, eur(4_000));
    // The shopper opens the pay link: pending, then authorised for the rest.
    let again = payment(2, PaymentStatus::Created, 4_000, 0, 0);
    let p = order_position(gross, None, &[short.clone(), again]);
    assert_eq!(p.status, OrderStatus::PaymentPending);
    let paid = payment(2, PaymentStatus::Authorised, 4_000, 0, 0);
    let p = order_position(gross, None, &[short, paid]);
    assert_eq!(
        (p.status, p.due),
        (OrderStatus::PartiallyCaptured, Decimal::ZERO)
    );
}

#[test]
fn a_failed_attempt_frees_the_order_and_processing_holds_it() {
    let gross = eur(5_000);
    let failed = payment(1, PaymentStatus::Failed, 5_000, 0, 0);
    let p = order_position(gross, None, &[failed]);
    assert_eq!((p.status, p.due), (OrderStatus::AwaitingPayment, gross));
    let debit = payment(2, PaymentStatus::Processing, 5_000, 0, 0);
    let p = order_position(gross, None, &[debit]);
    assert_eq!(
        (p.status, p.due),
        (OrderStatus::PaymentPending, Decimal::ZERO)
    );
}

#[test]
fn closures_win_over_payments() {
    let paid = payment(1, PaymentStatus::Authorised, 5_000, 0, 0);
    let p = order_position(eur(5_000), Some(OrderClosure::CancelledBySeller), &[paid]);
    assert_eq!(p.status, OrderStatus::Cancelled);
}

fn arb_status() -> impl Strategy<Value = PaymentStatus> {
    prop::sample::select(vec![
        PaymentStatus::Created,
        PaymentStatus::RequiresAction,
        PaymentStatus::Processing,
        PaymentStatus::Authorised,
        PaymentStatus::PartiallyCaptured,
        PaymentStatus::Captured,
        PaymentStatus::Failed,
        PaymentStatus::Cancelled,
        PaymentStatus::Expired,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
    ])
}

/// A payment whose amounts respect what a PSP allows: captured ≤ amount, refunded ≤ captured.
fn arb_payment() -> impl Strategy<Value = Payment> {
    (
        arb_status(),
        1i64..100_000,
        0u32..=100,
        0u32..=100,
        any::<Option<bool>>(),
    )
        .prop_map(|(status, amount, captured_pct, refunded_pct, release)| {
            let captured = match status {
                PaymentStatus::Authorised
                | PaymentStatus::Created
                | PaymentStatus::RequiresAction
                | PaymentStatus::Processing
                | PaymentStatus::Failed
                | PaymentStatus::Expired => 0,
                _ => amount * i64::from(captured_pct) / 100,
            };
            let refunded = match status {
                PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
                    captured * i64::from(refunded_pct) / 100
                }
                _ => 0,
            };
            let mut p = payment(0, status, amount, captured, refunded);
            if !status.is_live_authorisation() && captured < amount {
                p.released = release.map(|last_parcel| Release {
                    amount: eur(amount - captured),
                    reason: if last_parcel {
                        ReleaseReason::LastParcel
                    } else {
                        ReleaseReason::Lapsed
                    },
                });
            }
            p
        })
}

proptest! {
    #[test]
    fn amounts_hold_and_the_status_is_a_function_of_the_payments(
        payments in prop::collection::vec(arb_payment(), 0..6),
        gross_cents in 1i64..400_000,
        rotate in 0usize..6,
    ) {
        let gross = eur(gross_cents);
        let payments: Vec<Payment> = payments
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| { p.id = format!("pay_{i}"); p })
            .collect();
        let position = order_position(gross, None, &payments);
        let a = position.amounts;
        prop_assert!(a.captured <= a.authorised + payments.iter()
            .filter(|p| !p.status.was_authorised()).map(|p| p.captured_amount).sum::<Decimal>());
        prop_assert!(a.refunded <= a.captured);
        for p in &payments {
            prop_assert!(p.covers() >= Decimal::ZERO && p.covers() <= p.amount);
        }
        prop_assert_eq!(position.due, (gross - a.settled).max(Decimal::ZERO));
        // Any order of the same payments gives the same position.
        let mut turned = payments.clone();
        if !turned.is_empty() {
            let n = rotate % turned.len();
            turned.rotate_left(n);
            turned.reverse();
        }
        prop_assert_eq!(order_position(gross, None, &turned), position);
        // Owing something never reads as paid; paid in full never reads as owing.
        let paid = matches!(position.status, OrderStatus::Authorised | OrderStatus::PartiallyCaptured
            | OrderStatus::Captured | OrderStatus::PartiallyRefunded | OrderStatus::Refunded);
        prop_assert_eq!(paid, position.due.is_zero() && position.status != OrderStatus::PaymentPending);
    }
}

fn disputed(mut p: Payment, kind: DisputeKind, status: DisputeStatus, withdrawn: i64) -> Payment {
    p.dispute = Some(Dispute {
        id: "dp_1".into(),
        kind,
        status,
        amount: p.captured_amount,
        withdrawn: eur(withdrawn),
        reason: "fraudulent".into(),
        respond_by: None,
        opened_at: p.created_at,
        movements: 1,
    });
    p
}

#[test]
fn a_dispute_marks_the_order_and_shows_what_is_withheld_until_it_is_won() {
    use DisputeKind::{Chargeback, Inquiry};
    let gross = eur(10_000);
    let paid = payment(1, PaymentStatus::Captured, 10_000, 10_000, 0);
    let cases = [
        (
            Chargeback,
            DisputeStatus::NeedsResponse,
            10_000,
            OrderStatus::Disputed,
        ),
        (
            Chargeback,
            DisputeStatus::UnderReview,
            10_000,
            OrderStatus::Disputed,
        ),
        (
            Chargeback,
            DisputeStatus::Lost,
            10_000,
            OrderStatus::Disputed,
        ),
        (Chargeback, DisputeStatus::Won, 0, OrderStatus::Captured),
        (
            Inquiry,
            DisputeStatus::NeedsResponse,
            0,
            OrderStatus::Disputed,
        ),
        (Inquiry, DisputeStatus::Closed, 0, OrderStatus::Captured),
    ];
    for (kind, status, withdrawn, expected) in cases {
        let p = order_position(
            gross,
            None,
            &[disputed(paid.clone(), kind, status, withdrawn)],
        );
        assert_eq!(p.status, expected, "{kind:?} {status:?}");
        assert_eq!(p.lifecycle, OrderStatus::Captured, "disputes aside");
        assert_eq!(p.amounts.disputed, eur(withdrawn));
        assert_eq!(p.due, Decimal::ZERO, "a chargeback is not a new debt");
    }
    // The seller's own closure still says what happened.
    let open = disputed(paid, Chargeback, DisputeStatus::NeedsResponse, 10_000);
    let p = order_position(gross, Some(OrderClosure::CancelledBySeller), &[open]);
    assert_eq!(p.status, OrderStatus::Cancelled);
}

#[test]
fn a_lost_dispute_settled_another_way_no_longer_marks_the_order() {
    use crate::domain::OfflineKind;
    let gross = eur(8_196);
    let debit = payment(1, PaymentStatus::Captured, 8_196, 8_196, 0);
    let lost = disputed(debit, DisputeKind::Chargeback, DisputeStatus::Lost, 8_196);
    let offline = |method| Payment {
        id: lost.replacement_id(),
        method,
        ..payment(2, PaymentStatus::Captured, 8_196, 8_196, 0)
    };
    let transfer = offline(PaymentMethod::Offline {
        kind: OfflineKind::BankTransfer,
        seller_reference: "VIR-1".into(),
        received_on: None,
    });
    let p = order_position(gross, None, &[lost.clone(), transfer]);
    assert_eq!(p.status, OrderStatus::Captured);
    assert_eq!(
        p.amounts.disputed,
        eur(8_196),
        "what the bank took back is still shown"
    );
    assert_eq!(p.due, Decimal::ZERO);
    // A card renewal under the same id is not a settlement of the dispute.
    let renewal = offline(PaymentMethod::Card);
    let p = order_position(gross, None, &[lost, renewal]);
    assert_eq!(p.status, OrderStatus::Disputed);
}

#[test]
fn a_dispute_tells_the_seller_and_never_re_announces_the_payment() {
    use crate::domain::{effects, Effect};
    let gross = eur(10_000);
    let paid = payment(1, PaymentStatus::Captured, 10_000, 10_000, 0);
    let open = disputed(
        paid.clone(),
        DisputeKind::Chargeback,
        DisputeStatus::NeedsResponse,
        10_000,
    );
    let won = disputed(paid.clone(), DisputeKind::Chargeback, DisputeStatus::Won, 0);
    let position = |p: &Payment| order_position(gross, None, std::slice::from_ref(p));
    let kinds = |old: &Payment, new: &Payment| -> Vec<Effect> {
        effects(&position(old), &position(new), &[(Some(old), new)])
            .into_iter()
            .map(|c| c.effect)
            .collect()
    };
    assert_eq!(kinds(&paid, &open), vec![Effect::EmailDisputeOpened]);
    assert_eq!(kinds(&open, &won), vec![Effect::EmailDisputeClosed]);
    assert_eq!(kinds(&won, &won), Vec::<Effect>::new());
    // Opened and decided between two reads: both.
    assert_eq!(
        kinds(&paid, &won),
        vec![Effect::EmailDisputeOpened, Effect::EmailDisputeClosed]
    );
}
