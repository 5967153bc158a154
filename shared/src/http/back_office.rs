//! Router of the `back-office` function: `POST /v1/admin/orders`, `GET /v1/admin/orders/{ref}`.
//!
//! In AWS, API Gateway authenticates these routes with IAM and we check that it did; in the
//! devserver, a bearer API key stands in for IAM.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use subtle::ConstantTimeEq;

use super::client_ip::iam_caller;
use super::json_body::{parse_json, RawJson};
use super::payments::in_progress_until;
use super::views::{Audience, OrderView};
use super::{bearer_token, Problem};
use crate::app::create_order::check_chargeable;
use crate::app::create_order_once::{create_order_once, CreateOnceError};
use crate::app::pay_token::PayLinks;
use crate::app::start_payment::{parse_idempotency_key, StartPaymentError};
use crate::app::{create_order, CreateOrderCommand, CreateOrderError};
use crate::domain::{Order, Reference};
use crate::ports::{Clock, ProviderRegistry, Store, StoredResponse};

#[derive(Clone)]
pub enum AdminAuth {
    /// `Authorization: Bearer <key>` (devserver).
    ApiKey(Arc<str>),
    /// API Gateway's IAM authorizer vouched for the caller (Lambda).
    ApiGatewayIam,
    /// As `ApiGatewayIam`, and the principal must match one of these (`ADMIN_ALLOWED_PRINCIPALS`:
    /// ARNs, a trailing `*` matching any rest, e.g. `arn:aws:sts::123456789012:assumed-role/
    /// SellerBackOffice/*`); anyone else is 403.
    ApiGatewayIamAllowing(Arc<[String]>),
}

/// Who called an admin route, for the log line of each money movement: the IAM principal, or
/// `api-key` in the devserver.
#[derive(Debug, Clone)]
pub struct AdminCaller(pub String);

fn principal_allowed(caller: &str, allowed: &[String]) -> bool {
    allowed
        .iter()
        .any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => caller.starts_with(prefix),
            None => caller == pattern,
        })
}

#[derive(Clone)]
pub struct BackOffice {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub auth: AdminAuth,
    /// Whose rules decide whether an order's total can be charged.
    pub providers: Arc<ProviderRegistry>,
    /// The "Pay now" link given with each order (`pay_url`); None leaves it out.
    pub pay_links: Option<PayLinks>,
    /// The orders' invoices and credit notes; None answers 503 on the documents route.
    pub documents: Option<crate::app::order_documents::OrderDocuments>,
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
    let mut request = request;
    let caller = match &auth {
        AdminAuth::ApiGatewayIam | AdminAuth::ApiGatewayIamAllowing(_) => {
            let (parts, body) = request.into_parts();
            let Some(caller) = iam_caller(&parts) else {
                return Problem::unauthorized("This route requires IAM authentication.")
                    .into_response();
            };
            if let AdminAuth::ApiGatewayIamAllowing(allowed) = &auth {
                if !principal_allowed(&caller, allowed) {
                    tracing::warn!(%caller, "admin route refused: principal not allowed");
                    return Problem::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        "Forbidden",
                        "This IAM principal may not use the back office.",
                    )
                    .into_response();
                }
            }
            request = Request::from_parts(parts, body);
            caller
        }
        AdminAuth::ApiKey(key) => {
            let ok = bearer_token(request.headers())
                .is_some_and(|given| bool::from(given.as_bytes().ct_eq(key.as_bytes())));
            if !ok {
                return Problem::unauthorized("A valid admin API key is required.").into_response();
            }
            "api-key".to_string()
        }
    };
    request.extensions_mut().insert(AdminCaller(caller));
    next.run(request).await
}

impl From<CreateOnceError> for Problem {
    fn from(error: CreateOnceError) -> Self {
        match error {
            CreateOnceError::Create(e) => e.into(),
            CreateOnceError::InProgress => StartPaymentError::InProgress.into(),
            CreateOnceError::KeyReused => StartPaymentError::KeyReused.into(),
        }
    }
}

/// The back office's view of an order, with the quote's "Pay now" link when configured.
pub(crate) fn admin_view(
    order: &Order,
    payments: &[crate::domain::Payment],
    links: Option<&PayLinks>,
) -> serde_json::Value {
    let mut view = serde_json::to_value(OrderView::new(order, payments, Audience::BackOffice))
        .unwrap_or_default();
    if let (Some(links), Some(fields)) = (links, view.as_object_mut()) {
        fields.insert("pay_url".into(), links.link_for(order).into());
    }
    // The fraud review, for the seller only (its reasons are not the shopper's to read).
    if let Some(listed) = view["payments"].as_array_mut() {
        for (shown, payment) in listed.iter_mut().zip(payments) {
            if let (Some(fields), Some(review)) = (shown.as_object_mut(), &payment.review) {
                fields.insert(
                    "review".into(),
                    serde_json::to_value(review).unwrap_or_default(),
                );
            }
        }
    }
    view
}

fn created(order: &Order, links: Option<&PayLinks>) -> StoredResponse {
    StoredResponse {
        status: 201,
        body: admin_view(order, &[], links).to_string(),
    }
}

/// Idempotency-Key is optional here: with one, a retried creation replays the first 201
/// instead of creating a second order under the next generated reference.
async fn create(
    State(office): State<BackOffice>,
    context: Option<Extension<lambda_http::Context>>,
    caller: Option<Extension<AdminCaller>>,
    headers: HeaderMap,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let command: CreateOrderCommand = parse_json(&body)?;
    let now = office.clock.now();
    check_chargeable(&command, now, office.providers.for_cards().as_ref())
        .map_err(Problem::invalid_field)?;
    let stored = match headers.get("idempotency-key") {
        None => created(
            &create_order(office.store.as_ref(), command, now).await?,
            office.pay_links.as_ref(),
        ),
        Some(raw) => {
            let key = parse_idempotency_key(raw.to_str().ok())?;
            let until = in_progress_until(context.as_ref().map(|Extension(c)| c));
            create_order_once(
                office.store.as_ref(),
                &key,
                &body,
                command,
                now,
                until,
                &|order| created(order, office.pay_links.as_ref()),
            )
            .await?
        }
    };
    let reference = serde_json::from_str::<serde_json::Value>(&stored.body)
        .ok()
        .and_then(|v| v["reference"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let caller = caller
        .as_ref()
        .map_or("unknown", |Extension(AdminCaller(who))| who.as_str());
    tracing::info!(%reference, %caller, "order created (or its creation replayed)");
    let mut response = super::stored_reply(stored);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("/v1/admin/orders/{reference}")) {
        headers.insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn show(
    State(office): State<BackOffice>,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    let not_found = Problem::unknown_order;
    let reference = Reference::parse(&reference).map_err(|_| not_found())?;
    let found = office
        .store
        .get_order_with_payments(&reference)
        .await
        .map_err(|e| Problem::from_store(&e))?
        .ok_or_else(not_found)?;
    let payments: Vec<_> = found.payments.into_iter().map(|p| p.value).collect();
    Ok(Json(admin_view(
        &found.order.value,
        &payments,
        office.pay_links.as_ref(),
    ))
    .into_response())
}

async fn documents(
    State(office): State<BackOffice>,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    let Some(documents) = &office.documents else {
        return Err(Problem::from_store(&crate::ports::StoreError::Unavailable(
            "no document store configured".into(),
        )));
    };
    super::documents::admin_documents(documents, office.store.as_ref(), &reference).await
}

pub fn back_office_router(office: BackOffice) -> Router {
    let auth = office.auth.clone();
    Router::new()
        .route("/v1/admin/orders", post(create))
        .route("/v1/admin/orders/{reference}", get(show))
        .route("/v1/admin/orders/{reference}/documents", get(documents))
        .with_state(office)
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
}
