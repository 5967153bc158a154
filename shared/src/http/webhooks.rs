//! Router of the `psp-webhook` function: `POST /v1/webhooks/{provider}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use super::{Problem, MAX_BODY_BYTES};
use crate::app::handle_webhook::{HandleWebhook, WebhookFailure, WebhookOutcome};

async fn receive(
    State(handler): State<Arc<HandleWebhook>>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    if provider != handler.provider_name() {
        return Err(Problem::route_not_found());
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::payload_too_large(MAX_BODY_BYTES));
    }
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match handler.handle(&body, signature).await {
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
        Err(WebhookFailure::Rejected(error)) => {
            tracing::warn!(%error, "webhook rejected");
            Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-webhook",
                "Invalid webhook",
                "The signature or the payload is not valid.",
            ))
        }
        // 5xx: the PSP delivers the event again later.
        Err(WebhookFailure::Provider(error)) => {
            tracing::warn!(%error, "webhook: PSP unavailable for the re-fetch");
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
        .route("/v1/webhooks/{provider}", post(receive))
        .with_state(handler)
}
