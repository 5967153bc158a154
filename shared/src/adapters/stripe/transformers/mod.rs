//! Stripe's wire types and their conversions to and from the port's types. Nothing here does
//! I/O; nothing outside the connector sees these types.
//!
//! Responses are parsed leniently (Stripe adds fields without notice): unknown fields are
//! ignored, anything Stripe may omit or null is an `Option` or `#[serde(default)]`. Requests are
//! form fields in Stripe's bracket notation, kept as ordered pairs so tests can assert them.

pub mod amounts;
mod checkout_session;
mod customer;
mod dispute;
mod error;
mod event;
mod mandate;
mod payment_intent;
mod payment_method;
mod refund;

pub use checkout_session::{checkout_session_form, CheckoutSession, CheckoutSessionStatus};
pub use customer::{customer_form, Customer};
pub use dispute::{disputes_query, DisputeList, StripeDispute};
pub use error::{ErrorBody, ErrorEnvelope};
pub use event::parse_event;
pub use mandate::{
    mandate_setup_form, sepa_debit_form, setup_session_query, SepaDebitDetails, SetupIntent,
    StripeMandate,
};
pub use payment_intent::{
    cancel_form, capture_form, payment_intent_form, payment_intent_query, PaymentIntent,
};
pub use payment_method::{
    card_update_form, payment_methods_query, PaymentMethod, PaymentMethodList,
};
pub use refund::{refund_form, Refund};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::domain::{Currency, Money};
use crate::ports::ProviderError;

/// Form fields (or query parameters) in order, with bracket keys.
pub type Form = Vec<(String, String)>;

pub(crate) fn field(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_owned(), value.into())
}

/// A Stripe response we could not make sense of. The connector reports it as `Unavailable`
/// (the outcome at Stripe is unknown to us), webhooks as an invalid payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected Stripe response: {0}")]
pub struct WireError(pub String);

impl From<WireError> for ProviderError {
    fn from(e: WireError) -> Self {
        ProviderError::Unavailable(e.to_string())
    }
}

/// A field Stripe returns either as an id or, when asked with `expand[]`, as the object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    Id(String),
    Object(T),
}

/// The part of any expanded object we need when only its id matters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ObjectId {
    pub id: String,
}

pub trait HasId {
    fn id(&self) -> &str;
}

impl HasId for ObjectId {
    fn id(&self) -> &str {
        &self.id
    }
}

impl<T: HasId> Expandable<T> {
    pub fn id(&self) -> &str {
        match self {
            Expandable::Id(id) => id,
            Expandable::Object(object) => object.id(),
        }
    }
}

/// Minor units and the lower-case currency code Stripe expects.
/// `money` as Stripe's `amount` (its own minor units, see `amounts`) and `currency`.
pub fn wire_amount(money: &Money) -> Result<(String, String), ProviderError> {
    let minor = amounts::to_wire(money)
        .map_err(|e| ProviderError::InvalidRequest(format!("amount: {e}")))?;
    Ok((
        minor.to_string(),
        money.currency().code().to_ascii_lowercase(),
    ))
}

/// Stripe sends `eur`; our currency table is upper case.
pub fn currency(code: &str) -> Result<Currency, WireError> {
    Currency::from_code(&code.to_ascii_uppercase())
        .map_err(|_| WireError(format!("unsupported currency {code:?}")))
}

pub fn money(minor: i64, currency: Currency) -> Result<Money, WireError> {
    amounts::from_wire(minor, currency)
        .map_err(|e| WireError(format!("amount {minor} {currency}: {e}")))
}

pub fn timestamp(unix: i64) -> Result<OffsetDateTime, WireError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| WireError(format!("timestamp {unix} out of range")))
}

#[cfg(test)]
mod tests;
