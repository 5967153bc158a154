//! The sandbox PSP: an in-memory server that speaks a real PSP's API, for local runs and tests.
//! Served under [`MOUNT`] by the devserver (`encaisse-dev`) or alone by this crate's binary.
//!
//! Each PSP's dialect lives in its own module and is mounted by [`SandboxPsp::router`]:
//! `stripe/` (docs/stripe-subset.md: `/v1` API, hosted Checkout and 3-D Secure pages, signed
//! webhooks, sandbox-only `_events` and `_expire_authorisation`) is at the root of the mount,
//! as Stripe clients expect `<base>/v1/…`; `mangopay/` (docs/mangopay-subset.md: `/v2.01`
//! API, tokenisation server, 3-D Secure page, unsigned GET hooks) under `/mangopay`.
//! Shared by all dialects: the configuration, ids, and the fault switches (`/_faults`).

mod clock;
mod config;
mod faults;
mod iban;
mod ids;
pub mod loopback;
pub mod mangopay;
pub mod stripe;

use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::Value;

pub use config::SandboxConfig;
pub use faults::Faults;
pub use stripe::cards::TEST_CARDS;
pub use stripe::webhooks::sign as sign_webhook;

use faults::{FaultState, SharedFaults};
use mangopay::MangopaySandbox;
use stripe::StripeSandbox;

/// Where the sandbox's routes are nested (hosted pages link to themselves under it).
pub const MOUNT: &str = "/sandbox-psp";

/// Handle on one sandbox: cheap to clone, shared by its router and the tests.
#[derive(Clone)]
pub struct SandboxPsp {
    faults: SharedFaults,
    stripe: StripeSandbox,
    mangopay: MangopaySandbox,
}

impl SandboxPsp {
    /// Starts the webhook delivery task, so it must run inside a tokio runtime.
    pub fn new(config: SandboxConfig) -> Self {
        Self::with_mangopay_hooks(config, None)
    }

    /// With MangoPay's hooks called (`GET`) at `hook_url`; without one they are only listed
    /// (`GET /sandbox-psp/mangopay/_hooks`).
    pub fn with_mangopay_hooks(config: SandboxConfig, hook_url: Option<String>) -> Self {
        let faults: SharedFaults = Arc::new(Mutex::new(FaultState::default()));
        // One sandbox clock: `POST /_clock` moves time for both dialects' SEPA debits.
        let clock = clock::SharedClock::default();
        Self {
            stripe: StripeSandbox::new(&config, faults.clone(), clock.clone()),
            mangopay: MangopaySandbox::new(
                &config.public_base_url,
                hook_url,
                faults.clone(),
                clock,
            ),
            faults,
        }
    }

    /// The routes, to be nested under [`MOUNT`].
    pub fn router(&self) -> Router {
        Router::new()
            .merge(stripe::router(self.stripe.clone()))
            .nest("/mangopay", mangopay::router(self.mangopay.clone()))
            .merge(faults::router(self.faults.clone()))
    }

    /// [`Self::router`] nested under [`MOUNT`], for a server of its own.
    pub fn app(&self) -> Router {
        Router::new().nest(MOUNT, self.router())
    }

    /// Every Stripe event so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.stripe.events()
    }

    /// The MangoPay dialect (its hooks, its token count).
    pub fn mangopay(&self) -> &MangopaySandbox {
        &self.mangopay
    }

    pub fn faults(&self) -> Faults {
        faults::current(&self.faults)
    }
}
