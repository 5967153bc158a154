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
        })
    }
}

pub fn parse_event(payload: &[u8]) -> Result<WebhookEvent, WireError> {
    let event: Event =
        serde_json::from_slice(payload).map_err(|e| WireError(format!("event: {e}")))?;
    event.into_webhook_event()
}
