//! Back-office money routes: `POST /v1/admin/orders/{reference}/shipments` (capture what was
//! shipped) and `POST /v1/admin/orders/{reference}/refunds` (Idempotency-Key required).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};

use super::back_office::{require_admin, AdminAuth, AdminCaller};
use super::json_body::{parse_json, RawJson};
use super::payments::{in_progress_until, provider_problem};
use super::Problem;
use crate::app::capture_on_shipment::{CaptureError, CaptureOnShipment, ShipmentCommand};
use crate::app::refund::{RefundCommand, RefundError, RefundPayment};
use crate::app::start_payment::parse_idempotency_key;
use crate::domain::Reference;
use crate::ports::StoredResponse;

#[derive(Clone)]
pub struct AdminPayments {
    pub capture: Arc<CaptureOnShipment>,
    pub refunds: Arc<RefundPayment>,
}

fn conflict(slug: &str, title: &'static str, detail: &str) -> Problem {
    Problem::new(StatusCode::CONFLICT, slug, title, detail)
}

fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "order-not-found",
        "Order not found",
        "No order has this reference.",
    )
}

impl From<CaptureError> for Problem {
    fn from(error: CaptureError) -> Self {
        use CaptureError as E;
        match error {
            E::Invalid(e) => Problem::invalid_field(e),
            E::NotFound => not_found(),
            E::NothingToCapture => conflict(
                "nothing-to-capture",
                "Nothing to capture",
                "The order has no authorised amount left to capture.",
            ),
            E::UnderReview => conflict(
                "order-under-review",
                "Order under review",
                "The order waits for your fraud review: approve it (POST \
                 /v1/admin/orders/{reference}/review) before capturing, or reject it.",
            ),
            E::RequiresReauthorisation => conflict(
                "requires-reauthorisation",
                "Authorisation lapsed",
                "The card authorisation was past its capture window and the saved card could not \
                 renew it. It was released and the shopper was emailed a link to pay again; send \
                 this shipment again once the order is authorised.",
            ),
            E::InProgress => conflict(
                "request-in-progress",
                "Request in progress",
                "This shipment is being captured. Retry shortly.",
            ),
            E::ShipmentReused => conflict(
                "shipment-reused",
                "Shipment id reused",
                "This shipment id was already captured with another amount.",
            )
            .with_field("shipment_id"),
            E::Provider(e) => provider_problem(&e),
            E::Store(e) => Problem::from_store(&e),
        }
    }
}

impl From<RefundError> for Problem {
    fn from(error: RefundError) -> Self {
        use RefundError as E;
        match error {
            E::Invalid(e) => Problem::invalid_field(e),
            E::NotFound => not_found(),
            E::NothingToRefund => conflict(
                "nothing-to-refund",
                "Nothing to refund",
                "The order has no captured amount left to refund.",
            ),
            E::Disputed => conflict(
                "payment-disputed",
                "Payment disputed",
                "The captured payment is disputed by the shopper's bank: it cannot be refunded \
                 while the dispute is open or after it was lost. Answer the dispute in the \
                 payment provider's dashboard.",
            ),
            E::InProgress => conflict(
                "request-in-progress",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed. Retry shortly.",
            ),
            E::KeyReused => conflict(
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request body.",
            ),
            E::Provider(e) => provider_problem(&e),
            E::Store(e) => Problem::from_store(&e),
        }
    }
}

/// The principal the admin layer recorded (every admin route goes through it).
fn caller_of(caller: &Option<Extension<AdminCaller>>) -> &str {
    caller
        .as_ref()
        .map_or("unknown", |Extension(AdminCaller(who))| who.as_str())
}

fn reply(stored: StoredResponse) -> Response {
    super::stored_reply(stored)
}

async fn ship(
    State(api): State<AdminPayments>,
    Path(reference): Path<String>,
    context: Option<Extension<lambda_http::Context>>,
    caller: Option<Extension<AdminCaller>>,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let reference = Reference::parse(&reference).map_err(|_| not_found())?;
    let command: ShipmentCommand = parse_json(&body)?;
    tracing::info!(%reference, shipment = %command.shipment_id, caller = %caller_of(&caller), "capture asked from the back office");
    let until = in_progress_until(context.as_ref().map(|Extension(c)| c));
    Ok(reply(
        api.capture.capture(&reference, command, until).await?,
    ))
}

async fn refund(
    State(api): State<AdminPayments>,
    Path(reference): Path<String>,
    context: Option<Extension<lambda_http::Context>>,
    caller: Option<Extension<AdminCaller>>,
    headers: HeaderMap,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let reference = Reference::parse(&reference).map_err(|_| not_found())?;
    let key = parse_idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))
        .map_err(Problem::from)?;
    let command: RefundCommand = parse_json(&body)?;
    tracing::info!(%reference, key = %key, caller = %caller_of(&caller), "refund asked from the back office");
    Ok(reply(
        api.refunds
            .refund(
                &reference,
                &key,
                &body,
                command,
                in_progress_until(context.as_ref().map(|Extension(c)| c)),
            )
            .await?,
    ))
}

pub fn admin_payments_router(api: AdminPayments, auth: AdminAuth) -> Router {
    Router::new()
        .route("/v1/admin/orders/{reference}/shipments", post(ship))
        .route("/v1/admin/orders/{reference}/refunds", post(refund))
        .with_state(api)
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
}
