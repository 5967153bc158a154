//! The Stripe dialect's handle: its objects, the base URL of its hosted pages and the shared
//! fault switches. Cheap to clone; every handler gets one as its axum state.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde_json::Value;

use super::sepa_debits;
use super::state::State;
use super::webhooks;
use crate::clock::SharedClock;
use crate::config::SandboxConfig;
use crate::faults::{self, FaultState, Faults, SharedFaults};

struct Shared {
    /// The public base URL: hosted page URLs are `<base>/sandbox-psp/…`.
    base: String,
    state: Mutex<State>,
    faults: SharedFaults,
}

#[derive(Clone)]
pub struct StripeSandbox(Arc<Shared>);

/// How often SEPA debits are looked at: immediate ones settle about 2 s after creation
/// without anyone touching the clock (the devserver's case).
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// Settles due SEPA debits until the sandbox is dropped (a weak handle does not keep it).
fn spawn_ticker(shared: Weak<Shared>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            sepa_debits::settle_due(&mut st, false);
        }
    });
}

impl StripeSandbox {
    /// Starts the webhook delivery task, so it must run inside a tokio runtime.
    pub fn new(config: &SandboxConfig, faults: SharedFaults, clock: SharedClock) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        webhooks::spawn_worker(
            config.webhook_url.clone(),
            config.webhook_secret.clone(),
            faults.clone(),
            rx,
        );
        let shared = Arc::new(Shared {
            base: config.public_base_url.trim_end_matches('/').to_owned(),
            state: Mutex::new(State::new(tx, clock)),
            faults,
        });
        spawn_ticker(Arc::downgrade(&shared));
        Self(shared)
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.lock().events.clone()
    }

    pub fn faults(&self) -> Faults {
        faults::current(&self.0.faults)
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the sandbox down with it: keep using the data.
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn faults_lock(&self) -> MutexGuard<'_, FaultState> {
        faults::lock(&self.0.faults)
    }

    /// The public base URL (`http://127.0.0.1:3000`), without the mount path.
    pub fn base(&self) -> &str {
        &self.0.base
    }
}
