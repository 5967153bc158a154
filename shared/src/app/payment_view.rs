//! The JSON shape of a payment (api.md's Payment), shared by the order views and the payment
//! routes, and stored verbatim in idempotency records.

use serde::Serialize;

use crate::domain::{FailureReason, Payment};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    pub id: String,
    pub status: &'static str,
    pub method: &'static str,
    pub amount: String,
    pub currency: &'static str,
    /// None for a payment no PSP takes part in.
    pub provider: Option<String>,
    pub provider_reference: Option<String>,
    pub captured_amount: String,
    pub refunded_amount: String,
    /// Why a `failed` payment failed: `bank_refused`, `authentication_failed`, `other`.
    pub failure_reason: Option<FailureReason>,
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
            method: payment.method.kind(),
            amount: c.format(payment.amount),
            currency: c.code(),
            provider: payment.provider().map(str::to_owned),
            provider_reference: payment.provider_payment().map(str::to_owned),
            captured_amount: c.format(payment.captured_amount),
            refunded_amount: c.format(payment.refunded_amount),
            failure_reason: payment.failure_reason(),
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
