//! The /v1 API: Stripe's bearer auth, fault injection, idempotency keys and request ids around
//! every endpoint (here), the endpoints in customers / checkout / intents / refunds / disputes, their
//! shared parameter checks in params. Only this module imports the others.

mod auth;
mod checkout;
mod checkout_setup;
mod customers;
mod disputes;
mod idempotency;
mod intents;
mod params;
mod payment_methods;
mod refunds;
mod sepa;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;

use super::errors::ApiError;
use super::handle::StripeSandbox;
use super::state::ReqCtx;
use crate::faults::Injected;
use crate::ids::new_id;

pub fn router(psp: StripeSandbox) -> Router<StripeSandbox> {
    Router::new()
        .route("/customers", post(customers::create))
        .route("/customers/{id}", get(customers::retrieve))
        .route("/payment_methods", get(customers::list_payment_methods))
        .route(
            "/payment_methods/{id}",
            get(sepa::payment_method).post(payment_methods::update),
        )
        .route("/setup_intents/{id}", get(sepa::setup_intent))
        .route("/mandates/{id}", get(sepa::mandate))
        .route(
            "/payment_methods/{id}/detach",
            post(payment_methods::detach),
        )
        .route("/checkout/sessions", post(checkout::create))
        .route("/checkout/sessions/{id}", get(checkout::retrieve))
        .route("/checkout/sessions/{id}/expire", post(checkout::expire))
        .route("/payment_intents", post(intents::create))
        .route("/payment_intents/{id}", get(intents::retrieve))
        .route("/payment_intents/{id}/confirm", post(intents::confirm))
        .route("/payment_intents/{id}/capture", post(intents::capture))
        .route("/payment_intents/{id}/cancel", post(intents::cancel))
        .route("/refunds", post(refunds::create))
        .route("/refunds/{id}", get(refunds::retrieve))
        .route("/disputes", get(disputes::list))
        .route(
            "/disputes/{id}",
            get(disputes::retrieve).post(disputes::update),
        )
        .route("/disputes/{id}/close", post(disputes::close))
        // A catch-all route rather than a fallback: fallbacks of doubly nested routers give way
        // to the devserver's problem+json one, and Stripe clients expect Stripe's shape.
        .route("/{*rest}", any(unknown_url))
        .method_not_allowed_fallback(unknown_url)
        .layer(middleware::from_fn_with_state(psp, api_layer))
}

async fn unknown_url(method: Method, uri: axum::http::Uri) -> ApiError {
    let mut e = ApiError::invalid(
        None,
        &format!("Unrecognized request URL ({method}: {}).", uri.path()),
    );
    e.status = StatusCode::NOT_FOUND;
    e
}

/// Auth, then faults (an injected 500 stands for a failure before Stripe ran the request, so it
/// is not saved under the idempotency key and a retry with the same key goes through), then
/// the idempotency cache.
async fn api_layer(State(psp): State<StripeSandbox>, mut req: Request, next: Next) -> Response {
    let request_id = new_id("req_");
    let mut resp = match auth::authorise(&req) {
        Err(e) => e.into_response(),
        Ok(api_key) => {
            let (latency, injected) = {
                let mut faults = psp.faults_lock();
                faults.record_call(format!("{} /v1{}", req.method(), req.uri().path()));
                faults.tick()
            };
            if latency > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
            }
            if injected == Injected::ServerError {
                ApiError::internal("An unknown error occurred (sandbox fault injection).")
                    .into_response()
            } else if injected == Injected::RateLimited {
                ApiError::rate_limited().into_response()
            } else {
                let key = (req.method() == Method::POST)
                    .then(|| req.headers().get("idempotency-key"))
                    .flatten()
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let ctx = ReqCtx {
                    id: Some(request_id.clone()),
                    idempotency_key: key.clone(),
                };
                req.extensions_mut().insert(ctx);
                match key {
                    None => next.run(req).await,
                    Some(key) => idempotency::idempotent(&psp, api_key, key, req, next).await,
                }
            }
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("request-id", v);
    }
    resp
}
