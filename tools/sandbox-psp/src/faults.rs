//! Fault switches, shared by every dialect and set at run time through `POST
//! /sandbox-psp/_faults`: latency and 500s on the API calls, duplicated and reordered webhooks,
//! pending refunds. Failures are chosen by counting calls, never by chance, so tests replay
//! exactly.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Faults {
    /// Added before answering each /v1 call.
    pub latency_ms: u64,
    /// Fraction of /v1 calls answered 500 `api_error`: 0.25 fails calls 4, 8, 12… counted from
    /// when the rate was set. A ratio, not money.
    pub error_rate: f64,
    /// The next N /v1 calls answer 500 (before `error_rate` is applied).
    pub fail_next: u32,
    /// The next N /v1 calls answer 429 `rate_limit_error` (after `fail_next`).
    pub rate_limit_next: u32,
    /// Deliver every webhook twice.
    pub duplicate_webhooks: bool,
    /// Hold events arriving close together and deliver each batch in reverse order.
    pub reorder_webhooks: bool,
    /// Refunds start `pending` and succeed shortly after (`refund.updated`).
    pub pending_refunds: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsPatch {
    latency_ms: Option<u64>,
    error_rate: Option<f64>,
    fail_next: Option<u32>,
    rate_limit_next: Option<u32>,
    duplicate_webhooks: Option<bool>,
    reorder_webhooks: Option<bool>,
    pending_refunds: Option<bool>,
}

const MAX_LATENCY_MS: u64 = 60_000;

/// The switches and their call counters, shared by the dialects and the webhook workers.
pub type SharedFaults = Arc<Mutex<FaultState>>;

/// Locks the switches; a panic elsewhere must not take the sandbox down with it.
pub fn lock(faults: &SharedFaults) -> MutexGuard<'_, FaultState> {
    faults.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn current(faults: &SharedFaults) -> Faults {
    lock(faults).faults.clone()
}

/// `GET` and `POST /_faults`, without an API key.
pub fn router(faults: SharedFaults) -> Router {
    crate::loopback::loopback_only(
        Router::new()
            .route("/_faults", get(get_faults).post(set_faults))
            .route("/_calls", get(get_calls))
            .with_state(faults),
    )
}

#[derive(Debug, Default)]
pub struct FaultState {
    pub faults: Faults,
    calls: u64,
    failed: u64,
    /// Every authenticated /v1 call since start, and the latest few (`GET /_calls`): what a
    /// flow costs at the PSP, for the benchmark.
    api_calls: u64,
    recent_calls: std::collections::VecDeque<String>,
}

/// How many calls `GET /_calls` lists.
const RECENT_CALLS: usize = 200;

/// What a /v1 call meets instead of the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    Nothing,
    ServerError,
    RateLimited,
}

impl FaultState {
    /// Notes one /v1 call (`POST /v1/payment_intents`).
    pub fn record_call(&mut self, call: String) {
        self.api_calls += 1;
        if self.recent_calls.len() == RECENT_CALLS {
            self.recent_calls.pop_front();
        }
        self.recent_calls.push_back(call);
    }

    /// Counts one /v1 call: the latency to add and the fault to answer with, if any.
    pub fn tick(&mut self) -> (u64, Injected) {
        let latency = self.faults.latency_ms;
        if self.faults.fail_next > 0 {
            self.faults.fail_next -= 1;
            return (latency, Injected::ServerError);
        }
        if self.faults.rate_limit_next > 0 {
            self.faults.rate_limit_next -= 1;
            return (latency, Injected::RateLimited);
        }
        if self.faults.error_rate <= 0.0 {
            return (latency, Injected::Nothing);
        }
        self.calls += 1;
        // Fail whenever calls × rate crosses the next integer: evenly spread, reproducible.
        let due = (self.calls as f64 * self.faults.error_rate).floor() as u64;
        if due > self.failed {
            self.failed = due;
            return (latency, Injected::ServerError);
        }
        (latency, Injected::Nothing)
    }
}

/// 400 in the shape every Stripe client reads (`invalid_request_error`).
fn invalid(param: Option<&str>, message: &str) -> Response {
    let mut error = serde_json::json!({ "type": "invalid_request_error", "message": message });
    if let Some(p) = param {
        error["param"] = p.into();
    }
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": error })),
    )
        .into_response()
}

/// `GET /_calls`: the /v1 calls counted since start, and the latest ones, oldest first.
async fn get_calls(State(faults): State<SharedFaults>) -> Json<serde_json::Value> {
    let state = lock(&faults);
    Json(serde_json::json!({
        "total": state.api_calls,
        "recent": state.recent_calls,
    }))
}

async fn get_faults(State(faults): State<SharedFaults>) -> Json<Faults> {
    Json(current(&faults))
}

/// Partial update: only the fields given change.
async fn set_faults(State(faults): State<SharedFaults>, body: Bytes) -> Response {
    let patch: FaultsPatch = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return invalid(None, &format!("Invalid faults JSON: {e}")),
    };
    if let Some(rate) = patch.error_rate {
        if !(0.0..=1.0).contains(&rate) {
            return invalid(Some("error_rate"), "error_rate must be between 0.0 and 1.0");
        }
    }
    if patch.latency_ms.is_some_and(|l| l > MAX_LATENCY_MS) {
        return invalid(Some("latency_ms"), "latency_ms must be at most 60000");
    }
    let mut fs = lock(&faults);
    let f = &mut fs.faults;
    if let Some(v) = patch.latency_ms {
        f.latency_ms = v;
    }
    if let Some(v) = patch.error_rate {
        f.error_rate = v;
    }
    if let Some(v) = patch.fail_next {
        f.fail_next = v;
    }
    if let Some(v) = patch.rate_limit_next {
        f.rate_limit_next = v;
    }
    if let Some(v) = patch.duplicate_webhooks {
        f.duplicate_webhooks = v;
    }
    if let Some(v) = patch.reorder_webhooks {
        f.reorder_webhooks = v;
    }
    if let Some(v) = patch.pending_refunds {
        f.pending_refunds = v;
    }
    if patch.error_rate.is_some() {
        fs.calls = 0;
        fs.failed = 0;
    }
    (StatusCode::OK, Json(fs.faults.clone())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_is_evenly_spread() {
        let mut fs = FaultState::default();
        fs.faults.error_rate = 0.25;
        let fails: Vec<bool> = (0..8)
            .map(|_| fs.tick().1 == Injected::ServerError)
            .collect();
        assert_eq!(
            fails,
            [false, false, false, true, false, false, false, true]
        );
        fs.faults.fail_next = 1;
        fs.faults.rate_limit_next = 1;
        assert_eq!(fs.tick().1, Injected::ServerError);
        assert_eq!(fs.tick().1, Injected::RateLimited);
    }
}
