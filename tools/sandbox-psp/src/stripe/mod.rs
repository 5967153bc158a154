//! Stripe's dialect: exactly the API subset in docs/stripe-subset.md with Stripe's JSON shapes
//! (`/v1`), hosted Checkout and 3-D Secure pages, signed webhooks, and the sandbox-only
//! `_events` and `_expire_authorisation`. Everything lives in memory.
//!
//! Module graph (no cycles): `handle` owns `state`; `api/*`, `pages*` and `controls` are the
//! HTTP faces; `payments`, `captures` and `sessions` change objects and emit events;
//! `disputes` follows a captured charge's dispute; `cards`, `errors`, `forms` and `webhooks`
//! are leaves.

mod api;
mod captures;
pub mod cards;
mod controls;
mod disputes;
mod errors;
mod fixed;
mod forms;
mod handle;
mod iban;
pub(crate) mod pages;
mod pages_3ds;
mod pages_confirm;
mod pages_embedded;
mod pages_sepa;
mod pages_wallet;
mod payments;
mod sepa_debits;
mod sepa_objects;
mod sepa_setup;
mod sessions;
mod state;
pub mod webhooks;

use axum::routing::{get, post};
use axum::Router;

pub use handle::StripeSandbox;

/// The dialect's routes, at the root of the sandbox's mount.
pub fn router(psp: StripeSandbox) -> Router {
    Router::new()
        .nest("/v1", api::router(psp.clone()))
        .route(
            "/checkout/{id}",
            get(pages::checkout_page).post(pages::checkout_submit),
        )
        .route(
            "/embedded/{id}",
            get(pages_embedded::embedded_page).post(pages_embedded::embedded_submit),
        )
        .route("/js/v3.js", get(pages_embedded::stripe_js))
        .route("/mandates/{id}", get(pages_sepa::mandate_page))
        .route(
            "/confirm/{id}",
            get(pages_confirm::confirm_page).post(pages_confirm::confirm_submit),
        )
        .route(
            "/3ds/{id}",
            get(pages_3ds::challenge_page).post(pages_3ds::challenge_submit),
        )
        .merge(crate::loopback::loopback_only(
            Router::new()
                .route("/_events", get(controls::list_events))
                .route(
                    "/_expire_authorisation/{id}",
                    post(controls::expire_authorisation),
                )
                .route(
                    "/_clock",
                    get(controls::clock).post(controls::advance_clock),
                )
                .route("/_sepa/{id}/return", post(controls::sepa_return)),
        ))
        .with_state(psp)
}
