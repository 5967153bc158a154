//! What becomes of reserved tenders as the payment that takes the rest moves: taken when it
//! is authorised (and not held for a fraud review), given back when it fails, is dropped or
//! expires (or is cancelled after a rejected review). And what a tender payment's change gives back to its balance.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::Tender;
use crate::domain::{Payment, PaymentMethod, PaymentStatus};

/// The tender a payment draws on, if it is one.
pub fn tender_of(payment: &Payment) -> Option<Tender> {
    match &payment.method {
        PaymentMethod::Voucher { voucher } => Some(Tender::Voucher(voucher.clone())),
        PaymentMethod::CreditBalance => Some(Tender::CreditBalance),
        PaymentMethod::OnAccount => Some(Tender::OnAccount),
        _ => None,
    }
}

/// A reserved tender (still `processing`) whose rest-taking payment in `after` has an
/// outcome: taken (`captured`) or given back (`cancelled`). Idempotent: a tender already
/// taken or given back is left alone.
pub fn tender_followups(after: &[Payment], now: OffsetDateTime) -> Vec<Payment> {
    let mut out = Vec::new();
    for tender in after.iter().filter(|p| {
        p.status == PaymentStatus::Processing && tender_of(p).is_some() && p.reserved_for.is_some()
    }) {
        let Some(rest) = after
            .iter()
            .find(|p| Some(&p.id) == tender.reserved_for.as_ref())
        else {
            continue;
        };
        use PaymentStatus::*;
        let outcome = match rest.status {
            // Held for the seller's fraud review: taken once approved, given back if the
            // review rejects it (the authorisation is then cancelled).
            _ if rest.review.as_ref().is_some_and(|r| r.is_pending()) => continue,
            _ if rest.status.was_authorised() => Captured,
            Failed | Cancelled | Expired => Cancelled,
            // Processing (an asynchronous method) may still fail: wait for its outcome.
            Scheduled | Created | RequiresAction | Processing | Authorised | PartiallyCaptured
            | Captured | PartiallyRefunded | Refunded => continue,
        };
        let mut moved = tender.clone();
        moved.status = outcome;
        if outcome == Captured {
            moved.captured_amount = moved.amount;
            moved.authorised_at = Some(now);
        }
        moved.updated_at = now;
        out.push(moved);
    }
    out
}

/// What a change of a payment gives back to the customer's tenders: a tender's reservation
/// released (processing → cancelled) gives back its amount, a tender's refund what it
/// refunded; and what any payment credited to the customer's balance goes to that balance.
pub fn given_back(old: Option<&Payment>, new: &Payment) -> Vec<(Tender, Decimal)> {
    let mut out = Vec::new();
    let credited = new.credited_amount - old.map_or(Decimal::ZERO, |o| o.credited_amount);
    if credited > Decimal::ZERO {
        out.push((Tender::CreditBalance, credited));
    }
    let (Some(tender), Some(old)) = (tender_of(new), old) else {
        return out;
    };
    let released =
        old.status == PaymentStatus::Processing && new.status == PaymentStatus::Cancelled;
    let amount = if released {
        new.amount
    } else {
        new.refunded_amount - old.refunded_amount
    };
    if amount > Decimal::ZERO {
        out.push((tender, amount));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Reference};
    use time::macros::datetime;

    fn payment(id: &str, method: PaymentMethod, status: PaymentStatus, amount: i64) -> Payment {
        let now = datetime!(2026-12-01 10:00 UTC);
        Payment {
            id: id.into(),
            order_reference: Reference::parse("ORD-10042").unwrap(),
            method,
            status,
            amount: Decimal::new(amount, 2),
            currency: Currency::EUR,
            psp: None,
            captured_amount: Decimal::ZERO,
            shipped_amount: Decimal::ZERO,
            shipped_at: None,
            refunded_amount: Decimal::ZERO,
            released: None,
            failure_code: None,
            billing: None,
            created_at: now,
            updated_at: now,
            expires_at: now,
            authorised_at: None,
            dispute: None,
            review: None,
            capture: Default::default(),
            due_on: None,
            reserved_for: None,
            credited_amount: Decimal::ZERO,
        }
    }

    fn reserved(status: PaymentStatus) -> Payment {
        let mut p = payment(
            "pay_v",
            PaymentMethod::Voucher {
                voucher: "vch_1".into(),
            },
            status,
            2000,
        );
        p.reserved_for = Some("pay_card".into());
        p
    }

    #[test]
    fn taken_when_the_rest_is_authorised_given_back_when_it_fails() {
        let now = datetime!(2026-12-01 11:00 UTC);
        let tender = reserved(PaymentStatus::Processing);
        let card = |s| payment("pay_card", PaymentMethod::Card, s, 5000);
        let taken = tender_followups(&[tender.clone(), card(PaymentStatus::Authorised)], now);
        assert_eq!(taken[0].status, PaymentStatus::Captured);
        assert_eq!(taken[0].captured_amount, Decimal::new(2000, 2));
        for closed in [
            PaymentStatus::Failed,
            PaymentStatus::Expired,
            PaymentStatus::Cancelled,
        ] {
            let released = tender_followups(&[tender.clone(), card(closed)], now);
            assert_eq!(released[0].status, PaymentStatus::Cancelled);
            assert_eq!(
                given_back(Some(&tender), &released[0]),
                vec![(Tender::Voucher("vch_1".into()), Decimal::new(2000, 2))]
            );
        }
        // Still open: nothing yet; and nothing again once settled.
        assert!(tender_followups(&[tender.clone(), card(PaymentStatus::Created)], now).is_empty());
        assert!(tender_followups(
            &[
                reserved(PaymentStatus::Captured),
                card(PaymentStatus::Failed)
            ],
            now
        )
        .is_empty());
    }

    #[test]
    fn held_while_the_rest_waits_for_a_fraud_review_or_is_processing() {
        let now = datetime!(2026-12-01 11:00 UTC);
        let tender = reserved(PaymentStatus::Processing);
        let mut card = payment(
            "pay_card",
            PaymentMethod::Card,
            PaymentStatus::Authorised,
            5000,
        );
        card.review = Some(crate::domain::fraud_review::Review {
            reasons: Vec::new(),
            status: crate::domain::fraud_review::ReviewStatus::Pending,
            opened_at: now,
            decided_at: None,
        });
        assert!(tender_followups(&[tender.clone(), card.clone()], now).is_empty());
        card.review = None;
        card.status = PaymentStatus::Processing;
        assert!(tender_followups(&[tender, card], now).is_empty());
    }

    #[test]
    fn a_refund_gives_back_what_it_refunded() {
        let mut before = reserved(PaymentStatus::Captured);
        before.captured_amount = before.amount;
        let mut after = before.clone();
        after.refunded_amount = Decimal::new(500, 2);
        after.status = PaymentStatus::PartiallyRefunded;
        assert_eq!(
            given_back(Some(&before), &after),
            vec![(Tender::Voucher("vch_1".into()), Decimal::new(500, 2))]
        );
        assert!(given_back(Some(&after), &after).is_empty());
    }

    #[test]
    fn what_is_credited_goes_to_the_credit_balance_whatever_paid() {
        let mut before = payment(
            "pay_card",
            PaymentMethod::Card,
            PaymentStatus::Captured,
            5000,
        );
        before.captured_amount = before.amount;
        let mut after = before.clone();
        after.credited_amount = Decimal::new(1250, 2);
        assert_eq!(
            given_back(Some(&before), &after),
            vec![(Tender::CreditBalance, Decimal::new(1250, 2))]
        );
        // A voucher credited to the balance instead: the voucher is not restored.
        let mut voucher = reserved(PaymentStatus::Captured);
        voucher.captured_amount = voucher.amount;
        let mut credited = voucher.clone();
        credited.credited_amount = Decimal::new(500, 2);
        assert_eq!(
            given_back(Some(&voucher), &credited),
            vec![(Tender::CreditBalance, Decimal::new(500, 2))]
        );
    }
}
