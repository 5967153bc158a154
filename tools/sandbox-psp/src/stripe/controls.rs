//! Sandbox-only endpoints, not part of Stripe and without an API key: the event log, and
//! moving time forward for one PaymentIntent.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

use super::captures;
use super::errors::ApiError;
use super::handle::StripeSandbox;

/// `GET /_events`: every event so far, oldest first.
pub async fn list_events(State(psp): State<StripeSandbox>) -> Json<Value> {
    let events = psp.events();
    Json(serde_json::json!({ "object": "list", "data": events, "has_more": false }))
}

/// `POST /_expire_authorisation/{id}`: seven days pass for a `requires_capture`
/// PaymentIntent, which Stripe then cancels (`cancellation_reason: automatic`, webhook
/// `payment_intent.canceled`). Answers the PaymentIntent; 400 in another status, 404 unknown.
pub async fn expire_authorisation(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut st = psp.lock();
    captures::expire_authorisation(&mut st, &id)?;
    Ok(Json(st.intent_json(&id)))
}
