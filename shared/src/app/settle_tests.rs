//! Reconcile + settle over arbitrary PSP histories of several payments of one order, delivered
//! in any order, duplicated: the stored state converges on the in-order result, money emails add
//! up to what moved, and the invoice is queued once.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::*;
use crate::app::reconcile::reconcile;
use crate::contract;
use crate::domain::{Currency, Money, OrderStatus, PaymentStatus};
use crate::ports::{ProviderPayment, ProviderPaymentStatus, Versioned};

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn eur(cents: i64) -> Money {
    Money::from_minor_units(cents, Currency::EUR).unwrap()
}

#[derive(Debug, Clone, Copy)]
enum PspStep {
    Authorise,
    /// Capture this share (percent of what is left), `final` releasing the rest.
    Capture {
        percent: i64,
        last: bool,
    },
    /// Refund this share (percent of what is refundable).
    Refund {
        percent: i64,
    },
    /// Cancelled (by us or by the PSP).
    Cancel,
}

/// The PSP's successive views of one payment of `amount` cents.
fn history(index: usize, amount: i64, steps: &[PspStep]) -> Vec<ProviderPayment> {
    let mut state = ProviderPayment {
        id: format!("pi_{index}"),
        status: ProviderPaymentStatus::RequiresPaymentMethod,
        amount: eur(amount),
        amount_capturable: eur(0),
        amount_received: eur(0),
        amount_refunded: eur(0),
        customer: None,
        payment_method: None,
        next_action_url: None,
        failure: None,
        order_reference: Some("ORD-1".into()),
        payment_id: Some(format!("pay_{index}")),
        created_at: now(),
        multicapture: Some(true),
        release_reason: None,
        dispute: None,
        risk_level: None,
        direct_debit: None,
    };
    let mut out = Vec::new();
    let cents = |m: &Money| {
        (m.amount() * Decimal::ONE_HUNDRED)
            .try_into()
            .unwrap_or(0i64)
    };
    for step in steps {
        let (received, refunded) = (cents(&state.amount_received), cents(&state.amount_refunded));
        match (*step, state.status) {
            (PspStep::Authorise, ProviderPaymentStatus::RequiresPaymentMethod) => {
                state.status = ProviderPaymentStatus::RequiresCapture;
                state.amount_capturable = eur(amount);
            }
            (PspStep::Capture { percent, last }, ProviderPaymentStatus::RequiresCapture) => {
                let left = cents(&state.amount_capturable);
                let take = (left * percent / 100).max(1).min(left);
                state.amount_received = eur(received + take);
                state.amount_capturable = eur(left - take);
                if last || left == take {
                    state.status = ProviderPaymentStatus::Succeeded;
                    state.amount_capturable = eur(0);
                }
            }
            (PspStep::Refund { percent }, _) if received > refunded => {
                let take = ((received - refunded) * percent / 100).max(1);
                state.amount_refunded = eur(refunded + take);
            }
            (
                PspStep::Cancel,
                ProviderPaymentStatus::RequiresCapture
                | ProviderPaymentStatus::RequiresPaymentMethod,
            ) => {
                state.status = ProviderPaymentStatus::Canceled;
                state.amount_capturable = eur(0);
            }
            _ => continue,
        }
        out.push(state.clone());
    }
    out
}

struct Model {
    snapshot: OrderWithPayments,
    outbox: BTreeMap<String, OutboxEvent>,
}

impl Model {
    fn new(amounts: &[i64]) -> Self {
        let mut order = contract::order("ORD-1");
        order.status = OrderStatus::PaymentPending;
        // One line at 0 % worth what the payments add up to: they pay it exactly.
        order.lines.truncate(1);
        order.lines[0].quantity = 1;
        order.lines[0].tax_rate = Decimal::ZERO;
        order.lines[0].unit_price = Decimal::new(amounts.iter().sum(), 2);
        order.shipping.amount = Decimal::ZERO;
        let payments = amounts
            .iter()
            .enumerate()
            .map(|(i, amount)| {
                let mut p = contract::payment("ORD-1", &format!("pay_{i}"), i as i64);
                p.amount = Decimal::new(*amount, 2);
                p.refunded_amount = Decimal::ZERO;
                Versioned {
                    value: p,
                    version: 1,
                }
            })
            .collect();
        Self {
            snapshot: OrderWithPayments {
                order: Versioned {
                    value: order,
                    version: 1,
                },
                payments,
            },
            outbox: BTreeMap::new(),
        }
    }

    /// What `apply_psp_state` commits, on an in-memory snapshot.
    fn deliver(&mut self, fresh: &ProviderPayment) {
        let id = fresh.payment_id.clone().unwrap();
        let stored = self
            .snapshot
            .payments
            .iter()
            .find(|p| p.value.id == id)
            .unwrap()
            .clone();
        let Some(payment) = reconcile(&stored.value, fresh, now()) else {
            return;
        };
        let settled = settle(
            &self.snapshot,
            &self.snapshot.order.value,
            vec![PaymentChange {
                payment,
                expected_version: Some(stored.version),
            }],
            now(),
        );
        for event in settled.events {
            self.outbox.entry(event.id.clone()).or_insert(event);
        }
        for change in settled.payments {
            let slot = self
                .snapshot
                .payments
                .iter_mut()
                .find(|p| p.value.id == id)
                .unwrap();
            *slot = Versioned {
                value: change.payment,
                version: slot.version + 1,
            };
        }
        if settled.moved {
            self.snapshot.order.version += 1;
        }
        self.snapshot.order.value = settled.order;
    }

    fn total(&self, kind: OutboxKind) -> Decimal {
        self.outbox
            .values()
            .filter(|e| e.kind == kind)
            .map(|e| e.amount)
            .sum()
    }

    fn count(&self, kind: OutboxKind) -> usize {
        self.outbox.values().filter(|e| e.kind == kind).count()
    }
}

fn arb_step() -> impl Strategy<Value = PspStep> {
    prop_oneof![
        3 => Just(PspStep::Authorise),
        4 => (1i64..=100, any::<bool>()).prop_map(|(percent, last)| PspStep::Capture { percent, last }),
        2 => (1i64..=100).prop_map(|percent| PspStep::Refund { percent }),
        1 => Just(PspStep::Cancel),
    ]
}

#[test]
fn a_refund_between_two_partial_captures_does_not_block_the_next_one() {
    let mut model = Model::new(&[10_000]);
    let steps = [
        PspStep::Authorise,
        PspStep::Capture {
            percent: 40,
            last: false,
        },
        PspStep::Refund { percent: 25 },
        PspStep::Capture {
            percent: 100,
            last: false,
        },
    ];
    for fresh in history(0, 10_000, &steps) {
        model.deliver(&fresh);
    }
    let order = &model.snapshot.order.value;
    assert_eq!(order.status, OrderStatus::PartiallyRefunded);
    assert_eq!(model.count(OutboxKind::AmountDebited), 2);
    assert_eq!(
        model.total(OutboxKind::AmountDebited),
        Decimal::new(10_000, 2)
    );
    assert_eq!(model.count(OutboxKind::InvoiceDue), 1);
    // What was captured less what was refunded before the invoice.
    assert_eq!(model.total(OutboxKind::InvoiceDue), Decimal::new(9_000, 2));
    assert_eq!(
        model.total(OutboxKind::RefundIssued),
        Decimal::new(1_000, 2)
    );
}

#[test]
fn a_failed_attempt_stays_failed_when_its_page_is_closed() {
    let mut model = Model::new(&[10_000]);
    let mut failed = history(0, 10_000, &[PspStep::Cancel]).remove(0);
    failed.status = ProviderPaymentStatus::Failed;
    failed.failure = Some(crate::ports::PaymentFailure {
        code: "payment_intent_authentication_failure".into(),
        decline_code: None,
        message: "3-D Secure failed".into(),
    });
    model.deliver(&failed);
    assert_eq!(
        model.snapshot.payments[0].value.status,
        PaymentStatus::Failed
    );
    let mut closed = failed.clone();
    closed.status = ProviderPaymentStatus::Canceled;
    model.deliver(&closed);
    let payment = &model.snapshot.payments[0].value;
    assert_eq!(payment.status, PaymentStatus::Failed);
    assert_eq!(
        payment.failure_reason(),
        Some(crate::domain::FailureReason::AuthenticationFailed)
    );
    assert_eq!(
        model.snapshot.order.value.status,
        OrderStatus::AwaitingPayment
    );
}

#[test]
fn a_psp_object_for_another_amount_or_currency_changes_nothing() {
    let mut model = Model::new(&[10_000]);
    let mut fresh = history(0, 10_000, &[PspStep::Authorise]).remove(0);
    fresh.amount = eur(9_999);
    model.deliver(&fresh);
    assert_eq!(
        model.snapshot.payments[0].value.status,
        PaymentStatus::Created
    );
    fresh.amount = Money::from_minor_units(10_000, Currency::from_code("GBP").unwrap()).unwrap();
    model.deliver(&fresh);
    assert_eq!(
        model.snapshot.payments[0].value.status,
        PaymentStatus::Created
    );
    assert!(model.outbox.is_empty());
}

proptest! {
    #[test]
    fn any_delivery_order_converges_and_emails_add_up(
        plans in prop::collection::vec(
            (100i64..50_000, prop::collection::vec(arb_step(), 0..8)), 1..4),
        deliveries in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..30),
    ) {
        let amounts: Vec<i64> = plans.iter().map(|(a, _)| *a).collect();
        let histories: Vec<Vec<ProviderPayment>> = plans
            .iter()
            .enumerate()
            .map(|(i, (amount, steps))| history(i, *amount, steps))
            .collect();

        let mut in_order = Model::new(&amounts);
        for h in &histories {
            for fresh in h {
                in_order.deliver(fresh);
            }
        }
        let mut shuffled = Model::new(&amounts);
        for (payment, step) in &deliveries {
            let h = &histories[payment.index(histories.len())];
            if !h.is_empty() {
                shuffled.deliver(&h[step.index(h.len())]);
            }
        }
        // The PSP keeps delivering until acknowledged; each re-fetch sees the latest state.
        for h in &histories {
            if let Some(last) = h.last() {
                shuffled.deliver(last);
                shuffled.deliver(last);
            }
        }
        // When we learned of an authorisation depends on which news came first: not compared.
        let strip = |m: &Model| m.snapshot.payments.iter()
            .map(|p| Payment { authorised_at: None, ..p.value.clone() })
            .collect::<Vec<_>>();
        prop_assert_eq!(strip(&shuffled), strip(&in_order));
        let (order, expected) = (&shuffled.snapshot.order.value, &in_order.snapshot.order.value);
        prop_assert_eq!(order.status, expected.status);
        prop_assert_eq!(order.amounts, expected.amounts);

        let payments = strip(&shuffled);
        let captured: Decimal = payments.iter().map(|p| p.captured_amount).sum();
        let refunded: Decimal = payments.iter().map(|p| p.refunded_amount).sum();
        for p in &payments {
            prop_assert!(p.captured_amount <= p.amount && p.refunded_amount <= p.captured_amount);
        }
        prop_assert_eq!(order.amounts.captured, captured);
        prop_assert_eq!(shuffled.total(OutboxKind::AmountDebited), captured);
        prop_assert_eq!(shuffled.total(OutboxKind::RefundIssued), refunded);
        let invoiced = shuffled.total(OutboxKind::InvoiceDue);
        match shuffled.count(OutboxKind::InvoiceDue) {
            0 => prop_assert!(!order.status.is_fully_captured() || refunded >= captured),
            1 => prop_assert!(order.status.is_fully_captured()
                && captured - refunded <= invoiced && invoiced <= captured),
            n => prop_assert!(false, "{n} invoices"),
        }
        prop_assert_eq!(order.amount_due(), order.position(&payments).due);
    }
}
