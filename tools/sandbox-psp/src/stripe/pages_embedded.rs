//! Embedded Checkout: a session created with `ui_mode=embedded` is shown inside the shop's
//! page. `GET /js/v3.js` is the sandbox's stand-in for Stripe.js (`initEmbeddedCheckout`),
//! which frames `/embedded/{id}?client_secret=…`: the same card form as the hosted page, whose
//! outcome sends the whole window (not the frame) on to the challenge or the shop's
//! `return_url`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::handle::StripeSandbox;
use super::pages::{escape, not_found, page, show_card_form, take_card, FormTarget, Shown, Taken};
use super::state::State as Psp;

const STRIPE_JS: &str = include_str!("../../assets/stripe-v3.js");

/// `GET /js/v3.js`.
pub async fn stripe_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        STRIPE_JS,
    )
        .into_response()
}

fn client_secret(raw: &[u8]) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(k, _)| k == "client_secret")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// Whether `secret` is session `id`'s own (an embedded session's).
fn owns(st: &Psp, id: &str, secret: &str) -> bool {
    st.sessions
        .get(id)
        .and_then(|cs| cs.embedded.as_ref())
        .is_some_and(|e| bool::from(e.client_secret.as_bytes().ct_eq(secret.as_bytes())))
}

fn target<'a>(id: &str, secret: &'a str) -> FormTarget<'a> {
    FormTarget {
        action: format!("/sandbox-psp/embedded/{id}"),
        client_secret: Some(secret),
    }
}

/// A page that moves the whole window (the shop's page around the frame) to `url`.
fn leave_frame(url: &str) -> Response {
    let json = serde_json::to_string(url).unwrap_or_else(|_| "\"/\"".into());
    page(
        StatusCode::OK,
        "Continue",
        &format!(
            "<p><a href=\"{}\" target=\"_top\">Continue</a></p>\n\
             <script>window.top.location.href = {json};</script>",
            escape(url)
        ),
    )
}

pub async fn embedded_page(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let secret = client_secret(query.unwrap_or_default().as_bytes());
    let mut st = psp.lock();
    if !owns(&st, &id, &secret) {
        return not_found();
    }
    match show_card_form(&mut st, &id, &target(&id, &secret)) {
        Shown::Form(form) => form,
        // A pending challenge or a closed session: shown in the whole window.
        Shown::Elsewhere(elsewhere) => match elsewhere.headers().get(header::LOCATION) {
            Some(to) => leave_frame(to.to_str().unwrap_or("/")),
            None => elsewhere,
        },
    }
}

pub async fn embedded_submit(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let secret = client_secret(&body);
    let mut st = psp.lock();
    if !owns(&st, &id, &secret) {
        return not_found();
    }
    match take_card(&mut st, psp.base(), &id, &body, &target(&id, &secret)) {
        Taken::Next(next) => leave_frame(&next),
        Taken::Page(form) => form,
    }
}
