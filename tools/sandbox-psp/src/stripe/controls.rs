//! Sandbox-only endpoints, not part of Stripe and without an API key: the event log, moving
//! time forward for one PaymentIntent or for the whole sandbox (`/_clock`, which settles SEPA
//! debits), and a SEPA debit's late return.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

use super::captures;
use super::errors::ApiError;
use super::handle::StripeSandbox;
use super::sepa_debits;

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

/// `{"now": <unix seconds>}` of the sandbox clock.
fn clock_json(st: &super::state::State) -> Json<Value> {
    Json(serde_json::json!({ "now": st.now() }))
}

/// `GET /_clock`: the sandbox clock (wall time plus what `POST /_clock` added).
pub async fn clock(State(psp): State<StripeSandbox>) -> Json<Value> {
    clock_json(&psp.lock())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    advance_seconds: i64,
}

/// Up to about ten years at once; the clock never goes back.
const MAX_ADVANCE_S: i64 = 10 * 366 * 86_400;

/// `POST /_clock` `{"advance_seconds": N}`: the sandbox clock moves N seconds forward, and
/// every SEPA debit whose moment has come (all the immediate ones) settles now, its webhooks
/// sent.
pub async fn advance_clock(
    State(psp): State<StripeSandbox>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let advance: Advance = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid(None, &format!("Expected {{\"advance_seconds\": N}}: {e}"))
    })?;
    if !(0..=MAX_ADVANCE_S).contains(&advance.advance_seconds) {
        return Err(ApiError::invalid(
            Some("advance_seconds"),
            &format!("advance_seconds must be between 0 and {MAX_ADVANCE_S}."),
        ));
    }
    let mut st = psp.lock();
    st.clock.advance(advance.advance_seconds);
    sepa_debits::settle_due(&mut st, true);
    Ok(clock_json(&st))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Return {
    reason: String,
}

/// `POST /_sepa/{pi}/return` `{"reason": "insufficient_funds"}`: the debtor's bank takes a
/// succeeded SEPA debit back, as Stripe reports a late failure: a final dispute on its charge.
/// Answers the Dispute.
pub async fn sepa_return(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let ret: Return = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(None, &format!("Expected {{\"reason\": …}}: {e}")))?;
    let mut st = psp.lock();
    let dispute = sepa_debits::return_debit(&mut st, &id, &ret.reason)?;
    Ok(Json(
        st.disputes
            .get(&dispute)
            .map(super::state::to_json)
            .unwrap_or_default(),
    ))
}
