//! Fields Stripe's schemas require (API 2024-06-20, checked by the tests against
//! tests/fixtures/stripe_schemas.json) for features the sandbox does not have: Connect,
//! invoices, Radar reviews, shipping, tax, promotion codes, statement descriptors. Each object
//! flattens one of these groups, so the values sit in one place: null (`()` serialises as
//! null) where Stripe's schema allows it, else the value Stripe gives when the feature is off.

use serde::Serialize;
use serde_json::{json, Value};

/// Stripe's `billing_details` with nothing collected but the name.
pub fn billing_details(name: Option<&str>) -> Value {
    json!({ "address": null, "email": null, "name": name, "phone": null })
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerFixed {
    balance: i64,
    default_source: (),
    description: (),
    invoice_settings: Value,
    shipping: (),
}

impl Default for CustomerFixed {
    fn default() -> Self {
        Self {
            balance: 0,
            default_source: (),
            description: (),
            invoice_settings: json!({
                "custom_fields": null,
                "default_payment_method": null,
                "footer": null,
                "rendering_options": null,
            }),
            shipping: (),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IntentFixed {
    application: (),
    application_fee_amount: (),
    automatic_payment_methods: (),
    confirmation_method: &'static str,
    invoice: (),
    on_behalf_of: (),
    payment_method_configuration_details: (),
    processing: (),
    receipt_email: (),
    review: (),
    shipping: (),
    source: (),
    statement_descriptor: (),
    statement_descriptor_suffix: (),
    transfer_data: (),
    transfer_group: (),
}

impl Default for IntentFixed {
    fn default() -> Self {
        Self {
            application: (),
            application_fee_amount: (),
            automatic_payment_methods: (),
            // Confirmed with the secret key or by the hosted page, never in two steps.
            confirmation_method: "automatic",
            invoice: (),
            on_behalf_of: (),
            payment_method_configuration_details: (),
            processing: (),
            receipt_email: (),
            review: (),
            shipping: (),
            source: (),
            statement_descriptor: (),
            statement_descriptor_suffix: (),
            transfer_data: (),
            transfer_group: (),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionFixed {
    after_expiration: (),
    allow_promotion_codes: (),
    automatic_tax: Value,
    billing_address_collection: (),
    /// Only for `ui_mode=embedded`.
    client_secret: (),
    consent: (),
    consent_collection: (),
    currency_conversion: (),
    custom_fields: [(); 0],
    custom_text: Value,
    invoice: (),
    invoice_creation: (),
    locale: (),
    payment_link: (),
    payment_method_collection: &'static str,
    payment_method_configuration_details: (),
    payment_method_options: Value,
    payment_method_types: [&'static str; 1],
    recovered_from: (),
    saved_payment_method_options: (),
    setup_intent: (),
    shipping_address_collection: (),
    shipping_cost: (),
    shipping_details: (),
    shipping_options: [(); 0],
    submit_type: (),
    subscription: (),
    total_details: Value,
    ui_mode: &'static str,
}

impl Default for SessionFixed {
    fn default() -> Self {
        Self {
            after_expiration: (),
            allow_promotion_codes: (),
            automatic_tax: json!({ "enabled": false, "liability": null, "status": null }),
            billing_address_collection: (),
            client_secret: (),
            consent: (),
            consent_collection: (),
            currency_conversion: (),
            custom_fields: [],
            custom_text: json!({
                "after_submit": null,
                "shipping_address": null,
                "submit": null,
                "terms_of_service_acceptance": null,
            }),
            invoice: (),
            invoice_creation: (),
            locale: (),
            payment_link: (),
            payment_method_collection: "always",
            payment_method_configuration_details: (),
            payment_method_options: json!({ "card": { "request_three_d_secure": "automatic" } }),
            payment_method_types: ["card"],
            recovered_from: (),
            saved_payment_method_options: (),
            setup_intent: (),
            shipping_address_collection: (),
            shipping_cost: (),
            shipping_details: (),
            shipping_options: [],
            submit_type: (),
            subscription: (),
            total_details: json!({ "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 }),
            ui_mode: "hosted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChargeFixed {
    application: (),
    application_fee: (),
    application_fee_amount: (),
    /// Test mode moves no money; the sandbox keeps no balance.
    balance_transaction: (),
    calculated_statement_descriptor: &'static str,
    failure_balance_transaction: (),
    /// Set when a SEPA debit fails (Stripe's SEPA failure codes).
    failure_code: Option<String>,
    failure_message: Option<String>,
    fraud_details: Value,
    invoice: (),
    on_behalf_of: (),
    outcome: Value,
    receipt_email: (),
    receipt_number: (),
    receipt_url: (),
    review: (),
    shipping: (),
    source: (),
    source_transfer: (),
    statement_descriptor: (),
    statement_descriptor_suffix: (),
    transfer_data: (),
    transfer_group: (),
}

impl ChargeFixed {
    /// Radar's verdict on this charge: `normal`, `elevated` or `highest`.
    pub fn with_risk_level(level: &str) -> Self {
        let mut fixed = Self::default();
        fixed.outcome["risk_level"] = level.into();
        fixed
    }

    /// The bank refused the debit: Stripe's failure code and message, a declined outcome.
    pub fn fail(&mut self, code: &str, message: &str) {
        self.failure_code = Some(code.to_owned());
        self.failure_message = Some(message.to_owned());
        self.outcome["network_status"] = "declined_by_network".into();
        self.outcome["type"] = "issuer_declined".into();
        self.outcome["seller_message"] = message.into();
    }
}

impl Default for ChargeFixed {
    fn default() -> Self {
        Self {
            application: (),
            application_fee: (),
            application_fee_amount: (),
            balance_transaction: (),
            calculated_statement_descriptor: "SANDBOX PSP",
            failure_balance_transaction: (),
            failure_code: None,
            failure_message: None,
            fraud_details: json!({}),
            invoice: (),
            on_behalf_of: (),
            // Only authorised cards get a charge in the sandbox.
            outcome: json!({
                "network_status": "approved_by_network",
                "reason": null,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            }),
            receipt_email: (),
            receipt_number: (),
            receipt_url: (),
            review: (),
            shipping: (),
            source: (),
            source_transfer: (),
            statement_descriptor: (),
            statement_descriptor_suffix: (),
            transfer_data: (),
            transfer_group: (),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RefundFixed {
    balance_transaction: (),
    receipt_number: (),
    source_transfer_reversal: (),
    transfer_reversal: (),
}
