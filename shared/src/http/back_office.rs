//! Router of the `back-office` function: `POST /v1/admin/orders`, `GET /v1/admin/orders/{ref}`.
//!
//! In AWS, API Gateway authenticates these routes with IAM and we check that it did; in the
//! devserver, a bearer API key stands in for IAM.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use subtle::ConstantTimeEq;

use super::client_ip::has_iam_identity;
use super::json_body::StrictJson;
use super::views::{Audience, OrderView};
use super::{bearer_token, Problem};
use crate::app::{create_order, CreateOrderCommand, CreateOrderError};
use crate::domain::Reference;
use crate::ports::{Clock, Store};

#[derive(Clone)]
pub enum AdminAuth {
    /// `Authorization: Bearer <key>` (devserver).
    ApiKey(Arc<str>),
    /// API Gateway's IAM authorizer vouched for the caller (Lambda).
    ApiGatewayIam,
}

#[derive(Clone)]
pub struct BackOffice {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub auth: AdminAuth,
}

impl From<CreateOrderError> for Problem {
    fn from(error: CreateOrderError) -> Self {
        match error {
            CreateOrderError::Invalid(e) => Problem::invalid_field(e),
            CreateOrderError::ReferenceTaken(r) => Problem::reference_taken(r.as_str()),
            CreateOrderError::Store(e) => Problem::from_store(&e),
        }
    }
}

pub(crate) async fn require_admin(
    State(auth): State<AdminAuth>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = match &auth {
        AdminAuth::ApiGatewayIam => {
            let (parts, body) = request.into_parts();
            let ok = has_iam_identity(&parts);
            if !ok {
                return Problem::unauthorized("This route requires IAM authentication.")
                    .into_response();
            }
            return next.run(Request::from_parts(parts, body)).await;
        }
        AdminAuth::ApiKey(key) => bearer_token(request.headers())
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(key.as_bytes()))),
    };
    if !allowed {
        return Problem::unauthorized("A valid admin API key is required.").into_response();
    }
    next.run(request).await
}

async fn create(
    State(office): State<BackOffice>,
    StrictJson(command): StrictJson<CreateOrderCommand>,
) -> Result<Response, Problem> {
    let order = create_order(office.store.as_ref(), command, office.clock.now()).await?;
    tracing::info!(reference = %order.reference, "order created");
    let location = format!("/v1/admin/orders/{}", order.reference);
    let mut response = (
        StatusCode::CREATED,
        Json(OrderView::new(&order, &[], Audience::BackOffice)),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn show(
    State(office): State<BackOffice>,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "order-not-found",
            "Order not found",
            "No order has this reference.",
        )
    };
    let reference = Reference::parse(&reference).map_err(|_| not_found())?;
    let found = office
        .store
        .get_order_with_payments(&reference)
        .await
        .map_err(|e| Problem::from_store(&e))?
        .ok_or_else(not_found)?;
    let payments: Vec<_> = found.payments.into_iter().map(|p| p.value).collect();
    Ok(Json(OrderView::new(
        &found.order.value,
        &payments,
        Audience::BackOffice,
    ))
    .into_response())
}

pub fn back_office_router(office: BackOffice) -> Router {
    let auth = office.auth.clone();
    Router::new()
        .route("/v1/admin/orders", post(create))
        .route("/v1/admin/orders/{reference}", get(show))
        .with_state(office)
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
}
