//! Router of the `initiate-payment` function: `POST /v1/orders/{reference}/payments`,
//! `GET`/`DELETE /v1/orders/{reference}/payments/{payment_id}` and our card form's answer
//! (`payments_card_form`).

use crate::domain::log_safe::LogSafe;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use time::{Duration, OffsetDateTime};

use super::client_ip::ClientIp;
use super::json_body::{parse_json, RawJson};
use super::{bearer_token, Problem};
use crate::app::payment_view::PaymentView;
use crate::app::start_payment::{parse_idempotency_key, StartPayment, StartPaymentError};
use crate::ports::{ProviderError, Store};

#[derive(Clone)]
pub struct PaymentsApi {
    pub start: Arc<StartPayment>,
    /// Our card form's answers (a PSP without a hosted page: MangoPay).
    pub card_forms: Arc<crate::app::submit_card_form::SubmitCardForm>,
    pub store: Arc<dyn Store>,
}

impl From<StartPaymentError> for Problem {
    fn from(error: StartPaymentError) -> Self {
        use StartPaymentError as E;
        match error {
            E::Invalid(e) | E::WrongCode(e) => Problem::invalid_field(e),
            E::Unauthorized(_) => Problem::unauthorized("A valid order access token is required."),
            E::BadIdempotencyKey => Problem::new(
                StatusCode::BAD_REQUEST,
                "idempotency-key-required",
                "Idempotency-Key required",
                "Send an Idempotency-Key header of 1 to 255 visible ASCII characters.",
            )
            .with_field("Idempotency-Key"),
            E::InProgress => Problem::new(
                StatusCode::CONFLICT,
                "request-in-progress",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed. Retry shortly.",
            ),
            E::KeyReused => Problem::new(
                StatusCode::CONFLICT,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request body.",
            ),
            E::NotFound => Problem::order_not_found(),
            E::NotPayable(status) => Problem::new(
                StatusCode::CONFLICT,
                "order-not-payable",
                "Order cannot be paid now",
                format!("The order is {}.", status.as_str()),
            ),
            E::Expired(at) => Problem::new(
                StatusCode::CONFLICT,
                "order-expired",
                "Quote expired",
                format!(
                    "The quote expired on {}; ask the seller for a new one.",
                    at.format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                ),
            ),
            E::TooManyAttempts => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-payment-attempts",
                "Too many payment attempts",
                "This order has had too many payment attempts; contact the seller.",
            ),
            E::TooManyCodeAttempts => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-code-attempts",
                "Too many wrong codes",
                "Too many wrong voucher codes were given for this order; contact the seller.",
            )
            .with_field("voucher_codes"),
            E::TooManyCodeAttemptsFromClient {
                retry_after_seconds,
            } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-code-attempts",
                    "Too many wrong codes",
                    "Too many wrong voucher or promo codes came from this address; retry later.",
                );
                p.retry_after_seconds =
                    Some(u32::try_from(retry_after_seconds).unwrap_or(u32::MAX));
                p
            }
            E::TendersChanged => Problem::new(
                StatusCode::CONFLICT,
                "tenders-changed",
                "Voucher, balance or promo code changed",
                "A voucher or balance used here was spent meanwhile, or the promo code's last \
                 use was taken. Check the amount due and pay again with a new key.",
            ),
            E::Conflict | E::Raced { .. } => Problem::new(
                StatusCode::CONFLICT,
                "concurrent-change",
                "Concurrent change",
                "The order changed while the payment was starting. Retry with a new key.",
            ),
            E::AttemptCompleted => Problem::new(
                StatusCode::CONFLICT,
                "payment-being-confirmed",
                "Payment being confirmed",
                "The previous attempt was just completed; its outcome arrives shortly.",
            ),
            E::PaymentNotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "payment-not-found",
                "Payment not found",
                "This order has no payment with this id.",
            ),
            E::Sepa(refusal) => sepa_problem(&refusal),
            E::ScoreUnavailable(e) => {
                tracing::warn!(error = %e, "score provider unavailable");
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "score-unavailable",
                    "Score unavailable",
                    "The financial score could not be read. Retry with the same Idempotency-Key.",
                );
                p.retry_after_seconds = Some(2);
                p
            }
            E::Provider(e) => provider_problem(&e),
            E::Store(e) => Problem::from_store(&e),
        }
    }
}

/// 422 naming the condition SEPA failed (`sepa_cap_exceeded`, …) and, for the cap, what
/// remains this month.
fn sepa_problem(refusal: &crate::domain::sepa::PurchaseRefusal) -> Problem {
    use crate::domain::sepa::PurchaseRefusal;
    let mut problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        &refusal.code().replace('_', "-"),
        "SEPA direct debit refused",
        refusal.to_string(),
    )
    .with_field(refusal.field());
    if let PurchaseRefusal::CapExceeded { remaining, .. } = refusal {
        problem.remaining = Some(crate::domain::Currency::EUR.format(*remaining).into());
    }
    problem
}

pub(crate) fn provider_problem(error: &ProviderError) -> Problem {
    match error {
        ProviderError::Unavailable(_) | ProviderError::RateLimited => {
            tracing::warn!(error = %LogSafe(&error), "payment provider unavailable");
            let mut p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "payment-provider-unavailable",
                "Payment provider unavailable",
                "The payment provider did not answer. Retry with the same Idempotency-Key.",
            );
            p.retry_after_seconds = Some(2);
            p
        }
        _ => {
            tracing::error!(error = %LogSafe(&error), "payment provider refused our request");
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "payment-provider-error",
                "Payment provider error",
                "The payment provider refused the request.",
            )
        }
    }
}

/// When this invocation will surely be over: the Lambda deadline, or 30 s off Lambda.
pub(crate) fn in_progress_until(context: Option<&lambda_http::Context>) -> OffsetDateTime {
    context
        .and_then(|c| i64::try_from(c.deadline).ok())
        .and_then(|ms| OffsetDateTime::from_unix_timestamp(ms / 1000 + 1).ok())
        .unwrap_or_else(|| OffsetDateTime::now_utc() + Duration::seconds(30))
}

async fn start_payment(
    State(api): State<PaymentsApi>,
    Path(reference): Path<String>,
    context: Option<Extension<lambda_http::Context>>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let reference = api.start.authorize(&reference, bearer_token(&headers))?;
    let key = parse_idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))?;
    let command = parse_json(&body)?;
    let until = in_progress_until(context.as_ref().map(|Extension(c)| c));
    let stored = api
        .start
        .start_from_client(&client_ip, &reference, &key, &body, command, until)
        .await?;
    Ok(super::stored_reply(stored))
}

async fn show_payment(
    State(api): State<PaymentsApi>,
    Path((reference, payment_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let reference = api.start.authorize(&reference, bearer_token(&headers))?;
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "payment-not-found",
            "Payment not found",
            "This order has no payment with this id.",
        )
    };
    let snapshot = api
        .store
        .get_order_with_payments(&reference)
        .await
        .map_err(|e| Problem::from_store(&e))?
        .ok_or_else(not_found)?;
    let payment = snapshot
        .payments
        .iter()
        .find(|p| p.value.id == payment_id)
        .ok_or_else(not_found)?;
    let mut response = Json(PaymentView::new(&payment.value)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn abandon_payment(
    State(api): State<PaymentsApi>,
    Path((reference, payment_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let reference = api.start.authorize(&reference, bearer_token(&headers))?;
    let payment = api.start.abandon(&reference, &payment_id).await?;
    let mut response = Json(PaymentView::new(&payment)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub fn payments_router(api: PaymentsApi) -> Router {
    Router::new()
        .route("/v1/orders/{reference}/payments", post(start_payment))
        .route(
            "/v1/orders/{reference}/payments/{payment_id}",
            get(show_payment).delete(abandon_payment),
        )
        .route(
            "/v1/orders/{reference}/payments/{payment_id}/card-form",
            post(super::payments_card_form::submit_card_form),
        )
        .with_state(api)
}
