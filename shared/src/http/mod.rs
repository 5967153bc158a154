//! HTTP: axum routers per function, shared by the Lambdas (through lambda_http) and the
//! devserver, and the problem+json errors they answer with.

mod admin_offline;
pub mod admin_payments;
mod admin_promos;
pub mod admin_reviews;
pub mod admin_sepa;
mod admin_sepa_months;
mod admin_tenders;
pub mod back_office;
pub mod client_ip;
pub mod documents;
pub mod json_body;
pub mod order_lookup;
pub mod payments;
mod payments_card_form;
pub mod problem;
mod request_span;
pub mod shopper_account;
pub mod views;
pub mod webhooks;

pub use admin_offline::admin_offline_router;
pub use admin_payments::{admin_payments_router, AdminPayments};
pub use admin_promos::admin_promos_router;
pub use admin_reviews::{admin_reviews_router, AdminReviews};
pub use admin_sepa::admin_sepa_router;
pub use admin_tenders::admin_tenders_router;
pub use back_office::{back_office_router, AdminAuth, AdminCaller, BackOffice};
pub use order_lookup::order_lookup_router;
pub use payments::{payments_router, PaymentsApi};
pub use problem::Problem;
pub use shopper_account::shopper_account_router;
pub use webhooks::webhooks_router;

/// Requests larger than this are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Answers for paths and methods no router knows, as problem+json like every other error.
/// Applied once to the outermost router (a Lambda's, or the devserver's merged one), with the
/// request span every routed request is logged under (`request_span`).
pub fn with_fallbacks(router: axum::Router) -> axum::Router {
    router
        .route_layer(axum::middleware::from_fn(request_span::request_span))
        .fallback(|| async { Problem::route_not_found() })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// A recorded (or replayable) answer as an HTTP response: its status and JSON body, never
/// cached.
pub(crate) fn stored_reply(stored: crate::ports::StoredResponse) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
