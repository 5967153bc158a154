//! The sandbox's in-memory Stripe objects, serialised in Stripe's JSON shapes. Internal fields
//! (what a saved card will do, the 3-D Secure challenge) are skipped when serialising. Card
//! numbers and CVCs are never kept: a card is its brand, last4, expiry and test behaviour.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::cards::Behaviour;
use super::fixed::{ChargeFixed, CustomerFixed, IntentFixed, RefundFixed, SessionFixed};
use super::iban::Scenario;
use super::sepa_objects::{Mandate, PendingDebit, SetupIntent};
use crate::ids::new_id;

pub type Metadata = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub id: String,
    pub object: &'static str,
    pub email: Option<String>,
    pub name: Option<String>,
    pub metadata: Metadata,
    pub created: i64,
    pub livemode: bool,
    #[serde(flatten)]
    pub fixed: CustomerFixed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    /// Paid through a card wallet (`apple_pay`, `google_pay`): Stripe's `card.wallet`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentMethod {
    pub id: String,
    pub object: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub customer: Option<String>,
    /// Cards only (`kind` card); a wallet's own details are in `details`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// The type's own object for other kinds (`{"paypal": {...}}`), flattened.
    #[serde(flatten)]
    pub details: serde_json::Map<String, Value>,
    pub billing_details: Value,
    pub metadata: Metadata,
    pub created: i64,
    pub livemode: bool,
    #[serde(skip)]
    pub behaviour: Behaviour,
    /// A `sepa_debit` method's test behaviour (its IBAN is not kept).
    #[serde(skip)]
    pub sepa: Option<Scenario>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastPaymentError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// None for a SEPA failure Stripe's error codes have no code for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<String>,
    pub message: String,
    pub payment_method: Option<PaymentMethod>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RedirectToUrl {
    pub url: String,
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NextAction {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub redirect_to_url: RedirectToUrl,
}

/// A pending 3-D Secure challenge: the fixed one-time code and the failed tries so far.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub code: String,
    pub failures: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentIntent {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub currency: String,
    pub status: &'static str,
    pub capture_method: String,
    pub client_secret: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<&'static str>,
    pub payment_method_options: Value,
    pub setup_future_usage: Option<String>,
    pub last_payment_error: Option<LastPaymentError>,
    pub next_action: Option<NextAction>,
    pub latest_charge: Option<String>,
    pub cancellation_reason: Option<String>,
    pub canceled_at: Option<i64>,
    pub metadata: Metadata,
    pub created: i64,
    pub livemode: bool,
    #[serde(flatten)]
    pub fixed: IntentFixed,
    #[serde(skip)]
    pub multicapture: bool,
    #[serde(skip)]
    pub return_url: Option<String>,
    #[serde(skip)]
    pub checkout_session: Option<String>,
    #[serde(skip)]
    pub challenge: Option<Challenge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Charge {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub amount_captured: i64,
    pub amount_refunded: i64,
    pub captured: bool,
    pub refunded: bool,
    /// Set when the shopper's bank disputes the charge (see `disputes`).
    pub disputed: bool,
    pub paid: bool,
    pub status: &'static str,
    pub currency: String,
    pub customer: Option<String>,
    pub payment_intent: String,
    pub payment_method: String,
    pub payment_method_details: Value,
    pub billing_details: Value,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub created: i64,
    pub livemode: bool,
    #[serde(flatten)]
    pub fixed: ChargeFixed,
    /// Asked for and supported by the card: captures may leave the rest capturable.
    #[serde(skip)]
    pub multicapture_available: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub currency: String,
    pub charge: String,
    pub payment_intent: String,
    pub status: &'static str,
    pub reason: Option<String>,
    pub metadata: Metadata,
    pub created: i64,
    #[serde(flatten)]
    pub fixed: RefundFixed,
}

/// A dispute of a charge. `evidence` holds Stripe's evidence fields (all null until the seller
/// submits some); `balance_transactions` the withdrawal and, once won, the reinstatement.
#[derive(Debug, Clone, Serialize)]
pub struct Dispute {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub balance_transactions: Vec<Value>,
    pub charge: String,
    pub created: i64,
    pub currency: String,
    pub evidence: Value,
    pub evidence_details: Value,
    pub is_charge_refundable: bool,
    pub livemode: bool,
    pub metadata: Metadata,
    pub network_reason_code: Option<String>,
    pub payment_intent: Option<String>,
    /// Stripe has none for a SEPA Direct Debit dispute (no `sepa_debit` type in its schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_details: Option<Value>,
    pub reason: String,
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckoutSession {
    pub id: String,
    pub object: &'static str,
    pub mode: &'static str,
    pub url: Option<String>,
    pub status: &'static str,
    pub payment_status: &'static str,
    pub payment_intent: Option<String>,
    pub amount_subtotal: i64,
    pub amount_total: i64,
    pub currency: String,
    pub customer: Option<String>,
    /// `if_required` when the session was created without a customer.
    pub customer_creation: Option<&'static str>,
    /// Filled in when the shopper pays.
    pub customer_details: Option<Value>,
    pub customer_email: Option<String>,
    pub client_reference_id: Option<String>,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub expires_at: i64,
    pub metadata: Metadata,
    pub created: i64,
    pub livemode: bool,
    #[serde(flatten)]
    pub fixed: SessionFixed,
    /// What the shopper sees on the hosted page (the line items' product names).
    #[serde(skip)]
    pub description: String,
    #[serde(skip)]
    pub intent: IntentTemplate,
    /// `ui_mode=embedded`: shown inside the shop's page (Stripe.js `initEmbeddedCheckout`),
    /// with a client secret, and back to `return_url` (kept in `success_url`) when paid.
    #[serde(skip)]
    pub embedded: Option<EmbeddedSession>,
    /// `payment_method_types[0]`: `card` (with the Apple Pay / Google Pay buttons), `paypal`
    /// or `alipay` (their test authorisation page).
    #[serde(skip)]
    pub method_type: &'static str,
    /// `mode=setup`: the SetupIntent created with the session.
    #[serde(skip)]
    pub setup_intent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EmbeddedSession {
    pub client_secret: String,
}

/// `payment_intent_data[...]` of a Checkout Session, used when the shopper submits a card.
#[derive(Debug, Clone, Default)]
pub struct IntentTemplate {
    pub capture_method: String,
    pub setup_future_usage: Option<String>,
    pub metadata: Metadata,
    pub multicapture: bool,
    /// `payment_method_options[card][request_three_d_secure]`: `any` and `challenge` put every
    /// card through the challenge page on session.
    pub three_d_secure: String,
}

/// The request an object change came from, echoed in events as Stripe does.
#[derive(Debug, Clone, Default)]
pub struct ReqCtx {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}

pub struct IdemEntry {
    pub fingerprint: [u8; 32],
    /// None while the first request is still running.
    pub response: Option<(u16, Vec<u8>)>,
}

pub const API_VERSION: &str = "2024-06-20";

pub struct State {
    pub customers: HashMap<String, Customer>,
    pub payment_methods: Vec<PaymentMethod>,
    pub sessions: HashMap<String, CheckoutSession>,
    pub intents: HashMap<String, PaymentIntent>,
    pub charges: HashMap<String, Charge>,
    pub refunds: HashMap<String, Refund>,
    pub disputes: HashMap<String, Dispute>,
    pub events: Vec<Value>,
    pub idempotency: HashMap<(String, String), IdemEntry>,
    pub setup_intents: HashMap<String, SetupIntent>,
    pub mandates: HashMap<String, Mandate>,
    /// SEPA debits still `processing`, in creation order.
    pub pending_debits: Vec<PendingDebit>,
    /// The sandbox clock, shared with the other dialects (`POST /_clock` moves it).
    pub clock: crate::clock::SharedClock,
    outbox: UnboundedSender<Value>,
}

impl State {
    pub fn new(outbox: UnboundedSender<Value>, clock: crate::clock::SharedClock) -> Self {
        Self {
            customers: HashMap::new(),
            payment_methods: Vec::new(),
            sessions: HashMap::new(),
            intents: HashMap::new(),
            charges: HashMap::new(),
            refunds: HashMap::new(),
            disputes: HashMap::new(),
            events: Vec::new(),
            idempotency: HashMap::new(),
            setup_intents: HashMap::new(),
            mandates: HashMap::new(),
            pending_debits: Vec::new(),
            clock,
            outbox,
        }
    }

    /// Records an event and queues it for delivery; the lock held by the caller keeps events in
    /// the order of the changes.
    pub fn emit(&mut self, kind: &str, object: Value, req: &ReqCtx) {
        let event = serde_json::json!({
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": { "object": object },
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": req.id, "idempotency_key": req.idempotency_key },
            "type": kind,
        });
        self.events.push(event.clone());
        // The worker is gone only when the sandbox is being dropped.
        let _ = self.outbox.send(event);
    }

    /// The sandbox clock in milliseconds: wall time plus the offset `/_clock` adds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The sandbox clock in unix seconds (SEPA objects and events are stamped with it).
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    pub fn payment_method(&self, id: &str) -> Option<&PaymentMethod> {
        self.payment_methods.iter().find(|p| p.id == id)
    }

    pub fn payment_method_mut(&mut self, id: &str) -> Option<&mut PaymentMethod> {
        self.payment_methods.iter_mut().find(|p| p.id == id)
    }

    pub fn intent_json(&self, id: &str) -> Value {
        self.intents
            .get(id)
            .and_then(|pi| serde_json::to_value(pi).ok())
            .unwrap_or(Value::Null)
    }

    pub fn session_json(&self, id: &str) -> Value {
        let Some(session) = self.sessions.get(id) else {
            return Value::Null;
        };
        let mut json = serde_json::to_value(session).unwrap_or(Value::Null);
        json["payment_method_types"] = serde_json::json!([session.method_type]);
        // An embedded session, as Stripe shows it: no URL, a client secret, `return_url`.
        if let Some(embedded) = &session.embedded {
            json["ui_mode"] = "embedded".into();
            json["client_secret"] = embedded.client_secret.clone().into();
            json["return_url"] = session.success_url.clone().into();
            json["redirect_on_completion"] = "always".into();
            json["success_url"] = Value::Null;
            json["url"] = Value::Null;
        }
        if session.mode == "setup" {
            // Nothing is paid in setup mode: Stripe reports no amount and no currency.
            json["payment_status"] = "no_payment_required".into();
            json["amount_subtotal"] = Value::Null;
            json["amount_total"] = Value::Null;
            json["currency"] = Value::Null;
            json["total_details"] = Value::Null;
            json["payment_method_options"] = serde_json::json!({});
            json["setup_intent"] = session.setup_intent.clone().into();
        }
        json
    }

    pub fn charge_json(&self, id: &str) -> Value {
        self.charges
            .get(id)
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or(Value::Null)
    }
}

pub fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
