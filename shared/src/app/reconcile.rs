//! Bringing a stored payment and its order in line with what the PSP says now. Webhooks are
//! only hints: this runs on a freshly fetched payment, so duplicates, late and reordered events
//! all converge on the same state, and each change produces its outbox events once.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::domain::order_state::transition;
use crate::domain::{
    Order, OrderEvent, OrderStatus, OutboxEvent, OutboxKind, Payment, PaymentStatus, Transition,
};
use crate::ports::{ProviderPayment, ProviderPaymentStatus};

#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    pub payment: Payment,
    /// Present when the order moves.
    pub order: Option<Order>,
    pub events: Vec<OutboxEvent>,
}

fn payment_status(
    current: PaymentStatus,
    psp: &ProviderPayment,
    captured: Decimal,
    refunded: Decimal,
) -> PaymentStatus {
    use ProviderPaymentStatus as P;
    match psp.status {
        P::RequiresPaymentMethod | P::RequiresConfirmation => PaymentStatus::Created,
        P::RequiresAction => PaymentStatus::RequiresAction,
        P::Processing => current,
        P::RequiresCapture if captured > Decimal::ZERO => PaymentStatus::PartiallyCaptured,
        P::RequiresCapture => PaymentStatus::Authorised,
        P::Succeeded if refunded > Decimal::ZERO && refunded >= captured => PaymentStatus::Refunded,
        P::Succeeded if refunded > Decimal::ZERO => PaymentStatus::PartiallyRefunded,
        P::Succeeded => PaymentStatus::Captured,
        P::Canceled if captured > Decimal::ZERO => PaymentStatus::Captured,
        P::Canceled => PaymentStatus::Cancelled,
    }
}

/// The new payment and order state, or None when nothing changed. `next_payment_version` names
/// the outbox events, so replaying the same change cannot queue them twice.
pub fn reconcile(
    order: &Order,
    payment: &Payment,
    next_payment_version: u64,
    psp: &ProviderPayment,
    now: OffsetDateTime,
) -> Option<Reconciled> {
    let captured = psp.amount_received.amount();
    let refunded = psp.amount_refunded.amount();
    let mut updated = payment.clone();
    updated.provider_reference = Some(psp.id.clone());
    updated.captured_amount = captured;
    updated.refunded_amount = refunded;
    updated.status = payment_status(payment.status, psp, captured, refunded);
    updated.failure_code = psp
        .failure
        .as_ref()
        .map(|f| f.decline_code.clone().unwrap_or_else(|| f.code.clone()))
        .or(payment.failure_code.clone());
    if updated == *payment {
        return None;
    }
    updated.updated_at = now;

    // What happened since the stored state, oldest first.
    let mut order_events = Vec::new();
    let was_authorised = !matches!(
        payment.status,
        PaymentStatus::Created | PaymentStatus::RequiresAction | PaymentStatus::Failed
    );
    let now_authorised = !matches!(
        updated.status,
        PaymentStatus::Created
            | PaymentStatus::RequiresAction
            | PaymentStatus::Failed
            | PaymentStatus::Cancelled
            | PaymentStatus::Expired
    );
    if now_authorised && !was_authorised {
        order_events.push((OrderEvent::Authorised, payment.amount));
        updated.authorised_at = Some(now);
    }
    if captured > payment.captured_amount {
        let complete = updated.status != PaymentStatus::PartiallyCaptured;
        order_events.push((
            OrderEvent::Captured { complete },
            captured - payment.captured_amount,
        ));
    }
    if refunded > payment.refunded_amount {
        let complete = refunded >= captured;
        order_events.push((
            OrderEvent::Refunded { complete },
            refunded - payment.refunded_amount,
        ));
    }
    if updated.status == PaymentStatus::Cancelled && !was_authorised {
        order_events.push((OrderEvent::PaymentAbandoned, Decimal::ZERO));
    }

    let mut status = order.status;
    let mut events = Vec::new();
    for (event, amount) in order_events {
        match transition(status, event) {
            Ok(Transition::Moved { to, effects }) => {
                status = to;
                for effect in effects {
                    let kind = OutboxKind::from(effect);
                    let amount = if kind == OutboxKind::InvoiceDue {
                        captured
                    } else {
                        amount
                    };
                    events.push(OutboxEvent {
                        id: format!("{kind:?}#{}#{next_payment_version}", payment.id),
                        kind,
                        order_reference: order.reference.clone(),
                        payment_id: payment.id.clone(),
                        amount,
                        currency: payment.currency,
                        created_at: now,
                    });
                }
            }
            Ok(Transition::Unchanged) => {}
            Err(error) => {
                tracing::warn!(%error, payment = %payment.id, "PSP state the order cannot follow")
            }
        }
    }
    let order = (status != order.status).then(|| {
        let mut moved = order.clone();
        moved.status = status;
        if status == OrderStatus::Authorised {
            moved.amount_settled += payment.amount;
        }
        moved
    });
    Some(Reconciled {
        payment: updated,
        order,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract;
    use crate::domain::{Currency, Money};

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn eur(cents: i64) -> Money {
        Money::from_minor_units(cents, Currency::EUR).unwrap()
    }

    fn psp(status: ProviderPaymentStatus, received: i64, refunded: i64) -> ProviderPayment {
        ProviderPayment {
            id: "pi_1".into(),
            status,
            amount: eur(1000),
            amount_capturable: eur(if status == ProviderPaymentStatus::RequiresCapture {
                1000 - received
            } else {
                0
            }),
            amount_received: eur(received),
            amount_refunded: eur(refunded),
            customer: None,
            payment_method: None,
            next_action_url: None,
            failure: None,
            order_reference: Some("ORD-1".into()),
            payment_id: Some("pay_1".into()),
            created_at: now(),
        }
    }

    fn start() -> (Order, Payment) {
        let mut order = contract::order("ORD-1");
        order.status = OrderStatus::PaymentPending;
        let mut payment = contract::payment("ORD-1", "pay_1", 0);
        payment.amount = Decimal::new(1000, 2);
        payment.refunded_amount = Decimal::ZERO;
        (order, payment)
    }

    fn kinds(r: &Reconciled) -> Vec<OutboxKind> {
        r.events.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn authorisation_then_partial_and_final_capture_then_refund() {
        let (order, payment) = start();
        let authorised = reconcile(
            &order,
            &payment,
            2,
            &psp(ProviderPaymentStatus::RequiresCapture, 0, 0),
            now(),
        )
        .unwrap();
        assert_eq!(authorised.payment.status, PaymentStatus::Authorised);
        assert_eq!(
            authorised.order.as_ref().unwrap().status,
            OrderStatus::Authorised
        );
        assert_eq!(kinds(&authorised), [OutboxKind::PaymentReceived]);
        let order = authorised.order.unwrap();
        let payment = authorised.payment;
        // The same news again changes nothing.
        assert!(reconcile(
            &order,
            &payment,
            3,
            &psp(ProviderPaymentStatus::RequiresCapture, 0, 0),
            now()
        )
        .is_none());

        let partial = reconcile(
            &order,
            &payment,
            3,
            &psp(ProviderPaymentStatus::RequiresCapture, 400, 0),
            now(),
        )
        .unwrap();
        assert_eq!(partial.payment.status, PaymentStatus::PartiallyCaptured);
        assert_eq!(
            partial.order.as_ref().unwrap().status,
            OrderStatus::PartiallyCaptured
        );
        assert_eq!(kinds(&partial), [OutboxKind::AmountDebited]);
        assert_eq!(partial.events[0].amount, Decimal::new(400, 2));
        let (order, payment) = (partial.order.unwrap(), partial.payment);

        let full = reconcile(
            &order,
            &payment,
            4,
            &psp(ProviderPaymentStatus::Succeeded, 1000, 0),
            now(),
        )
        .unwrap();
        assert_eq!(full.payment.status, PaymentStatus::Captured);
        assert_eq!(
            kinds(&full),
            [OutboxKind::AmountDebited, OutboxKind::InvoiceDue]
        );
        assert_eq!(full.events[0].amount, Decimal::new(600, 2));
        assert_eq!(full.events[1].amount, Decimal::new(1000, 2));
        let (order, payment) = (full.order.unwrap(), full.payment);

        let refund = reconcile(
            &order,
            &payment,
            5,
            &psp(ProviderPaymentStatus::Succeeded, 1000, 250),
            now(),
        )
        .unwrap();
        assert_eq!(refund.payment.status, PaymentStatus::PartiallyRefunded);
        assert_eq!(
            refund.order.as_ref().unwrap().status,
            OrderStatus::PartiallyRefunded
        );
        assert_eq!(kinds(&refund), [OutboxKind::RefundIssued]);
    }

    #[test]
    fn a_late_capture_news_skips_straight_to_captured_with_every_email() {
        let (order, payment) = start();
        let r = reconcile(
            &order,
            &payment,
            2,
            &psp(ProviderPaymentStatus::Succeeded, 1000, 0),
            now(),
        )
        .unwrap();
        assert_eq!(r.order.as_ref().unwrap().status, OrderStatus::Captured);
        assert_eq!(
            kinds(&r),
            [
                OutboxKind::PaymentReceived,
                OutboxKind::AmountDebited,
                OutboxKind::InvoiceDue
            ]
        );
        let ids: std::collections::HashSet<_> = r.events.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn a_decline_keeps_the_attempt_open_and_a_cancel_frees_the_order() {
        let (order, payment) = start();
        let mut declined = psp(ProviderPaymentStatus::RequiresPaymentMethod, 0, 0);
        declined.failure = Some(crate::ports::PaymentFailure {
            code: "card_declined".into(),
            decline_code: Some("insufficient_funds".into()),
            message: "Your card has insufficient funds.".into(),
        });
        let r = reconcile(&order, &payment, 2, &declined, now()).unwrap();
        assert_eq!(r.payment.status, PaymentStatus::Created);
        assert_eq!(
            r.payment.failure_code.as_deref(),
            Some("insufficient_funds")
        );
        assert!(r.order.is_none() && r.events.is_empty());

        let cancelled = reconcile(
            &order,
            &r.payment,
            3,
            &psp(ProviderPaymentStatus::Canceled, 0, 0),
            now(),
        )
        .unwrap();
        assert_eq!(cancelled.payment.status, PaymentStatus::Cancelled);
        assert_eq!(
            cancelled.order.unwrap().status,
            OrderStatus::AwaitingPayment
        );
    }
}
