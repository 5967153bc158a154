//! The sandbox PSP: a Stripe-compatible server for local runs and tests, mounted under
//! `/sandbox-psp/`. It implements exactly the API subset in docs/stripe-subset.md with Stripe's
//! JSON shapes, plus hosted checkout and 3-D Secure pages, signed webhooks and fault switches.
//! Everything lives in memory.

mod api;
mod api_checkout;
mod api_intents;
mod captures;
mod cards;
mod errors;
mod faults;
mod forms;
mod pages;
mod pages_3ds;
mod payments;
mod sessions;
mod state;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State as AxumState;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub use cards::TEST_CARDS;
pub use faults::Faults;
pub use webhooks::sign as sign_webhook;

use faults::FaultState;
use state::State;

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where browsers reach the devserver (`http://127.0.0.1:3000`): hosted page URLs use it.
    pub public_base_url: String,
    /// Webhook endpoint; None keeps events in memory only (`GET /sandbox-psp/_events`).
    pub webhook_url: Option<String>,
    /// Endpoint signing secret (`whsec_…`), the HMAC key of `Stripe-Signature`.
    pub webhook_secret: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:3000".into(),
            webhook_url: None,
            webhook_secret: "whsec_sandbox".into(),
        }
    }
}

struct Shared {
    base: String,
    state: Mutex<State>,
    faults: Arc<Mutex<FaultState>>,
}

/// Handle on one sandbox: cheap to clone, shared by its router and the tests.
#[derive(Clone)]
pub struct SandboxPsp(Arc<Shared>);

impl SandboxPsp {
    /// Starts the webhook delivery task, so it must run inside a tokio runtime.
    pub fn new(config: SandboxConfig) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let faults = Arc::new(Mutex::new(FaultState::default()));
        webhooks::spawn_worker(
            config.webhook_url.clone(),
            config.webhook_secret.clone(),
            faults.clone(),
            rx,
        );
        Self(Arc::new(Shared {
            base: config.public_base_url.trim_end_matches('/').to_owned(),
            state: Mutex::new(State::new(tx)),
            faults,
        }))
    }

    /// The routes, to be nested under `/sandbox-psp`.
    pub fn router(&self) -> Router {
        Router::new()
            .nest("/v1", api::router(self.clone()))
            .route(
                "/checkout/{id}",
                get(pages::checkout_page).post(pages::checkout_submit),
            )
            .route(
                "/3ds/{id}",
                get(pages_3ds::challenge_page).post(pages_3ds::challenge_submit),
            )
            .route("/_events", get(list_events))
            .route("/_faults", get(faults::get_faults).post(faults::set_faults))
            .with_state(self.clone())
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.lock().events.clone()
    }

    pub fn faults(&self) -> Faults {
        self.faults_lock().faults.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the sandbox down with it: keep using the data.
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults_lock(&self) -> MutexGuard<'_, FaultState> {
        self.0.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn base(&self) -> &str {
        &self.0.base
    }
}

async fn list_events(AxumState(psp): AxumState<SandboxPsp>) -> Json<Value> {
    let events = psp.events();
    Json(serde_json::json!({ "object": "list", "data": events, "has_more": false }))
}

/// A Stripe-style id: the prefix and 24 random hex digits.
pub(crate) fn new_id(prefix: &str) -> String {
    let raw = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{}", &raw[..24])
}

/// Unix seconds, as Stripe's `created`.
pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
