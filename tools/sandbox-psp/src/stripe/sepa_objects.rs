//! SEPA Direct Debit's own objects in Stripe's JSON shapes: the SetupIntent a setup-mode
//! Checkout Session collects the mandate with, the Mandate, and the debits waiting for their
//! outcome (internal). Fields Stripe's schema requires for features the sandbox lacks
//! (Connect, automatic payment methods) are null.

use serde::Serialize;
use serde_json::{json, Value};

use super::iban::{BankAccount, Scenario};
use super::state::Metadata;

#[derive(Debug, Clone, Serialize)]
pub struct SetupIntent {
    pub id: String,
    pub object: &'static str,
    pub application: (),
    pub automatic_payment_methods: (),
    pub cancellation_reason: Option<&'static str>,
    pub client_secret: String,
    pub created: i64,
    pub customer: Option<String>,
    pub description: (),
    pub flow_directions: (),
    pub last_setup_error: (),
    pub latest_attempt: (),
    pub livemode: bool,
    pub mandate: Option<String>,
    pub metadata: Metadata,
    pub next_action: (),
    pub on_behalf_of: (),
    pub payment_method: Option<String>,
    pub payment_method_configuration_details: (),
    pub payment_method_options: Value,
    pub payment_method_types: Vec<&'static str>,
    pub single_use_mandate: (),
    pub status: &'static str,
    pub usage: &'static str,
    /// The Checkout Session that created it.
    #[serde(skip)]
    pub checkout_session: Option<String>,
}

impl SetupIntent {
    /// A SEPA SetupIntent for later off-session debits, as a setup-mode session creates it.
    pub fn sepa(id: String, customer: Option<String>, metadata: Metadata, created: i64) -> Self {
        Self {
            client_secret: format!("{id}_secret_{}", &crate::ids::new_id("")[..24]),
            id,
            object: "setup_intent",
            application: (),
            automatic_payment_methods: (),
            cancellation_reason: None,
            created,
            customer,
            description: (),
            flow_directions: (),
            last_setup_error: (),
            latest_attempt: (),
            livemode: false,
            mandate: None,
            metadata,
            next_action: (),
            on_behalf_of: (),
            payment_method: None,
            payment_method_configuration_details: (),
            payment_method_options: json!({ "sepa_debit": {} }),
            payment_method_types: vec!["sepa_debit"],
            single_use_mandate: (),
            status: "requires_payment_method",
            usage: "off_session",
            checkout_session: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Mandate {
    pub id: String,
    pub object: &'static str,
    pub customer_acceptance: Value,
    pub livemode: bool,
    pub multi_use: Value,
    pub payment_method: String,
    pub payment_method_details: Value,
    /// `active`, or `inactive` once its PaymentMethod is detached.
    pub status: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Mandate {
    /// A multi-use mandate accepted online on the hosted page; `reference` is its unique
    /// reference, `url` the sandbox's page showing it.
    pub fn online(
        id: String,
        pm: &str,
        acceptance: Acceptance,
        reference: String,
        url: String,
    ) -> Self {
        Self {
            id,
            object: "mandate",
            customer_acceptance: json!({
                "accepted_at": acceptance.accepted_at,
                "online": { "ip_address": acceptance.ip_address, "user_agent": acceptance.user_agent },
                "type": "online",
            }),
            livemode: false,
            multi_use: json!({}),
            payment_method: pm.to_owned(),
            payment_method_details: json!({
                "type": "sepa_debit",
                "sepa_debit": { "reference": reference, "url": url },
            }),
            status: "active",
            kind: "multi_use",
        }
    }

    pub fn reference(&self) -> &str {
        self.payment_method_details["sepa_debit"]["reference"]
            .as_str()
            .unwrap_or_default()
    }
}

/// Who accepted a mandate, and when (`customer_acceptance.online`).
#[derive(Debug, Clone)]
pub struct Acceptance {
    pub accepted_at: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// `payment_method.sepa_debit`: what Stripe keeps of the IBAN.
pub fn method_details(account: &BankAccount) -> Value {
    json!({
        "bank_code": account.bank_code,
        "branch_code": account.branch_code,
        "country": account.country,
        "fingerprint": account.fingerprint,
        "generated_from": null,
        "last4": account.last4,
    })
}

/// A SEPA debit in `processing`, settled when the sandbox clock reaches `due_ms`.
#[derive(Debug, Clone)]
pub struct PendingDebit {
    pub payment_intent: String,
    pub scenario: Scenario,
    pub due_ms: i64,
}
