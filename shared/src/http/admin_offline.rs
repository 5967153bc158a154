//! `POST /v1/admin/orders/{reference}/offline-payments`: the seller records a bank transfer or
//! a cheque received for an order (Idempotency-Key; part of what is owed allowed).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use serde::Deserialize;

use super::admin_tenders::{amount, caller_of, once};
use super::back_office::{require_admin, AdminAuth, AdminCaller};
use super::json_body::{parse_json, RawJson};
use super::Problem;
use crate::app::record_offline::{OfflinePayments, OfflineReceipt, RecordOfflineError};
use crate::domain::offline_instructions::parse_kind;
use crate::domain::order::parse_iso_date;
use crate::domain::{Currency, FieldError, Reference};

impl From<RecordOfflineError> for Problem {
    fn from(e: RecordOfflineError) -> Self {
        match e {
            RecordOfflineError::Invalid(field) => Problem::invalid_field(field),
            RecordOfflineError::NotFound => Problem::order_not_found(),
            RecordOfflineError::NothingOwed(status) => Problem::new(
                StatusCode::CONFLICT,
                "nothing-owed",
                "Nothing owed",
                format!("The order is {} and owes nothing now.", status.as_str()),
            ),
            RecordOfflineError::InProgress => Problem::new(
                StatusCode::CONFLICT,
                "request-in-progress",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed. Retry shortly.",
            ),
            RecordOfflineError::KeyReused => Problem::new(
                StatusCode::CONFLICT,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request body.",
            ),
            RecordOfflineError::AttemptCompleted => Problem::new(
                StatusCode::CONFLICT,
                "attempt-completed",
                "Payment just completed",
                "The shopper just paid on the payment provider's page: nothing was recorded. \
                 Look at the order again before recording this money.",
            ),
            RecordOfflineError::Provider(e) => super::payments::provider_problem(&e),
            RecordOfflineError::Store(store) => Problem::from_store(&store),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptBody {
    method: String,
    amount: String,
    currency: String,
    received_on: String,
    reference: String,
}

async fn record(
    State(api): State<Arc<OfflinePayments>>,
    Path(reference): Path<String>,
    context: Option<Extension<lambda_http::Context>>,
    caller: Option<Extension<AdminCaller>>,
    headers: HeaderMap,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let reference = Reference::parse(&reference).map_err(|_| Problem::order_not_found())?;
    let parsed: ReceiptBody = parse_json(&body)?;
    let kind = parse_kind(&parsed.method).ok_or_else(|| {
        Problem::invalid_field(FieldError::new("method", "must be bank_transfer or cheque"))
    })?;
    let currency = Currency::from_code(&parsed.currency)
        .map_err(|e| Problem::invalid_field(FieldError::new("currency", e.to_string())))?;
    let receipt = OfflineReceipt {
        kind,
        currency,
        amount: amount("amount", currency, &parsed.amount)?,
        received_on: parse_iso_date(&parsed.received_on).map_err(|_| {
            Problem::invalid_field(FieldError::new(
                "received_on",
                "must be a date such as 2026-12-01",
            ))
        })?,
        seller_reference: crate::app::validate::text("reference", &parsed.reference, 64)
            .map_err(Problem::invalid_field)?,
    };
    let once = once(format!("offline#{reference}"), &headers, &body, &context)?;
    let by = caller_of(&caller);
    let stored = api.record(&reference, receipt, &by, &once).await?;
    Ok(super::stored_reply(stored))
}

pub fn admin_offline_router(api: Arc<OfflinePayments>, auth: AdminAuth) -> Router {
    Router::new()
        .route(
            "/v1/admin/orders/{reference}/offline-payments",
            post(record),
        )
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
        .with_state(api)
}
