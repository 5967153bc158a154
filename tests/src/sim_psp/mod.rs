//! A PSP model for the seeded simulation: the `PaymentProvider` port in memory, with Stripe's
//! semantics where they matter for money (manual capture, multicapture per card, refunds bounded
//! by captures, replay on a reused Idempotency-Key, saved cards charged off-session, events as
//! hints, authorisations it cancels by itself) and nothing else. It records every money
//! movement it executed, so tests count captures and refunds at the PSP itself.
//!
//! Faults are decided by the simulation, not by chance: `lose_answer_of_call(n)` makes the n-th
//! money-moving call from now (capture, cancel, refund, saved-card charge) execute and then
//! fail as a timeout would (outcome unknown to the caller), `fail_call(n)` makes it fail before
//! executing (a 5xx).

use std::collections::HashMap;
use std::sync::Mutex;

use encaisse::domain::{Currency, Money, ReleaseReason};
use encaisse::ports::{
    HostedPaymentState, HostedPaymentStatus, PaymentFailure, ProviderError, ProviderPayment,
    ProviderPaymentStatus, ProviderRefund,
};
use rust_decimal::Decimal;
use time::OffsetDateTime;

mod calls;
mod control;
mod provider;

pub use control::{Card, CardProfile, IntentView, OffSession};

/// The only signature header `parse_notification` accepts (the real check is proptested in
/// shared/src/adapters/stripe).
pub const SIM_SIGNATURE: &str = "sim-signed";

/// A delivery of `payload` as the webhook route hands it over, signed the simulation's way.
pub fn signed(payload: &[u8]) -> encaisse::ports::NotificationRequest {
    encaisse::ports::NotificationRequest::post(
        "/v1/webhooks/stripe",
        &[("stripe-signature", SIM_SIGNATURE)],
        payload,
    )
}

#[derive(Debug, Clone)]
struct Session {
    state: HostedPaymentState,
    intent: Option<String>,
    reference: String,
    payment_id: String,
    amount: Decimal,
    currency: Currency,
    customer: Option<String>,
    save_card: bool,
}

#[derive(Debug, Clone)]
struct Intent {
    status: ProviderPaymentStatus,
    amount: Decimal,
    capturable: Decimal,
    received: Decimal,
    refunded: Decimal,
    currency: Currency,
    failure: Option<PaymentFailure>,
    reference: String,
    payment_id: String,
    customer: Option<String>,
    payment_method: Option<String>,
    /// Whether the card can be captured more than once (Stripe: on the charge).
    multicapture: bool,
    /// Reached `requires_capture` at some point.
    was_authorised: bool,
    /// Cancelled by the PSP itself (an authorisation left uncaptured too long).
    cancelled_by_psp: bool,
    /// What a capture said of the released rest (Stripe keeps it in the metadata).
    release_reason: Option<ReleaseReason>,
}

impl Intent {
    fn new(amount: Decimal, currency: Currency, reference: &str, payment_id: &str) -> Self {
        Intent {
            status: ProviderPaymentStatus::RequiresPaymentMethod,
            amount,
            capturable: Decimal::ZERO,
            received: Decimal::ZERO,
            refunded: Decimal::ZERO,
            currency,
            failure: None,
            reference: reference.into(),
            payment_id: payment_id.into(),
            customer: None,
            payment_method: None,
            multicapture: true,
            was_authorised: false,
            cancelled_by_psp: false,
            release_reason: None,
        }
    }

    fn authorise(&mut self) {
        self.status = ProviderPaymentStatus::RequiresCapture;
        self.capturable = self.amount;
        self.was_authorised = true;
    }
}

/// A money movement the PSP executed (replays of an Idempotency-Key are not movements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movement {
    Capture {
        intent: String,
        key: String,
        amount: Decimal,
        /// Whether the caller asked it to be final.
        final_capture: bool,
    },
    Refund {
        intent: String,
        key: String,
        amount: Decimal,
    },
}

/// An event as the simulation delivers it (the payload our fake `parse_notification` parses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEvent {
    pub id: String,
    pub kind: String,
    pub payment: Option<String>,
    pub session: Option<String>,
}

impl SimEvent {
    pub fn payload(&self) -> Vec<u8> {
        serde_json::json!({
            "id": self.id, "type": self.kind, "payment": self.payment, "session": self.session,
        })
        .to_string()
        .into_bytes()
    }
}

/// What goes wrong with one money-moving call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// A 5xx before anything happened.
    Refuse,
    /// Executed, then the answer was lost (a timeout).
    Lose,
}

#[derive(Default)]
struct State {
    next_id: u64,
    customers: HashMap<String, String>,
    sessions: HashMap<String, Session>,
    intents: HashMap<String, Intent>,
    /// Idempotency-Key → the answer given (Ok id or the error), with the request's fingerprint.
    answers: HashMap<String, (String, Result<String, ProviderError>)>,
    movements: Vec<Movement>,
    events: Vec<SimEvent>,
    /// The fault armed, and how many money-moving calls pass before it strikes.
    fault: Option<(u32, Fault)>,
    refunds: HashMap<String, ProviderRefund>,
    /// Cards the shopper let us keep, per PSP customer.
    saved_cards: HashMap<String, Vec<String>>,
    /// How each card (payment method) behaves.
    cards: HashMap<String, CardProfile>,
    /// Expiry and holder a shopper set on a saved card (else the card's own).
    card_updates: HashMap<String, encaisse::ports::CardUpdate>,
}

impl State {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:06}", self.next_id)
    }

    fn emit(&mut self, kind: &str, payment: Option<String>, session: Option<String>) {
        let id = self.id("evt_sim_");
        self.events.push(SimEvent {
            id,
            kind: kind.into(),
            payment,
            session,
        });
    }

    /// At the start of a money-moving call: the fault that strikes this call, if any.
    fn fault(&mut self) -> Option<Fault> {
        match self.fault.take() {
            Some((0, fault)) => Some(fault),
            Some((n, fault)) => {
                self.fault = Some((n - 1, fault));
                None
            }
            None => None,
        }
    }

    fn view(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        let i = self
            .intents
            .get(id)
            .ok_or_else(|| ProviderError::NotFound(id.into()))?;
        let money = |d: Decimal| Money::new(d, i.currency).map_err(|e| unavailable(&e.to_string()));
        Ok(ProviderPayment {
            id: id.into(),
            status: i.status,
            amount: money(i.amount)?,
            amount_capturable: money(i.capturable)?,
            amount_received: money(i.received)?,
            amount_refunded: money(i.refunded)?,
            customer: i.customer.clone(),
            payment_method: i.payment_method.clone(),
            next_action_url: None,
            failure: i.failure.clone(),
            order_reference: Some(i.reference.clone()),
            payment_id: Some(i.payment_id.clone()),
            created_at: OffsetDateTime::UNIX_EPOCH,
            // Stripe says so on the charge, once there is one.
            multicapture: i.payment_method.as_ref().map(|_| i.multicapture),
            release_reason: i.release_reason,
            dispute: None,
            risk_level: None,
            direct_debit: None,
        })
    }

    /// Stripe's Idempotency-Key rule: the same key and request → the first answer again.
    fn replay(&self, key: &str, fingerprint: &str) -> Option<Result<String, ProviderError>> {
        let (seen, answer) = self.answers.get(key)?;
        Some(match seen == fingerprint {
            true => answer.clone(),
            false => Err(ProviderError::IdempotencyConflict),
        })
    }

    /// Cancels an intent that holds no captured money yet or an authorisation (Stripe's
    /// cancellable states); false otherwise.
    fn cancel_intent(&mut self, id: &str) -> bool {
        let Some(intent) = self.intents.get_mut(id) else {
            return false;
        };
        use ProviderPaymentStatus as P;
        if !matches!(
            intent.status,
            P::RequiresPaymentMethod
                | P::RequiresConfirmation
                | P::RequiresAction
                | P::RequiresCapture
        ) {
            return false;
        }
        intent.status = P::Canceled;
        intent.capturable = Decimal::ZERO;
        self.emit("payment_intent.canceled", Some(id.into()), None);
        true
    }
}

fn unavailable(why: &str) -> ProviderError {
    ProviderError::Unavailable(why.into())
}

#[derive(Default)]
pub struct SimPsp {
    state: Mutex<State>,
}

impl SimPsp {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next money-moving call fails before executing (a 5xx).
    pub fn fail_next(&self) {
        self.fail_call(0);
    }

    /// The next money-moving call executes, then its answer is lost.
    pub fn lose_next_answer(&self) {
        self.lose_answer_of_call(0);
    }

    /// The money-moving call after `skip` others fails before executing.
    pub fn fail_call(&self, skip: u32) {
        self.lock().fault = Some((skip, Fault::Refuse));
    }

    /// The money-moving call after `skip` others executes, then its answer is lost.
    pub fn lose_answer_of_call(&self, skip: u32) {
        self.lock().fault = Some((skip, Fault::Lose));
    }

    /// Disarms a fault that did not strike.
    pub fn no_fault(&self) {
        self.lock().fault = None;
    }

    pub fn events(&self) -> Vec<SimEvent> {
        self.lock().events.clone()
    }

    pub fn movements(&self) -> Vec<Movement> {
        self.lock().movements.clone()
    }

    fn session_status(st: &State, id: &str) -> Result<HostedPaymentStatus, ProviderError> {
        let s = st
            .sessions
            .get(id)
            .ok_or_else(|| ProviderError::NotFound(id.into()))?;
        Ok(HostedPaymentStatus {
            session_id: id.into(),
            state: s.state,
            payment: s.intent.clone(),
            order_reference: Some(s.reference.clone()),
            payment_id: Some(s.payment_id.clone()),
        })
    }
}
