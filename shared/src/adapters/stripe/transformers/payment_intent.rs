//! PaymentIntents: `POST /v1/payment_intents` (a saved card), `…/capture`, `…/cancel`, and the
//! PaymentIntent → `ProviderPayment` conversion.

use std::collections::HashMap;

use serde::Deserialize;

use super::{
    currency, field, money, timestamp, wire_amount, Expandable, Form, HasId, ObjectId, WireError,
};
use crate::domain::three_d_secure::ThreeDSecureRequest;
use crate::domain::{Money, ReleaseReason};
use crate::ports::{
    AfterCapture, PaymentFailure, ProviderError, ProviderPayment, ProviderPaymentStatus,
    SavedCardCharge,
};

/// Our metadata key for why a final capture released the rest.
const RELEASE_REASON_KEY: &str = "encaisse_release";
/// Our metadata key for the SEPA month a debit collects.
pub const DIRECT_DEBIT_KEY: &str = "direct_debit";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Succeeded,
    Canceled,
    /// A status newer than this connector: refused at conversion rather than guessed.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_capturable: i64,
    #[serde(default)]
    pub amount_received: i64,
    pub currency: String,
    pub status: PaymentIntentStatus,
    /// What the shopper's browser confirms with (Stripe.js); never logged.
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub customer: Option<Expandable<ObjectId>>,
    #[serde(default)]
    pub payment_method: Option<Expandable<ObjectId>>,
    #[serde(default)]
    pub last_payment_error: Option<LastPaymentError>,
    #[serde(default)]
    pub next_action: Option<NextAction>,
    #[serde(default)]
    pub latest_charge: Option<Expandable<Charge>>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    pub created: i64,
}

/// The latest charge, expanded (`expand[]=latest_charge`): Stripe keeps the refunded total there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Charge {
    pub id: String,
    #[serde(default)]
    pub amount_refunded: i64,
    #[serde(default)]
    pub payment_method_details: Option<ChargeMethodDetails>,
    /// Whether the charge is disputed; the dispute itself is read from `/v1/disputes`.
    #[serde(default)]
    pub disputed: bool,
    /// Radar's verdict (`risk_level`: normal, elevated, highest, not_assessed, unknown).
    #[serde(default)]
    pub outcome: Option<ChargeOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChargeOutcome {
    #[serde(default)]
    pub risk_level: Option<String>,
}

/// `payment_method_details.card.multicapture.status`: `available` | `unavailable`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChargeMethodDetails {
    #[serde(default)]
    pub card: Option<ChargeCardDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChargeCardDetails {
    #[serde(default)]
    pub multicapture: Option<Multicapture>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Multicapture {
    pub status: String,
}

impl HasId for Charge {
    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LastPaymentError {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NextAction {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub redirect_to_url: Option<RedirectToUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RedirectToUrl {
    #[serde(default)]
    pub url: Option<String>,
}

impl PaymentIntent {
    /// True when Stripe may hold refunds we cannot see: money was received but the latest
    /// charge came back as a bare id (POST responses are not expanded).
    pub fn refunds_unknown(&self) -> bool {
        self.amount_received > 0 && matches!(self.latest_charge, Some(Expandable::Id(_)))
    }

    /// The latest charge's id when it is expanded and disputed: its dispute is to be read.
    pub fn disputed_charge(&self) -> Option<String> {
        match &self.latest_charge {
            Some(Expandable::Object(charge)) if charge.disputed => Some(charge.id.clone()),
            _ => None,
        }
    }

    pub fn into_payment(self) -> Result<ProviderPayment, WireError> {
        let currency = currency(&self.currency)?;
        let amount = |minor| money(minor, currency);
        let refunded = match &self.latest_charge {
            Some(Expandable::Object(charge)) => charge.amount_refunded,
            _ => 0,
        };
        let multicapture = match &self.latest_charge {
            Some(Expandable::Object(charge)) => charge
                .payment_method_details
                .as_ref()
                .and_then(|d| d.card.as_ref())
                .and_then(|c| c.multicapture.as_ref())
                .map(|m| m.status == "available"),
            _ => None,
        };
        let risk_level = match &self.latest_charge {
            Some(Expandable::Object(charge)) => charge
                .outcome
                .as_ref()
                .and_then(|o| o.risk_level.as_deref())
                .and_then(crate::domain::fraud_review::RiskLevel::parse),
            _ => None,
        };
        let next_action_url = self
            .next_action
            .filter(|action| action.kind == "redirect_to_url")
            .and_then(|action| action.redirect_to_url)
            .and_then(|redirect| redirect.url);
        let failure = self.last_payment_error.map(|e| PaymentFailure {
            code: e.code.or(e.kind).unwrap_or_else(|| "unknown".into()),
            decline_code: e.decline_code,
            message: e.message.unwrap_or_default(),
        });
        let mut metadata = self.metadata;
        // Three failed 3-D Secure challenges end the attempt (the page offers no retry of it).
        let authentication_failed = failure
            .as_ref()
            .is_some_and(|f| f.code == "payment_intent_authentication_failure");
        Ok(ProviderPayment {
            status: match status(self.status)? {
                ProviderPaymentStatus::RequiresPaymentMethod if authentication_failed => {
                    ProviderPaymentStatus::Failed
                }
                other => other,
            },
            multicapture,
            amount: amount(self.amount)?,
            amount_capturable: amount(self.amount_capturable)?,
            amount_received: amount(self.amount_received)?,
            amount_refunded: amount(refunded)?,
            customer: self.customer.map(|c| c.id().to_owned()),
            payment_method: self.payment_method.map(|p| p.id().to_owned()),
            next_action_url,
            failure,
            order_reference: metadata.remove("order_reference"),
            payment_id: metadata.remove("payment_id"),
            release_reason: metadata
                .remove(RELEASE_REASON_KEY)
                .and_then(|text| ReleaseReason::parse(&text)),
            created_at: timestamp(self.created)?,
            id: self.id,
            dispute: None,
            risk_level,
            direct_debit: metadata.remove(DIRECT_DEBIT_KEY),
        })
    }
}

fn status(status: PaymentIntentStatus) -> Result<ProviderPaymentStatus, WireError> {
    use PaymentIntentStatus as S;
    use ProviderPaymentStatus as P;
    Ok(match status {
        S::RequiresPaymentMethod => P::RequiresPaymentMethod,
        S::RequiresConfirmation => P::RequiresConfirmation,
        S::RequiresAction => P::RequiresAction,
        S::Processing => P::Processing,
        S::RequiresCapture => P::RequiresCapture,
        S::Succeeded => P::Succeeded,
        S::Canceled => P::Canceled,
        S::Unknown => return Err(WireError("unknown payment intent status".into())),
    })
}

/// A PaymentIntent on a saved card, confirmed at once (or by the shopper): manual capture, or
/// automatic when it is taken at once (an instalment).
pub fn payment_intent_form(charge: &SavedCardCharge) -> Result<Form, ProviderError> {
    let (amount, currency) = wire_amount(&charge.amount)?;
    let capture_method = if charge.capture_at_once {
        "automatic"
    } else {
        "manual"
    };
    let mut form = vec![
        field("amount", amount),
        field("currency", currency),
        field("capture_method", capture_method),
        field("customer", &charge.customer),
        field("payment_method", &charge.payment_method),
    ];
    if charge.shopper_confirms {
        // Confirmed by the shopper with the security code, on Stripe's side (Stripe.js).
        form.push(field(
            "payment_method_options[card][require_cvc_recollection]",
            "true",
        ));
    } else {
        form.push(field("confirm", "true"));
        if let Some(url) = &charge.return_url {
            form.push(field("return_url", url));
        }
    }
    if charge.off_session {
        form.push(field("off_session", "true"));
    }
    if charge.three_d_secure == ThreeDSecureRequest::Request && !charge.off_session {
        form.push(field(
            "payment_method_options[card][request_three_d_secure]",
            "any",
        ));
    }
    form.extend([
        field("metadata[order_reference]", charge.order_reference.as_str()),
        field("metadata[payment_id]", &charge.payment_id),
    ]);
    if !charge.capture_at_once {
        // Multicapture goes with manual capture only.
        form.push(field(
            "payment_method_options[card][request_multicapture]",
            "if_available",
        ));
    }
    // The charge says whether this card allows multicapture.
    form.push(field("expand[]", "latest_charge"));
    Ok(form)
}

/// `final_capture=false` keeps the rest of the authorisation capturable (multicapture);
/// Stripe's default is a final capture, so it is only sent when false. Without an amount,
/// Stripe captures all of `amount_capturable`.
/// A reason for releasing the rest goes in the PaymentIntent's metadata (Stripe merges the
/// capture's `metadata` into it), so the webhook's read of the payment carries it too.
pub fn capture_form(amount: Option<&Money>, after: AfterCapture) -> Result<Form, ProviderError> {
    let mut form = Vec::new();
    if let Some(amount) = amount {
        let (amount, _) = wire_amount(amount)?;
        form.push(field("amount_to_capture", amount));
    }
    if !after.is_final() {
        form.push(field("final_capture", "false"));
    }
    if let Some(reason) = after.release_reason() {
        form.push(field(
            &format!("metadata[{RELEASE_REASON_KEY}]"),
            reason.as_str(),
        ));
    }
    // With the charge expanded, the answer carries the refunded total: no second read.
    form.push(field("expand[]", "latest_charge"));
    Ok(form)
}

/// The port gives no reason; the application cancels payments it no longer wants (order
/// deleted, expired or paid otherwise), which is Stripe's `abandoned`.
pub fn cancel_form() -> Form {
    vec![field("cancellation_reason", "abandoned")]
}

/// Reads carry the latest charge expanded, for the refunded amount.
pub fn payment_intent_query() -> Form {
    vec![field("expand[]", "latest_charge")]
}
