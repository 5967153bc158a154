//! The order state machine as a pure function: `(state, event) → (state, effects)`.
//!
//! PSP events arrive late, twice or out of order, so an event that the order has already moved
//! past is `Unchanged`, not an error; only events that make no sense from the current state (a
//! capture on an order never authorised) are refused.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    PaymentPending,
    Authorised,
    PartiallyCaptured,
    Captured,
    PartiallyRefunded,
    Refunded,
    Cancelled,
    Deleted,
    UnderReview,
    /// The card authorisation lapsed before everything shipped and could not be renewed with
    /// the saved card: the shopper was sent a pay link for what remains.
    RequiresReauthorisation,
}

impl OrderStatus {
    /// How far along the payment path a status is; used to recognise stale events.
    fn progress(self) -> u8 {
        use OrderStatus::*;
        match self {
            AwaitingPayment => 0,
            PaymentPending => 1,
            UnderReview => 2,
            Authorised | RequiresReauthorisation => 3,
            PartiallyCaptured => 4,
            Captured => 5,
            PartiallyRefunded => 6,
            Refunded => 7,
            Cancelled | Deleted => 8,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Refunded | OrderStatus::Cancelled | OrderStatus::Deleted
        )
    }

    pub fn as_str(self) -> &'static str {
        use OrderStatus::*;
        match self {
            AwaitingPayment => "awaiting_payment",
            PaymentPending => "payment_pending",
            Authorised => "authorised",
            PartiallyCaptured => "partially_captured",
            Captured => "captured",
            PartiallyRefunded => "partially_refunded",
            Refunded => "refunded",
            Cancelled => "cancelled",
            Deleted => "deleted",
            UnderReview => "under_review",
            RequiresReauthorisation => "requires_reauthorisation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// The shopper opened a payment (hosted page, debit, …).
    PaymentStarted,
    /// That payment failed, was cancelled or expired before authorisation.
    PaymentAbandoned,
    /// The PSP flagged the payment for manual review.
    ReviewRequested,
    Authorised,
    /// Funds captured; `complete` when nothing authorised remains to capture.
    Captured {
        complete: bool,
    },
    /// Money returned; `complete` when everything captured has been refunded.
    Refunded {
        complete: bool,
    },
    CancelledBySeller,
    DeletedByShopper,
    /// The authorisation outlived its capture window and was released without a replacement.
    AuthorisationLapsed,
}

/// What the outside world must hear about a transition (through the outbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    EmailPaymentReceived,
    EmailAmountDebited,
    EmailRefundIssued,
    IssueInvoice,
    ReleaseAuthorisation,
    /// Ask the shopper to pay again (pay link): the authorisation lapsed.
    EmailReauthorisationNeeded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Moved {
        to: OrderStatus,
        effects: Vec<Effect>,
    },
    /// A duplicate or a stale event: nothing to write, nothing to send.
    Unchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{event:?} is not possible for an order that is {from:?}")]
pub struct TransitionError {
    pub from: OrderStatus,
    pub event: OrderEvent,
}

pub fn transition(from: OrderStatus, event: OrderEvent) -> Result<Transition, TransitionError> {
    use Effect::*;
    use OrderEvent as E;
    use OrderStatus as S;
    let moved = |to: S, effects: Vec<Effect>| Ok(Transition::Moved { to, effects });
    let refuse = || Err(TransitionError { from, event });
    match (from, event) {
        (S::Authorised | S::PartiallyCaptured, E::AuthorisationLapsed) => {
            moved(S::RequiresReauthorisation, vec![EmailReauthorisationNeeded])
        }
        // Waiting for the shopper to pay what remains: a new attempt is an ordinary payment;
        // news of the lapsed authorisation (its cancellation) changes nothing.
        (S::RequiresReauthorisation, E::PaymentStarted) => moved(S::PaymentPending, vec![]),
        (S::RequiresReauthorisation, E::Authorised) => {
            moved(S::Authorised, vec![EmailPaymentReceived])
        }
        (
            S::RequiresReauthorisation,
            E::PaymentAbandoned | E::ReviewRequested | E::AuthorisationLapsed,
        ) => Ok(Transition::Unchanged),
        // A refund of what was captured before the lapse.
        (S::RequiresReauthorisation, E::Refunded { .. }) => {
            moved(S::RequiresReauthorisation, vec![EmailRefundIssued])
        }
        (S::RequiresReauthorisation, E::CancelledBySeller) => moved(S::Cancelled, vec![]),
        (S::AwaitingPayment, E::PaymentStarted) => moved(S::PaymentPending, vec![]),
        (S::PaymentPending, E::PaymentStarted) => Ok(Transition::Unchanged),
        (S::PaymentPending | S::UnderReview, E::PaymentAbandoned) => {
            moved(S::AwaitingPayment, vec![])
        }
        (S::AwaitingPayment, E::PaymentAbandoned) => Ok(Transition::Unchanged),
        (S::PaymentPending, E::ReviewRequested) => moved(S::UnderReview, vec![]),
        (S::UnderReview, E::ReviewRequested | E::PaymentStarted) => Ok(Transition::Unchanged),
        (S::AwaitingPayment | S::PaymentPending | S::UnderReview, E::Authorised) => {
            moved(S::Authorised, vec![EmailPaymentReceived])
        }
        (S::Authorised | S::PartiallyCaptured, E::Captured { complete }) => moved(
            if complete {
                S::Captured
            } else {
                S::PartiallyCaptured
            },
            if complete {
                vec![EmailAmountDebited, IssueInvoice]
            } else {
                vec![EmailAmountDebited]
            },
        ),
        (S::PartiallyCaptured | S::Captured | S::PartiallyRefunded, E::Refunded { complete }) => {
            moved(
                if complete {
                    S::Refunded
                } else {
                    S::PartiallyRefunded
                },
                vec![EmailRefundIssued],
            )
        }
        (S::AwaitingPayment | S::PaymentPending | S::UnderReview, E::CancelledBySeller) => {
            moved(S::Cancelled, vec![])
        }
        (S::Authorised, E::CancelledBySeller) => moved(S::Cancelled, vec![ReleaseAuthorisation]),
        (S::AwaitingPayment | S::PaymentPending, E::DeletedByShopper) => moved(S::Deleted, vec![]),
        // Late or repeated news about a step the order has already passed.
        (_, E::PaymentStarted | E::PaymentAbandoned | E::ReviewRequested | E::Authorised)
            if from.progress() >= S::Authorised.progress() && !from.is_final() =>
        {
            Ok(Transition::Unchanged)
        }
        (S::Captured, E::Captured { .. }) => Ok(Transition::Unchanged),
        (S::Refunded, E::Refunded { .. }) => Ok(Transition::Unchanged),
        (S::Cancelled, E::CancelledBySeller | E::PaymentAbandoned) => Ok(Transition::Unchanged),
        (S::Deleted, E::DeletedByShopper | E::PaymentAbandoned) => Ok(Transition::Unchanged),
        _ => refuse(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use OrderEvent as E;
    use OrderStatus as S;

    #[test]
    fn card_journey() {
        let mut s = S::AwaitingPayment;
        for (event, expected) in [
            (E::PaymentStarted, S::PaymentPending),
            (E::Authorised, S::Authorised),
            (E::Captured { complete: false }, S::PartiallyCaptured),
            (E::Captured { complete: true }, S::Captured),
            (E::Refunded { complete: false }, S::PartiallyRefunded),
            (E::Refunded { complete: true }, S::Refunded),
        ] {
            match transition(s, event).unwrap() {
                Transition::Moved { to, .. } => s = to,
                Transition::Unchanged => panic!("{event:?} from {s:?} changed nothing"),
            }
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn authorisation_emails_once_and_capture_needs_authorisation() {
        assert_eq!(
            transition(S::PaymentPending, E::Authorised).unwrap(),
            Transition::Moved {
                to: S::Authorised,
                effects: vec![Effect::EmailPaymentReceived]
            }
        );
        assert_eq!(
            transition(S::Authorised, E::Authorised).unwrap(),
            Transition::Unchanged
        );
        assert_eq!(
            transition(S::Captured, E::Authorised).unwrap(),
            Transition::Unchanged
        );
        assert!(transition(S::AwaitingPayment, E::Captured { complete: true }).is_err());
        assert!(transition(S::Cancelled, E::Authorised).is_err());
        assert!(transition(S::Captured, E::DeletedByShopper).is_err());
    }

    #[test]
    fn a_lapsed_authorisation_asks_the_shopper_then_an_ordinary_payment_resumes() {
        for from in [S::Authorised, S::PartiallyCaptured] {
            assert_eq!(
                transition(from, E::AuthorisationLapsed).unwrap(),
                Transition::Moved {
                    to: S::RequiresReauthorisation,
                    effects: vec![Effect::EmailReauthorisationNeeded]
                }
            );
        }
        let s = S::RequiresReauthorisation;
        // The released authorisation's own news, and a repeat, change nothing.
        for event in [
            E::PaymentAbandoned,
            E::AuthorisationLapsed,
            E::ReviewRequested,
        ] {
            assert_eq!(transition(s, event).unwrap(), Transition::Unchanged);
        }
        assert_eq!(
            transition(s, E::Authorised).unwrap(),
            Transition::Moved {
                to: S::Authorised,
                effects: vec![Effect::EmailPaymentReceived]
            }
        );
        assert!(matches!(
            transition(s, E::PaymentStarted),
            Ok(Transition::Moved {
                to: S::PaymentPending,
                ..
            })
        ));
        assert!(transition(s, E::Captured { complete: true }).is_err());
        assert!(transition(s, E::DeletedByShopper).is_err());
        assert!(transition(S::AwaitingPayment, E::AuthorisationLapsed).is_err());
        assert!(transition(S::Captured, E::AuthorisationLapsed).is_err());
    }

    fn arb_event() -> impl Strategy<Value = OrderEvent> {
        prop_oneof![
            Just(E::PaymentStarted),
            Just(E::PaymentAbandoned),
            Just(E::ReviewRequested),
            Just(E::Authorised),
            any::<bool>().prop_map(|complete| E::Captured { complete }),
            any::<bool>().prop_map(|complete| E::Refunded { complete }),
            Just(E::CancelledBySeller),
            Just(E::DeletedByShopper),
            Just(E::AuthorisationLapsed),
        ]
    }

    proptest! {
        /// Any event delivered twice in a row changes nothing the second time, final states
        /// never move, and money only moves forward (no capture before an authorisation).
        #[test]
        fn duplicates_are_harmless_and_final_states_stay(events in prop::collection::vec(arb_event(), 0..40)) {
            let mut s = S::AwaitingPayment;
            let mut authorised = false;
            for event in events {
                let before = s;
                if let Ok(Transition::Moved { to, .. }) = transition(s, event) {
                    prop_assert!(!before.is_final(), "{before:?} moved to {to:?}");
                    if matches!(event, E::Captured { .. }) {
                        prop_assert!(authorised);
                    }
                    if to == S::Authorised {
                        authorised = true;
                    }
                    s = to;
                    let again = transition(s, event);
                    let repeat_is_noop = matches!(again, Ok(Transition::Unchanged)) || again.is_err()
                        || matches!(event, E::Captured { complete: false } | E::Refunded { complete: false })
                        // Each refund while waiting for the shopper is its own (reconcile emits
                        // one per amount actually refunded).
                        || (s == S::RequiresReauthorisation && matches!(event, E::Refunded { .. }));
                    prop_assert!(repeat_is_noop, "{event:?} twice from {s:?}: {again:?}");
                }
            }
        }
    }
}
