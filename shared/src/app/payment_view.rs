//! The JSON shape of a payment (api.md's Payment), shared by the order views and the payment
//! routes, and stored verbatim in idempotency records.

use serde::Serialize;

use crate::domain::Payment;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    pub id: String,
    pub status: &'static str,
    pub method: &'static str,
    pub amount: String,
    pub currency: &'static str,
    pub provider: String,
    pub provider_reference: Option<String>,
    pub captured_amount: String,
    pub refunded_amount: String,
    pub created_at: String,
    pub expires_at: String,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl PaymentView {
    pub fn new(payment: &Payment) -> Self {
        let c = payment.currency;
        Self {
            id: payment.id.clone(),
            status: payment.status.as_str(),
            method: "card",
            amount: c.format(payment.amount),
            currency: c.code(),
            provider: payment.provider.clone(),
            provider_reference: payment.provider_reference.clone(),
            captured_amount: c.format(payment.captured_amount),
            refunded_amount: c.format(payment.refunded_amount),
            created_at: rfc3339(payment.created_at),
            expires_at: rfc3339(payment.expires_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextAction {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartedPaymentView {
    pub payment: PaymentView,
    pub next_action: Option<NextAction>,
}
