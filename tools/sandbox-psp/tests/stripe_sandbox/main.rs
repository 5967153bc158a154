//! The sandbox PSP's Stripe dialect over real HTTP: its own server on 127.0.0.1:0, driven with
//! reqwest like the stripe connector would, webhooks received by a small axum server that
//! checks every Stripe-Signature. One test binary, one module per area.

mod api;
mod checkout;
mod controls;
mod disputes;
mod faults;
mod multicapture;
mod saved_cards;
mod schema_check;
mod sepa;
mod spec;
mod support;
mod wallets;
mod webhooks;
