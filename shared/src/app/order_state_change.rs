//! Applying the order state machine to stored orders.

use rust_decimal::Decimal;

use crate::domain::order_state::transition;
use crate::domain::{Order, OrderEvent, OrderStatus, Transition};

/// The order as it becomes when a payment starts, and the amount to pay; None when the order
/// cannot take a payment now (already paying, paid, cancelled, or nothing due).
pub fn start_payment_on(order: &Order) -> Option<(Order, Decimal)> {
    let due = order.amount_due();
    if due <= Decimal::ZERO {
        return None;
    }
    match transition(order.status, OrderEvent::PaymentStarted) {
        Ok(Transition::Moved { to, .. }) => {
            let mut moved = order.clone();
            moved.status = to;
            moved.payment_attempts += 1;
            Some((moved, due))
        }
        _ => None,
    }
}

/// A new attempt replacing an unfinished one: the order stays `payment_pending`.
pub fn resume_payment_on(order: &Order) -> Option<(Order, Decimal)> {
    let due = order.amount_due();
    if order.status != OrderStatus::PaymentPending || due <= Decimal::ZERO {
        return None;
    }
    let mut resumed = order.clone();
    resumed.payment_attempts += 1;
    Some((resumed, due))
}

/// The order once its only open attempt is dropped; None when it does not move.
pub fn abandon_payment_on(order: &Order) -> Option<Order> {
    match transition(order.status, OrderEvent::PaymentAbandoned) {
        Ok(Transition::Moved { to, .. }) => {
            let mut moved = order.clone();
            moved.status = to;
            Some(moved)
        }
        _ => None,
    }
}
