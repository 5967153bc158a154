//! Webhook events: `{id, type, created, data: {object: {…}}}`, parsed only as far as needed to
//! know what to re-fetch (events are hints, the PSP's objects are the truth).

use serde::Deserialize;

use super::{timestamp, Expandable, ObjectId, WireError};
use crate::ports::WebhookEvent;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "unix_seconds")]
    pub created: i64,
    #[serde(default)]
    pub data: Option<EventData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventData {
    #[serde(default)]
    pub object: Option<EventObject>,
}

/// The fields shared by the objects events carry (PaymentIntent, Checkout Session, Refund,
/// Charge, Dispute); the rest is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventObject {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<Expandable<ObjectId>>,
}

impl Event {
    pub fn into_webhook_event(self) -> Result<WebhookEvent, WireError> {
        let object = self.data.and_then(|d| d.object);
        let (kind, id, payment_intent) = match object {
            Some(o) => (o.object, o.id, o.payment_intent),
            None => (None, None, None),
        };
        let payment_intent = payment_intent.map(|p| p.id().to_owned());
        let (payment, session, refund) = match kind.as_deref() {
            Some("payment_intent") => (id, None, None),
            Some("checkout.session") => (payment_intent, id, None),
            Some("refund") => (payment_intent, None, id),
            Some("charge") => (payment_intent, None, None),
            // charge.dispute.*: the payment is re-read, and its dispute with it.
            Some("dispute") => (payment_intent, None, None),
            _ => (None, None, None),
        };
        Ok(WebhookEvent {
            created_at: timestamp(self.created)?,
            id: self.id,
            kind: self.kind,
            payment,
            session,
            refund,
            // Stripe's `mandate.updated` names no customer of ours: not followed.
            mandate: None,
        })
    }
}

/// `created` as openapi.yaml's `type: integer` reads it: Stripe sends an integer, and a whole
/// number written with a fraction (`1742573.0`) is that integer too (JSON Schema's rule, as
/// `app::validate::whole_number` for request bodies); `0.5` stays unreadable.
fn unix_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(d)?;
    if let Some(whole) = number.as_i64() {
        return Ok(whole);
    }
    match number.as_f64() {
        // Below 2^53 every whole f64 is exactly one integer.
        Some(v) if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 => Ok(v as i64),
        _ => Err(D::Error::custom(format!(
            "created: {number} is not a Unix time"
        ))),
    }
}

pub fn parse_event(payload: &[u8]) -> Result<WebhookEvent, WireError> {
    let event: Event =
        serde_json::from_slice(payload).map_err(|e| WireError(format!("event: {e}")))?;
    event.into_webhook_event()
}
