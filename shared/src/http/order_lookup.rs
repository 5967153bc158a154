//! Router of the `order-lookup` function: `POST /v1/order-lookups`, `GET /v1/orders/{reference}`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::client_ip::ClientIp;
use super::json_body::StrictJson;
use super::views::{Audience, BillingSummary, OrderView};
use super::{bearer_token, Problem};
use crate::app::{LookupError, OrderLookup};
use crate::domain::OrderStatus;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    pub reference: String,
    pub postcode: String,
}

#[derive(Debug, Serialize)]
pub struct LookupResponse {
    pub order: OrderView,
    pub access_token: String,
    pub expires_at: String,
}

impl From<LookupError> for Problem {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Invalid(e) => Problem::invalid_field(e),
            LookupError::NotFound => Problem::order_not_found(),
            LookupError::TooManyAttempts {
                retry_after_seconds,
            } => Problem::too_many_attempts(retry_after_seconds),
            LookupError::Unauthorized(_) => {
                Problem::unauthorized("A valid order access token is required.")
            }
            LookupError::Store(e) => Problem::from_store(&e),
        }
    }
}

/// Shopper answers carry an access token or personal data: never cache them.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn look_up_order(
    State(lookup): State<OrderLookup>,
    ClientIp(client_ip): ClientIp,
    StrictJson(request): StrictJson<LookupRequest>,
) -> Result<Response, Problem> {
    let granted = lookup
        .lookup(&request.reference, &request.postcode, &client_ip)
        .await?;
    let body = LookupResponse {
        order: OrderView::new(&granted.order, &granted.payments, Audience::Shopper),
        access_token: granted.access_token,
        expires_at: granted
            .expires_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    };
    Ok(private(Json(body).into_response()))
}

/// `GET /v1/orders/{reference}`: the shopper view plus, while the order can be paid, a
/// redacted summary of the billing details on file (the checkout page offers to reuse them).
#[derive(Debug, Serialize)]
pub struct ShopperOrderResponse {
    #[serde(flatten)]
    pub order: OrderView,
    pub billing_on_file: Option<BillingSummary>,
}

async fn view_order(
    State(lookup): State<OrderLookup>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (order, payments) = lookup.view(&reference, bearer_token(&headers)).await?;
    // Only a payable order needs it: the others skip the customer read.
    let payable = matches!(
        order.status,
        OrderStatus::AwaitingPayment | OrderStatus::PaymentPending
    );
    let billing_on_file = if payable {
        lookup
            .billing_on_file(&order)
            .await?
            .as_ref()
            .map(BillingSummary::new)
    } else {
        None
    };
    let body = ShopperOrderResponse {
        order: OrderView::new(&order, &payments, Audience::Shopper),
        billing_on_file,
    };
    Ok(private(Json(body).into_response()))
}

pub fn order_lookup_router(lookup: OrderLookup) -> Router {
    Router::new()
        .route("/v1/order-lookups", post(look_up_order))
        .route("/v1/orders/{reference}", get(view_order))
        .with_state(lookup)
}
