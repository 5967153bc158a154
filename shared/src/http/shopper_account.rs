//! Router of the `shopper-account` function: `/v1/me/*` (sign-in by emailed code, session,
//! profile and billing, my orders, order access and deletion, cards and mandates).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::client_ip::ClientIp;
use super::json_body::StrictJson;
use super::payments::provider_problem;
use super::{bearer_token, Problem};
use crate::app::shopper_account::{
    AccountError, CardUpdateInput, MyOrder, Profile, ShopperAccount,
};
use crate::app::start_payment_request::BillingInput;
use crate::domain::{Billing, Locale};
use crate::ports::{SavedCard, Session};

impl From<AccountError> for Problem {
    fn from(error: AccountError) -> Self {
        use AccountError as E;
        match error {
            E::Invalid(e) => Problem::invalid_field(e),
            E::TooManyRequests {
                retry_after_seconds,
            } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-sign-in-requests",
                    "Too many sign-in requests",
                    "Too many codes were asked for this email or from this address. Try again \
                     later.",
                );
                p.retry_after_seconds =
                    Some(u32::try_from(retry_after_seconds).unwrap_or(u32::MAX));
                p
            }
            E::CodeInvalid => Problem::new(
                StatusCode::UNAUTHORIZED,
                "sign-in-code-invalid",
                "Wrong code",
                "This is not the code we emailed. Check it and try again.",
            ),
            E::CodeExpired => Problem::new(
                StatusCode::UNAUTHORIZED,
                "sign-in-code-expired",
                "Code expired",
                "This code no longer works (expired, used, or too many tries). Ask for a new \
                 code.",
            ),
            E::Unauthorized => Problem::unauthorized("A valid session token is required."),
            E::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "order-not-found",
                "Order not found",
                "None of your orders has this reference.",
            ),
            E::MandateNotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "mandate-not-found",
                "Mandate not found",
                "None of your mandates has this id.",
            ),
            E::SepaNotOffered => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "sepa-not-offered",
                "SEPA direct debit not offered",
                "This shop does not offer SEPA direct debit.",
            )
            .with_field("method"),
            E::CardNotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "card-not-found",
                "Card not found",
                "None of your saved cards has this id.",
            ),
            E::NotDeletable(status) => Problem::new(
                StatusCode::CONFLICT,
                "order-not-deletable",
                "Order cannot be deleted",
                format!(
                    "The order is {}: something is authorised, processing or paid on it, or \
                     the seller closed it.",
                    status.as_str()
                ),
            ),
            E::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "concurrent-change",
                "Concurrent change",
                "What this request changes was changed by another one meanwhile. Retry.",
            ),
            E::Provider(e) => provider_problem(&e),
            E::Store(e) => Problem::from_store(&e),
        }
    }
}

fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

type Api = Arc<ShopperAccount>;

// SEPA mandates and standing (`/v1/me/mandates`, `/v1/me/sepa`).
#[path = "shopper_account_sepa.rs"]
mod sepa;

async fn session(api: &Api, headers: &HeaderMap) -> Result<Session, Problem> {
    Ok(api.session(bearer_token(headers)).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInRequest {
    email: String,
}

#[derive(Debug, Serialize)]
struct SignInAnswer {
    expires_in_seconds: i64,
}

async fn sign_in(
    State(api): State<Api>,
    ClientIp(client_ip): ClientIp,
    StrictJson(request): StrictJson<SignInRequest>,
) -> Result<Response, Problem> {
    api.request_code(&request.email, &client_ip).await?;
    let body = SignInAnswer {
        expires_in_seconds: crate::app::shopper_account::CODE_LIFETIME.whole_seconds(),
    };
    Ok(private((StatusCode::ACCEPTED, Json(body)).into_response()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    email: String,
    code: String,
}

#[derive(Debug, Serialize)]
struct SessionAnswer {
    session_token: String,
    expires_at: String,
}

async fn open_session(
    State(api): State<Api>,
    StrictJson(request): StrictJson<SessionRequest>,
) -> Result<Response, Problem> {
    let (token, expires_at) = api.open_session(&request.email, &request.code).await?;
    let body = SessionAnswer {
        session_token: token,
        expires_at: rfc3339(expires_at),
    };
    Ok(private((StatusCode::CREATED, Json(body)).into_response()))
}

async fn sign_out(State(api): State<Api>, headers: HeaderMap) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    api.sign_out(&session).await?;
    Ok(private(StatusCode::NO_CONTENT.into_response()))
}

#[derive(Debug, Serialize)]
struct ProfileView {
    email: String,
    locale: Locale,
    billing: Option<Billing>,
}

impl From<Profile> for ProfileView {
    fn from(p: Profile) -> Self {
        Self {
            email: p.email,
            locale: p.locale,
            billing: p.billing,
        }
    }
}

async fn show_profile(State(api): State<Api>, headers: HeaderMap) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let profile = api.profile(&session).await?;
    Ok(private(Json(ProfileView::from(profile)).into_response()))
}

async fn edit_billing(
    State(api): State<Api>,
    headers: HeaderMap,
    StrictJson(billing): StrictJson<BillingInput>,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let profile = api.update_billing(&session, &billing).await?;
    Ok(private(Json(ProfileView::from(profile)).into_response()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersQuery {
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
struct UnfinishedView {
    payment_id: String,
    amount: String,
    created_at: String,
}

#[derive(Debug, Serialize)]
struct OrderSummary {
    reference: String,
    status: &'static str,
    currency: &'static str,
    gross: String,
    amount_due: String,
    created_at: String,
    unfinished_payment: Option<UnfinishedView>,
}

impl From<&MyOrder> for OrderSummary {
    fn from(mine: &MyOrder) -> Self {
        let o = &mine.order;
        let c = o.currency;
        Self {
            reference: o.reference.to_string(),
            status: o.status.as_str(),
            currency: c.code(),
            gross: c.format(o.totals().gross),
            amount_due: c.format(o.amount_due()),
            created_at: rfc3339(o.created_at),
            unfinished_payment: mine.unfinished.as_ref().map(|p| UnfinishedView {
                payment_id: p.id.clone(),
                amount: c.format(p.amount),
                created_at: rfc3339(p.created_at),
            }),
        }
    }
}

#[derive(Debug, Serialize)]
struct OrdersPage {
    orders: Vec<OrderSummary>,
    next_cursor: Option<String>,
}

async fn my_orders(
    State(api): State<Api>,
    headers: HeaderMap,
    query: Result<Query<OrdersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| {
        Problem::invalid_field(crate::domain::FieldError::new("query", e.body_text()))
    })?;
    let limit = match query.limit.as_deref() {
        None => 10,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=crate::app::shopper_account::MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Problem::invalid_field(crate::domain::FieldError::new(
                    "limit",
                    "must be a whole number from 1 to 50",
                ))
            })?,
    };
    let session = session(&api, &headers).await?;
    let (orders, next) = api.orders(&session, query.cursor.as_deref(), limit).await?;
    let body = OrdersPage {
        orders: orders.iter().map(OrderSummary::from).collect(),
        next_cursor: next,
    };
    Ok(private(Json(body).into_response()))
}

#[derive(Debug, Serialize)]
struct AccessAnswer {
    access_token: String,
    expires_at: String,
}

async fn order_access(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let (token, expires_at) = api.order_access(&session, &reference).await?;
    let body = AccessAnswer {
        access_token: token,
        expires_at: rfc3339(expires_at),
    };
    Ok(private(Json(body).into_response()))
}

#[derive(Debug, Serialize)]
struct DeletedAnswer {
    reference: String,
    status: &'static str,
}

async fn delete_order(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let reference = api.delete_order(&session, &reference).await?;
    let body = DeletedAnswer {
        reference: reference.to_string(),
        status: crate::domain::OrderStatus::Deleted.as_str(),
    };
    Ok(private(Json(body).into_response()))
}

#[derive(Debug, Serialize)]
struct CardView {
    /// The PSP's payment method id: what the card routes name.
    id: String,
    brand: String,
    last4: String,
    exp_month: u8,
    exp_year: u16,
    holder: Option<String>,
}

impl From<SavedCard> for CardView {
    fn from(c: SavedCard) -> Self {
        Self {
            id: c.payment_method,
            brand: c.brand,
            last4: c.last4,
            exp_month: c.exp_month,
            exp_year: c.exp_year,
            holder: c.holder,
        }
    }
}

#[derive(Debug, Serialize)]
struct CardsAnswer {
    cards: Vec<CardView>,
}

async fn cards(State(api): State<Api>, headers: HeaderMap) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let cards = api.cards(&session).await?;
    let body = CardsAnswer {
        cards: cards.into_iter().map(CardView::from).collect(),
    };
    Ok(private(Json(body).into_response()))
}

async fn update_card(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(id): Path<String>,
    StrictJson(input): StrictJson<CardUpdateInput>,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let card = api.update_card(&session, &id, &input).await?;
    Ok(private(Json(CardView::from(card)).into_response()))
}

async fn delete_card(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    api.delete_card(&session, &id).await?;
    Ok(private(StatusCode::NO_CONTENT.into_response()))
}

pub fn shopper_account_router(api: Arc<ShopperAccount>) -> Router {
    Router::new()
        .route("/v1/me/sign-in", post(sign_in))
        .route("/v1/me/sessions", post(open_session))
        .route("/v1/me/session", delete(sign_out))
        .route("/v1/me", get(show_profile))
        .route("/v1/me/billing", put(edit_billing))
        .route("/v1/me/orders", get(my_orders))
        .route("/v1/me/orders/{reference}/access", post(order_access))
        .route("/v1/me/orders/{reference}", delete(delete_order))
        .route("/v1/me/cards", get(cards))
        .route(
            "/v1/me/cards/{id}",
            axum::routing::patch(update_card).delete(delete_card),
        )
        .route(
            "/v1/me/mandates",
            get(sepa::mandates).post(sepa::add_mandate),
        )
        .route("/v1/me/mandates/{id}", delete(sepa::revoke_mandate))
        .route("/v1/me/sepa", get(sepa::standing))
        .with_state(api)
}
