//! Router of the `psp-webhook` function: `POST /v1/webhooks/{provider}` (Stripe) and
//! `GET /v1/webhooks/{provider}` (MangoPay's hooks: a GET with the event in the query).

use crate::domain::log_safe::LogSafe;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::{Problem, MAX_BODY_BYTES};
use crate::app::handle_webhook::{HandleWebhook, WebhookFailure, WebhookOutcome};
use crate::ports::NotificationRequest;

/// The whole request goes to the connector: Stripe signs a POST body, other PSPs call a URL
/// with query parameters and sign nothing.
fn notification(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> NotificationRequest {
    NotificationRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        body: body.to_vec(),
    }
}

async fn receive(
    State(handler): State<Arc<HandleWebhook>>,
    Path(provider): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::payload_too_large(MAX_BODY_BYTES));
    }
    let request = notification(&method, &uri, &headers, &body);
    match handler.handle(&provider, &request).await {
        Ok(outcome) => {
            let label = match outcome {
                WebhookOutcome::Applied => "applied",
                WebhookOutcome::NoChange => "no_change",
                WebhookOutcome::Ignored => "ignored",
            };
            Ok((
                StatusCode::OK,
                Json(json!({ "received": true, "outcome": label })),
            )
                .into_response())
        }
        Err(WebhookFailure::UnknownProvider(_)) => Err(Problem::route_not_found()),
        Err(WebhookFailure::Rejected(error)) => {
            tracing::warn!(error = %LogSafe(&error), "webhook rejected");
            Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-webhook",
                "Invalid webhook",
                "The signature or the payload is not valid.",
            ))
        }
        // 5xx: the PSP delivers the event again later.
        Err(WebhookFailure::Provider(error)) => {
            tracing::warn!(error = %LogSafe(&error), "webhook: PSP unavailable for the re-fetch");
            let mut p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "payment-provider-unavailable",
                "Payment provider unavailable",
                "Could not confirm the event with the payment provider.",
            );
            p.retry_after_seconds = Some(5);
            Err(p)
        }
        Err(WebhookFailure::Store(error)) => Err(Problem::from_store(&error)),
    }
}

pub fn webhooks_router(handler: Arc<HandleWebhook>) -> Router {
    Router::new()
        .route("/v1/webhooks/{provider}", get(receive).post(receive))
        .with_state(handler)
}
