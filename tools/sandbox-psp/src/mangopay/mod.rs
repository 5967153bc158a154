//! MangoPay's dialect, under `/mangopay`: the `/v2.01` API subset the connector uses
//! (docs/mangopay-subset.md) with MangoPay's JSON shapes and statuses, the tokenisation server
//! the card form posts to, the 3-D Secure page, SEPA direct debit (IBAN bank accounts,
//! mandates and their confirmation page, direct-debit pay-ins), unsigned GET hooks, and the
//! disputes (chargebacks, late direct-debit failures) with their repudiations, and the
//! sandbox-only `_hooks`, `_expire_preauthorization`, `_settle_payin`, `_dispute_payin` and
//! `_close_dispute`. Everything lives in memory.
//!
//! Module graph (no cycles): `handle` owns `state`; `api` (auth, faults, idempotency, users,
//! wallets), `cards`, `preauths`, `payins`, `bank_accounts`, `mandates`, `mandate_pages` and
//! `debits`, `disputes` (the bank's side) and `dispute_api` are the endpoints; `errors` and `hooks` leaves.

mod api;
mod bank_accounts;
pub mod cards;
mod debits;
mod dispute_api;
mod disputes;
mod errors;
mod handle;
mod hooks;
mod mandate_pages;
mod mandates;
mod payins;
mod preauths;
mod state;

use axum::extract::{Path, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;

pub use handle::MangopaySandbox;
pub use state::Hook;

/// The dialect's routes, to be nested under `/mangopay` in the sandbox's mount.
pub fn router(psp: MangopaySandbox) -> Router {
    let api = Router::new()
        .route(&at("/users/natural"), post(api::create_natural_user))
        .route(&at("/users/legal"), post(api::create_legal_user))
        .route(&at("/users/{id}"), get(api::get_user))
        .route(&at("/users/{id}/cards"), get(cards::list_user_cards))
        .route(
            &at("/users/{id}/bankaccounts/iban"),
            post(bank_accounts::create_iban),
        )
        .route(
            &at("/users/{id}/bankaccounts/{account}"),
            get(bank_accounts::get),
        )
        .route(&at("/mandates/directdebit/web"), post(mandates::create))
        .route(&at("/mandates/{id}"), get(mandates::get))
        .route(&at("/mandates/{id}/cancel"), put(mandates::cancel))
        .route(&at("/payins/directdebit/direct"), post(debits::create))
        .route(&at("/wallets"), post(api::create_wallet))
        .route(&at("/wallets/{id}"), get(api::get_wallet))
        .route(&at("/cardregistrations"), post(cards::create_registration))
        .route(
            &at("/cardregistrations/{id}"),
            get(cards::get_registration).put(cards::update_registration),
        )
        .route(
            &at("/cards/{id}"),
            get(cards::get_card).put(cards::update_card),
        )
        .route(
            &at("/preauthorizations/card/direct"),
            post(preauths::create),
        )
        .route(
            &at("/preauthorizations/{id}"),
            get(preauths::get).put(preauths::update),
        )
        .route(
            &at("/preauthorizations/{id}/transactions"),
            get(preauths::transactions),
        )
        .route(&at("/payins/preauthorized/direct"), post(payins::capture))
        .route(&at("/payins/{id}"), get(payins::get_payin))
        .route(
            &at("/payins/{id}/refunds"),
            get(payins::list_refunds).post(payins::refund),
        )
        .route(&at("/refunds/{id}"), get(payins::get_refund))
        .route(
            &at("/payins/{id}/disputes"),
            get(dispute_api::list_for_payin),
        )
        .route(&at("/users/{id}/disputes"), get(dispute_api::list_for_user))
        .route(&at("/disputes/{id}"), get(dispute_api::get))
        .route(&at("/disputes/{id}/submit"), put(dispute_api::submit))
        .route(&at("/repudiations/{id}"), get(dispute_api::get_repudiation))
        .route(&at("/responses/{id}"), get(api::response))
        .route_layer(middleware::from_fn_with_state(psp.clone(), api::layer));
    Router::new()
        .merge(api)
        .route("/v2.01/oauth/token", post(api::token))
        .route("/tokenize/{id}", post(cards::tokenise))
        .route(
            "/3ds/{id}",
            get(preauths::challenge_page).post(preauths::challenge_submit),
        )
        .route(
            "/mandates/{id}/confirmation",
            get(mandate_pages::confirmation_page).post(mandate_pages::confirmation_submit),
        )
        .route("/mandates/{id}/document", get(mandate_pages::document))
        .merge(crate::loopback::loopback_only(
            Router::new()
                .route("/_hooks", get(list_hooks))
                .route(
                    "/_expire_preauthorization/{id}",
                    post(expire_preauthorization),
                )
                .route("/_settle_payin/{id}", post(settle_payin))
                .route("/_dispute_payin/{id}", post(dispute_payin))
                .route("/_close_dispute/{id}", post(close_dispute)),
        ))
        .with_state(psp)
}

/// An API path under `/v2.01/{ClientId}` (not nested: the layer reads the client id from
/// the path it sees).
fn at(path: &str) -> String {
    format!("/v2.01/{{client}}{path}")
}

/// Every hook so far, as `{"data": [{EventType, RessourceId, Date}]}`.
async fn list_hooks(State(psp): State<MangopaySandbox>) -> Json<serde_json::Value> {
    let hooks: Vec<_> = psp
        .hooks()
        .into_iter()
        .map(|h| json!({"EventType": h.event_type, "RessourceId": h.ressource_id, "Date": h.date}))
        .collect();
    Json(json!({ "data": hooks }))
}

async fn expire_preauthorization(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
) -> Response {
    match preauths::expire(&mut psp.lock(), &id) {
        Ok(()) => Json(json!({"Id": id, "PaymentStatus": "EXPIRED"})).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /_settle_payin/{id}`: a `CREATED` direct-debit pay-in gets its outcome now.
async fn settle_payin(State(psp): State<MangopaySandbox>, Path(id): Path<String>) -> Response {
    match debits::settle_now(&mut psp.lock(), &id) {
        Ok(payin) => Json(payin).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /_dispute_payin/{id}` `{DisputeType?, DisputeReasonType?, DisputeReasonMessage?,
/// Amount?}`: the user's bank disputes a succeeded pay-in (`disputes::open`).
async fn dispute_payin(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
    api::Body(body): api::Body<disputes::NewDispute>,
) -> Response {
    match disputes::open(&mut psp.lock(), &id, &body) {
        Ok(dispute) => Json(dispute).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /_close_dispute/{id}` `{ResultCode: WON|LOST|VOID}`: the bank decides.
async fn close_dispute(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
    api::Body(body): api::Body<disputes::Closing>,
) -> Response {
    match disputes::close(&mut psp.lock(), &id, &body) {
        Ok(dispute) => Json(dispute).into_response(),
        Err(e) => e.into_response(),
    }
}
