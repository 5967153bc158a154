//! A PSP model for the seeded simulation: the `PaymentProvider` port in memory, with Stripe's
//! semantics where they matter for money (manual capture, multicapture, refunds bounded by
//! captures, replay on a reused Idempotency-Key, events as hints) and nothing else. It records
//! every money movement it executed, so tests count captures and refunds at the PSP itself.
//!
//! Faults are decided by the simulation, not by chance: `lose_next_answer` makes the next
//! money-moving call execute and then fail as a timeout would (outcome unknown to the caller),
//! `fail_next` makes it fail before executing (a 5xx).

use std::collections::HashMap;
use std::sync::Mutex;

use encaisse::domain::{Currency, Money};
use encaisse::ports::{
    HostedPaymentState, HostedPaymentStatus, PaymentFailure, ProviderError, ProviderPayment,
    ProviderPaymentStatus, ProviderRefund,
};
use rust_decimal::Decimal;
use time::OffsetDateTime;

mod provider;

/// The only signature header `verify_webhook` accepts (the real check is proptested in
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
}

/// A money movement the PSP executed (replays of an Idempotency-Key are not movements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movement {
    Capture {
        intent: String,
        key: String,
        amount: Decimal,
    },
    Refund {
        intent: String,
        key: String,
        amount: Decimal,
    },
}

/// An event as the simulation delivers it (the payload our fake `verify_webhook` parses).
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
    fail_next: u32,
    lose_next_answer: u32,
    refunds: HashMap<String, ProviderRefund>,
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

    /// Before executing a money-moving call: a 5xx that did nothing?
    fn refuses(&mut self) -> bool {
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return true;
        }
        false
    }

    /// After executing it: was the answer lost on the way back?
    fn loses_answer(&mut self) -> bool {
        if self.lose_next_answer > 0 {
            self.lose_next_answer -= 1;
            return true;
        }
        false
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
            customer: None,
            payment_method: Some("pm_sim".into()),
            next_action_url: None,
            failure: i.failure.clone(),
            order_reference: Some(i.reference.clone()),
            payment_id: Some(i.payment_id.clone()),
            created_at: OffsetDateTime::UNIX_EPOCH,
            multicapture: Some(true),
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
}

fn unavailable(why: &str) -> ProviderError {
    ProviderError::Unavailable(why.into())
}

#[derive(Default)]
pub struct SimPsp {
    state: Mutex<State>,
}

/// The shopper's card on the hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    Authorised,
    Declined,
}

impl SimPsp {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn fail_next(&self, calls: u32) {
        self.lock().fail_next = calls;
    }

    pub fn lose_next_answer(&self, calls: u32) {
        self.lock().lose_next_answer = calls;
    }

    pub fn events(&self) -> Vec<SimEvent> {
        self.lock().events.clone()
    }

    pub fn movements(&self) -> Vec<Movement> {
        self.lock().movements.clone()
    }

    /// The PSP's truth about a payment, by our payment id.
    pub fn payment_of(&self, payment_id: &str) -> Option<ProviderPayment> {
        let st = self.lock();
        let id = st
            .intents
            .iter()
            .find(|(_, i)| i.payment_id == payment_id)
            .map(|(id, _)| id.clone())?;
        st.view(&id).ok()
    }

    /// The shopper submits a card on the hosted page `session`; false if the page is closed.
    pub fn pay(&self, session: &str, card: Card) -> bool {
        let mut st = self.lock();
        let Some(s) = st.sessions.get(session).cloned() else {
            return false;
        };
        if s.state != HostedPaymentState::Open {
            return false;
        }
        let intent_id = match s.intent.clone() {
            Some(id) => id,
            None => {
                let id = st.id("pi_sim_");
                st.intents.insert(
                    id.clone(),
                    Intent {
                        status: ProviderPaymentStatus::RequiresPaymentMethod,
                        amount: s.amount,
                        capturable: Decimal::ZERO,
                        received: Decimal::ZERO,
                        refunded: Decimal::ZERO,
                        currency: s.currency,
                        failure: None,
                        reference: s.reference.clone(),
                        payment_id: s.payment_id.clone(),
                    },
                );
                if let Some(page) = st.sessions.get_mut(session) {
                    page.intent = Some(id.clone());
                }
                id
            }
        };
        let Some(intent) = st.intents.get_mut(&intent_id) else {
            return false;
        };
        match card {
            Card::Declined => {
                intent.failure = Some(PaymentFailure {
                    code: "card_declined".into(),
                    decline_code: Some("generic_decline".into()),
                    message: "Your card was declined.".into(),
                });
                st.emit("payment_intent.payment_failed", Some(intent_id), None);
            }
            Card::Authorised => {
                intent.status = ProviderPaymentStatus::RequiresCapture;
                intent.capturable = intent.amount;
                if let Some(page) = st.sessions.get_mut(session) {
                    page.state = HostedPaymentState::Complete;
                }
                st.emit("checkout.session.completed", None, Some(session.into()));
                st.emit(
                    "payment_intent.amount_capturable_updated",
                    Some(intent_id),
                    None,
                );
            }
        }
        true
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

impl SimPsp {
    /// Stripe cancels an authorisation left uncaptured for 7 days (`payment_intent.canceled`,
    /// nothing captured). False if `intent` holds no such authorisation. (The same name and
    /// meaning as the sim-extend branch's helper, which supersedes this one.)
    pub fn cancel_by_psp(&self, intent: &str) -> bool {
        let mut st = self.lock();
        let Some(i) = st.intents.get_mut(intent) else {
            return false;
        };
        if i.status != ProviderPaymentStatus::RequiresCapture || i.received != Decimal::ZERO {
            return false;
        }
        i.status = ProviderPaymentStatus::Canceled;
        i.capturable = Decimal::ZERO;
        st.emit("payment_intent.canceled", Some(intent.into()), None);
        true
    }
}
