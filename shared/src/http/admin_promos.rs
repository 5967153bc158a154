//! Back-office promo codes: `POST /v1/admin/promo-codes` creates one (the same code with the
//! same settings again: 200 with it as it is; other settings: 409), `GET
//! /v1/admin/promo-codes/{code}` shows it with its uses and audit trail, `POST …/void` voids
//! it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::admin_tenders::{amount, audit_view, caller_of};
use super::back_office::{require_admin, AdminAuth, AdminCaller};
use super::json_body::{parse_json, RawJson};
use super::Problem;
use crate::app::promo_admin::{PromoAdmin, PromoAdminError};
use crate::domain::order::parse_iso_date;
use crate::domain::promo::{normalise, PromoCode, PromoOff, PromoStatus};
use crate::domain::{Currency, FieldError};

impl From<PromoAdminError> for Problem {
    fn from(e: PromoAdminError) -> Self {
        match e {
            PromoAdminError::Invalid(field) => Problem::invalid_field(field),
            PromoAdminError::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "promo-code-not-found",
                "Promo code not found",
                "There is no promo code with this code.",
            ),
            PromoAdminError::Exists => Problem::new(
                StatusCode::CONFLICT,
                "promo-code-exists",
                "Promo code exists",
                "This code exists already with other settings: choose another code.",
            ),
            PromoAdminError::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "concurrent-change",
                "Concurrent change",
                "The promo code kept changing while this change was made. Retry.",
            ),
            PromoAdminError::Store(store) => Problem::from_store(&store),
        }
    }
}

fn promo_view(p: &PromoCode) -> serde_json::Value {
    let money = |a| p.currency.format(a);
    let (percent_off, amount_off) = match p.off {
        PromoOff::Percent { percent } => (Some(percent.normalize().to_string()), None),
        PromoOff::Amount { amount } => (None, Some(money(amount))),
    };
    json!({
        "code": p.code,
        "label": p.label,
        "currency": p.currency.code(),
        "percent_off": percent_off,
        "amount_off": amount_off,
        "valid_from": p.valid_from.to_string(),
        "valid_until": p.valid_until.to_string(),
        "minimum_order": money(p.minimum_order),
        "total_limit": p.total_limit,
        "per_customer_limit": p.per_customer_limit,
        "uses": p.uses,
        "status": match p.status { PromoStatus::Active => "active", PromoStatus::Void => "void" },
        "created_at": p.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
        "created_by": p.created_by,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromoBody {
    code: String,
    label: String,
    currency: String,
    #[serde(default)]
    percent_off: Option<String>,
    #[serde(default)]
    amount_off: Option<String>,
    valid_from: String,
    valid_until: String,
    #[serde(default)]
    minimum_order: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::app::validate::whole_number::optional"
    )]
    total_limit: Option<u32>,
    #[serde(
        default,
        deserialize_with = "crate::app::validate::whole_number::optional"
    )]
    per_customer_limit: Option<u32>,
}

fn date(field: &str, text: &str) -> Result<time::Date, Problem> {
    parse_iso_date(text).map_err(|_| {
        Problem::invalid_field(FieldError::new(field, "must be a date such as 2026-12-01"))
    })
}

fn parse(body: PromoBody, now: time::OffsetDateTime) -> Result<PromoCode, Problem> {
    let code = normalise(&body.code).ok_or_else(|| {
        Problem::invalid_field(FieldError::new(
            "code",
            "must be 3 to 32 letters and digits (spaces, - and _ are dropped)",
        ))
    })?;
    let currency = Currency::from_code(&body.currency)
        .map_err(|e| Problem::invalid_field(FieldError::new("currency", e.to_string())))?;
    let off = match (&body.percent_off, &body.amount_off) {
        (Some(p), None) => PromoOff::Percent {
            percent: p.trim().parse().map_err(|_| {
                Problem::invalid_field(FieldError::new(
                    "percent_off",
                    "must be a number such as 10 or 12.5",
                ))
            })?,
        },
        (None, Some(a)) => PromoOff::Amount {
            amount: amount("amount_off", currency, a)?,
        },
        _ => {
            return Err(Problem::invalid_field(FieldError::new(
                "percent_off",
                "give one of percent_off and amount_off",
            )))
        }
    };
    Ok(PromoCode {
        code,
        label: body.label.trim().to_string(),
        currency,
        off,
        valid_from: date("valid_from", &body.valid_from)?,
        valid_until: date("valid_until", &body.valid_until)?,
        minimum_order: body
            .minimum_order
            .as_deref()
            .map(|m| amount("minimum_order", currency, m))
            .transpose()?
            .unwrap_or_default(),
        total_limit: body.total_limit,
        per_customer_limit: body.per_customer_limit,
        uses: 0,
        status: PromoStatus::Active,
        created_at: now,
        created_by: String::new(),
    })
}

async fn create(
    State(api): State<Arc<PromoAdmin>>,
    caller: Option<Extension<AdminCaller>>,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let parsed: PromoBody = parse_json(&body)?;
    let promo = parse(parsed, api.now())?;
    let by = caller_of(&caller);
    let (promo, created) = api.create(promo, &by).await?;
    tracing::info!(code = %promo.code, caller = %by, created, "promo code created");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(promo_view(&promo))).into_response())
}

fn code_of(text: &str) -> Result<String, Problem> {
    normalise(text).ok_or_else(|| {
        Problem::invalid_field(FieldError::new(
            "code",
            "must be 3 to 32 letters and digits",
        ))
    })
}

async fn show(
    State(api): State<Arc<PromoAdmin>>,
    Path(code): Path<String>,
) -> Result<Response, Problem> {
    let (stored, trail) = api.show(&code_of(&code)?).await?;
    let mut view = promo_view(&stored.value);
    view["audit"] = json!(audit_view(&trail));
    Ok(Json(view).into_response())
}

async fn void(
    State(api): State<Arc<PromoAdmin>>,
    Path(code): Path<String>,
    caller: Option<Extension<AdminCaller>>,
) -> Result<Response, Problem> {
    let by = caller_of(&caller);
    let voided = api.void(&code_of(&code)?, &by).await?;
    tracing::info!(code = %voided.code, caller = %by, "promo code voided");
    Ok(Json(promo_view(&voided)).into_response())
}

pub fn admin_promos_router(api: Arc<PromoAdmin>, auth: AdminAuth) -> Router {
    Router::new()
        .route("/v1/admin/promo-codes", post(create))
        .route("/v1/admin/promo-codes/{code}", get(show))
        .route("/v1/admin/promo-codes/{code}/void", post(void))
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
        .with_state(api)
}
