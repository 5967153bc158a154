//! The JSON shape of a payment (api.md's Payment), shared by the order views and the payment
//! routes, and stored verbatim in idempotency records.

use serde::Serialize;

use crate::domain::{Dispute, FailureReason, Payment};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    pub id: String,
    pub status: &'static str,
    pub method: &'static str,
    /// With method `wallet`: which one (`paypal`, `alipay`, `apple_pay`, `google_pay`).
    pub wallet: Option<&'static str>,
    /// `at_shipment` (authorised now, captured per parcel) or `at_once` (a wallet the PSP
    /// cannot authorise apart: captured as soon as it is paid).
    pub capture: crate::domain::CaptureTiming,
    pub amount: String,
    pub currency: &'static str,
    /// None for a payment no PSP takes part in.
    pub provider: Option<String>,
    pub provider_reference: Option<String>,
    pub captured_amount: String,
    pub refunded_amount: String,
    /// What the seller credited to the customer's balance from this payment instead of its
    /// own means (absent when nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credited_amount: Option<String>,
    /// Why a `failed` payment failed: `bank_refused`, `authentication_failed`, `other`.
    pub failure_reason: Option<FailureReason>,
    /// The shopper's bank's dispute of this payment, if any.
    pub dispute: Option<DisputeView>,
    /// With method `instalments`: its place in the plan and, while scheduled, its due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instalment: Option<InstalmentView>,
    pub created_at: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalmentView {
    /// The plan's first instalment (its payment id).
    pub plan: String,
    /// From 1 to `count`.
    pub index: u32,
    pub count: u32,
    /// 0 for the instalment's first charge, then 1, 2 for the retries after a refusal.
    pub retry: u32,
    /// `YYYY-MM-DD` in the shop's calendar, for an instalment charged on its date.
    pub due_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisputeView {
    /// `chargeback` or `inquiry`.
    pub kind: crate::domain::DisputeKind,
    /// `needs_response`, `under_review`, `won`, `lost`, `closed`.
    pub status: &'static str,
    pub amount: String,
    /// Held back by the PSP now because of it.
    pub withdrawn: String,
    pub reason: String,
    pub respond_by: Option<String>,
    pub opened_at: String,
}

impl DisputeView {
    fn new(dispute: &Dispute, currency: crate::domain::Currency) -> Self {
        Self {
            kind: dispute.kind,
            status: dispute.status.as_str(),
            amount: currency.format(dispute.amount),
            withdrawn: currency.format(dispute.withdrawn),
            reason: dispute.reason.clone(),
            respond_by: dispute.respond_by.map(rfc3339),
            opened_at: rfc3339(dispute.opened_at),
        }
    }
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
            wallet: match payment.method {
                crate::domain::PaymentMethod::Wallet { wallet } => Some(wallet.as_str()),
                _ => None,
            },
            capture: payment.capture,
            amount: c.format(payment.amount),
            currency: c.code(),
            provider: payment.provider().map(str::to_owned),
            provider_reference: payment.provider_payment().map(str::to_owned),
            captured_amount: c.format(payment.captured_amount),
            refunded_amount: c.format(payment.refunded_amount),
            credited_amount: (!payment.credited_amount.is_zero())
                .then(|| c.format(payment.credited_amount)),
            failure_reason: payment.failure_reason(),
            dispute: payment.dispute.as_ref().map(|d| DisputeView::new(d, c)),
            instalment: payment
                .instalment()
                .map(|(plan, index, count, retry)| InstalmentView {
                    plan: plan.to_owned(),
                    index,
                    count,
                    retry,
                    due_on: payment.due_on.map(|d| d.to_string()),
                }),
            created_at: rfc3339(payment.created_at),
            expires_at: rfc3339(payment.expires_at),
        }
    }
}

/// Where the shopper goes: `redirect` to `url`; `embedded`: our page mounts the PSP's form
/// with its script (`script_url`, Stripe.js), `publishable_key` and `client_secret`;
/// `card_form`: our page posts the card to the PSP's tokenisation server at `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextAction {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publishable_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// With `bank_transfer` or `cheque`: where to send the money and what to quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<crate::domain::offline_instructions::PayInstructions>,
    /// With `card_form`: the fields to post to `url` with the card, as the PSP gave them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form_fields: Option<std::collections::BTreeMap<String, String>>,
    /// With `card_form`: the names the PSP expects for the card number, expiry (`MMYY`) and
    /// security code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_fields: Option<CardFieldsView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardFieldsView {
    pub number: String,
    pub expiry: String,
    pub security_code: String,
}

impl NextAction {
    /// The shopper sends a transfer or a cheque: the step is theirs, outside any page.
    pub fn pay_offline(instructions: crate::domain::offline_instructions::PayInstructions) -> Self {
        NextAction {
            kind: instructions.method,
            url: None,
            script_url: None,
            publishable_key: None,
            client_secret: None,
            instructions: Some(instructions),
            form_fields: None,
            card_fields: None,
        }
    }
}

impl From<super::start_payment_method::NextStep> for NextAction {
    fn from(step: super::start_payment_method::NextStep) -> Self {
        use super::start_payment_method::NextStep;
        match step {
            NextStep::Redirect(url) => NextAction {
                kind: "redirect",
                url: Some(url),
                script_url: None,
                publishable_key: None,
                client_secret: None,
                instructions: None,
                form_fields: None,
                card_fields: None,
            },
            NextStep::Embedded(page) => NextAction {
                kind: "embedded",
                url: None,
                script_url: Some(page.script_url),
                publishable_key: Some(page.publishable_key),
                client_secret: Some(page.client_secret),
                instructions: None,
                form_fields: None,
                card_fields: None,
            },
            NextStep::CardForm(form) => NextAction {
                kind: "card_form",
                url: Some(form.post_url),
                script_url: None,
                publishable_key: None,
                client_secret: None,
                instructions: None,
                form_fields: Some(form.fields.into_iter().collect()),
                card_fields: Some(CardFieldsView {
                    number: form.card_fields.number,
                    expiry: form.card_fields.expiry,
                    security_code: form.card_fields.security_code,
                }),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartedPaymentView {
    pub payment: PaymentView,
    pub next_action: Option<NextAction>,
    /// With method `instalments`: the instalments after this first one, scheduled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instalments: Vec<PaymentView>,
    /// The vouchers, credit balance and on account this checkout used, one payment each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenders: Vec<PaymentView>,
}
