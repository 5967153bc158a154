//! Checkout Sessions: the hosted payment page (`POST /v1/checkout/sessions`, `GET …/{id}`,
//! `POST …/{id}/expire`).

use serde::Deserialize;

use super::{field, wire_amount, Expandable, Form, ObjectId, WireError};
use crate::domain::three_d_secure::ThreeDSecureRequest;
use crate::ports::ProviderError;
use crate::ports::{HostedPayment, HostedPaymentRequest, HostedPaymentState, HostedPaymentStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutSessionStatus {
    Open,
    Complete,
    Expired,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    /// Null once the session is complete or expired.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub status: Option<CheckoutSessionStatus>,
    /// Null until the shopper submits a card.
    #[serde(default)]
    pub payment_intent: Option<Expandable<ObjectId>>,
    /// Setup mode (a SEPA mandate): the SetupIntent, expanded when asked.
    #[serde(default)]
    pub setup_intent: Option<Expandable<super::SetupIntent>>,
    /// Our ids, set when the session was created.
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
    /// Embedded sessions only: what Stripe.js mounts it with; never logged.
    #[serde(default)]
    pub client_secret: Option<String>,
}

impl CheckoutSession {
    /// `script`: Stripe.js and the publishable key, for an embedded session.
    pub fn into_hosted_payment(
        self,
        script: Option<&crate::adapters::stripe::EmbeddedScript>,
    ) -> Result<HostedPayment, WireError> {
        let Some(script) = script else {
            let url = self
                .url
                .ok_or_else(|| WireError(format!("checkout session {} has no url", self.id)))?;
            return Ok(HostedPayment {
                session_id: self.id,
                url: Some(url),
                embedded: None,
            });
        };
        let client_secret = self.client_secret.ok_or_else(|| {
            WireError(format!(
                "embedded checkout session {} has no client secret",
                self.id
            ))
        })?;
        Ok(HostedPayment {
            session_id: self.id,
            url: None,
            embedded: Some(crate::ports::EmbeddedPage {
                script_url: script.script_url.clone(),
                publishable_key: script.publishable_key.clone(),
                client_secret,
            }),
        })
    }

    pub fn into_status(self) -> Result<HostedPaymentStatus, WireError> {
        let state = match self.status {
            Some(CheckoutSessionStatus::Open) => HostedPaymentState::Open,
            Some(CheckoutSessionStatus::Complete) => HostedPaymentState::Complete,
            Some(CheckoutSessionStatus::Expired) => HostedPaymentState::Expired,
            Some(CheckoutSessionStatus::Unknown) | None => {
                return Err(WireError(format!(
                    "checkout session {} has no known status",
                    self.id
                )))
            }
        };
        let mut metadata = self.metadata;
        Ok(HostedPaymentStatus {
            session_id: self.id,
            state,
            payment: self.payment_intent.map(|p| p.id().to_owned()),
            order_reference: metadata.remove("order_reference"),
            payment_id: metadata.remove("payment_id"),
        })
    }
}

/// Checkout's `payment_method_types` for a page: `card` (with its wallets), `paypal`, `alipay`.
fn method_type(wallet: Option<crate::domain::Wallet>) -> &'static str {
    use crate::domain::Wallet;
    match wallet {
        None | Some(Wallet::ApplePay | Wallet::GooglePay) => "card",
        Some(Wallet::Paypal) => "paypal",
        Some(Wallet::Alipay) => "alipay",
    }
}

/// One line for the whole order amount, authorised with manual capture (multicapture when the
/// card allows it, for shipments in several parts).
pub fn checkout_session_form(request: &HostedPaymentRequest) -> Result<Form, ProviderError> {
    let (amount, currency) = wire_amount(&request.amount)?;
    let reference = request.order_reference.as_str();
    let mut form = vec![field("mode", "payment")];
    if request.embedded {
        // In our page: no cancel button (the shopper stays on our page), one way back.
        form.extend([
            field("ui_mode", "embedded"),
            field("return_url", &request.success_url),
        ]);
    } else {
        form.extend([
            field("success_url", &request.success_url),
            field("cancel_url", &request.cancel_url),
        ]);
    }
    // Stripe refuses both at once; the customer already carries the email.
    match &request.customer {
        Some(customer) => form.push(field("customer", customer)),
        None => form.push(field("customer_email", &request.customer_email)),
    }
    form.extend([
        field("client_reference_id", reference),
        field("line_items[0][price_data][currency]", currency),
        field("line_items[0][price_data][unit_amount]", amount),
        field(
            "line_items[0][price_data][product_data][name]",
            &request.description,
        ),
        field("line_items[0][quantity]", "1"),
        // Apple Pay and Google Pay are card wallets on Checkout's card page.
        field("payment_method_types[0]", method_type(request.wallet)),
        field(
            "payment_intent_data[capture_method]",
            if request.capture_at_once {
                "automatic"
            } else {
                "manual"
            },
        ),
    ]);
    let card = method_type(request.wallet) == "card";
    if request.save_card && card {
        form.push(field(
            "payment_intent_data[setup_future_usage]",
            "off_session",
        ));
    }
    form.extend([
        field("payment_intent_data[metadata][order_reference]", reference),
        field(
            "payment_intent_data[metadata][payment_id]",
            &request.payment_id,
        ),
        field("metadata[order_reference]", reference),
        field("metadata[payment_id]", &request.payment_id),
        field(
            "expires_at",
            request.expires_at.unix_timestamp().to_string(),
        ),
    ]);
    if card {
        form.push(field(
            "payment_method_options[card][request_multicapture]",
            "if_available",
        ));
    }
    // Stripe's default is `automatic`; it has no way to skip 3-D Secure (capabilities).
    if card && request.three_d_secure == ThreeDSecureRequest::Request {
        form.push(field(
            "payment_method_options[card][request_three_d_secure]",
            "any",
        ));
    }
    Ok(form)
}
