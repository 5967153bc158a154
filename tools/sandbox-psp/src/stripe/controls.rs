//! Sandbox-only endpoints, not part of Stripe and without an API key: the event log, and
//! moving time forward for one PaymentIntent.

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use super::handle::StripeSandbox;

/// `GET /_events`: every event so far, oldest first.
pub async fn list_events(State(psp): State<StripeSandbox>) -> Json<Value> {
    let events = psp.events();
    Json(serde_json::json!({ "object": "list", "data": events, "has_more": false }))
}
