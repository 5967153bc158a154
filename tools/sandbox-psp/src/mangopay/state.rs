//! The MangoPay dialect's objects, kept as the JSON MangoPay answers (PascalCase fields,
//! amounts in minor units), keyed by id, and the hooks emitted so far.

use std::collections::HashMap;

use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::SharedClock;
use crate::ids::now;

/// A hook call as MangoPay makes it: `GET <url>?EventType=…&RessourceId=…&Date=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub event_type: String,
    pub ressource_id: String,
    pub date: i64,
}

/// The first answer given under an idempotency key (`GET /responses/{key}`), and the request
/// it answered (a second request under the key is refused with 409).
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Value,
    pub url: String,
    pub date: i64,
}

pub struct State {
    pub users: HashMap<String, Value>,
    pub wallets: HashMap<String, Value>,
    pub card_registrations: HashMap<String, Value>,
    pub cards: HashMap<String, Value>,
    /// The test card behind each card id (the number itself is never kept).
    pub card_kinds: HashMap<String, super::cards::CardBehaviour>,
    /// Tokens the tokenisation server handed out, until a registration is completed with one.
    pub card_tokens: HashMap<String, super::cards::Tokenised>,
    pub preauthorizations: HashMap<String, Value>,
    /// The one-time code and the failed tries of each pre-authorisation waiting for 3-D Secure.
    pub challenges: HashMap<String, (String, u8)>,
    pub payins: HashMap<String, Value>,
    pub refunds: HashMap<String, Value>,
    /// Disputes and the repudiations of chargebacks (`disputes`).
    pub disputes: HashMap<String, Value>,
    pub repudiations: HashMap<String, Value>,
    /// IBAN bank accounts (MangoPay echoes the IBAN, so it is kept as given, never logged).
    pub bank_accounts: HashMap<String, Value>,
    pub mandates: HashMap<String, Value>,
    /// Direct-debit pay-ins still `CREATED`, in creation order.
    pub pending_debits: Vec<super::debits::PendingDebit>,
    /// The sandbox clock (shared with Stripe's dialect) and how many of its moves were seen.
    pub clock: SharedClock,
    pub clock_moves_seen: u64,
    pub responses: HashMap<String, StoredResponse>,
    /// Access tokens and their expiry (unix seconds).
    pub tokens: HashMap<String, i64>,
    pub hooks: Vec<Hook>,
    hook_tx: UnboundedSender<Hook>,
}

impl State {
    pub fn new(hook_tx: UnboundedSender<Hook>, clock: SharedClock) -> Self {
        Self {
            users: HashMap::new(),
            wallets: HashMap::new(),
            card_registrations: HashMap::new(),
            cards: HashMap::new(),
            card_kinds: HashMap::new(),
            card_tokens: HashMap::new(),
            preauthorizations: HashMap::new(),
            challenges: HashMap::new(),
            payins: HashMap::new(),
            refunds: HashMap::new(),
            disputes: HashMap::new(),
            repudiations: HashMap::new(),
            bank_accounts: HashMap::new(),
            mandates: HashMap::new(),
            pending_debits: Vec::new(),
            clock,
            clock_moves_seen: 0,
            responses: HashMap::new(),
            tokens: HashMap::new(),
            hooks: Vec::new(),
            hook_tx,
        }
    }

    /// The sandbox clock in unix seconds: SEPA objects are stamped and settled by it.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Records and sends a hook about `id`.
    pub fn hook(&mut self, event_type: &str, id: &str) {
        let hook = Hook {
            event_type: event_type.to_owned(),
            ressource_id: id.to_owned(),
            date: now(),
        };
        self.hooks.push(hook.clone());
        // The worker ends only with the sandbox: a send cannot fail while we hold the state.
        let _ = self.hook_tx.send(hook);
    }
}

/// MangoPay's ids look like `user_m_01HQK25M6KVHKDV0S36JY9NRKR`: a prefix, `_m_` and 26
/// upper-case letters and digits.
pub fn new_id(prefix: &str) -> String {
    let raw = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("{prefix}_m_01{}", &raw[..24])
}

/// `{"Currency": "EUR", "Amount": 1250}`.
pub fn funds(currency: &str, amount: i64) -> Value {
    json!({"Currency": currency, "Amount": amount})
}

pub fn amount_of(funds: &Value) -> i64 {
    funds["Amount"].as_i64().unwrap_or(0)
}
