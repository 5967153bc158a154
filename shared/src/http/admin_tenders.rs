//! Back-office tenders: vouchers (`POST /v1/admin/vouchers` issues one and shows its code
//! once, `GET /v1/admin/vouchers/{voucher_id}`, `POST …/void`) and a customer's balance
//! (`GET`/`PATCH /v1/admin/customers/{customer_id}/balance?currency=EUR`: credit balance and
//! on account; `POST …/balance/on-account-payments` records a payment received on account).
//! Each answer carries the audit trail.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::admin_sepa::customer;
use super::back_office::{require_admin, AdminAuth, AdminCaller};
use super::json_body::{parse_json, RawJson};
use super::payments::in_progress_until;
use super::Problem;
use crate::app::start_payment::parse_idempotency_key;
use crate::app::tender_admin::{
    BalanceChange, NewVoucher, OnAccountPayment, Once, TenderAdmin, TenderAdminError,
};
use crate::domain::order::parse_iso_date;
use crate::domain::tenders::{AuditEntry, CustomerBalance, Voucher, VoucherCode};
use crate::domain::{Currency, FieldError, OfflineKind};
use crate::ports::IdempotencyKey;

impl From<TenderAdminError> for Problem {
    fn from(e: TenderAdminError) -> Self {
        use axum::http::StatusCode;
        match e {
            TenderAdminError::Invalid(field) => Problem::invalid_field(field),
            TenderAdminError::VoucherNotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "voucher-not-found",
                "Voucher not found",
                "There is no voucher with this id.",
            ),
            TenderAdminError::InProgress => Problem::new(
                StatusCode::CONFLICT,
                "request-in-progress",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed. Retry shortly.",
            ),
            TenderAdminError::KeyReused => Problem::new(
                StatusCode::CONFLICT,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request body.",
            ),
            TenderAdminError::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "concurrent-change",
                "Concurrent change",
                "The balance kept changing while this change was made. Retry.",
            ),
            TenderAdminError::Store(store) => Problem::from_store(&store),
        }
    }
}

pub(super) fn caller_of(caller: &Option<Extension<AdminCaller>>) -> String {
    caller
        .as_ref()
        .map_or("unknown", |Extension(AdminCaller(who))| who.as_str())
        .to_string()
}

fn currency(field: &str, code: &str) -> Result<Currency, Problem> {
    Currency::from_code(code)
        .map_err(|e| Problem::invalid_field(FieldError::new(field, e.to_string())))
}

pub(super) fn amount(field: &str, currency: Currency, text: &str) -> Result<Decimal, Problem> {
    currency
        .parse_amount(text)
        .map_err(|e| Problem::invalid_field(FieldError::new(field, e.to_string())))
}

fn voucher_id(id: &str) -> Result<&str, Problem> {
    let ok =
        id.len() == 36 && id.starts_with("vch_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit());
    ok.then_some(id).ok_or_else(|| {
        Problem::invalid_field(FieldError::new(
            "voucher_id",
            "must be a voucher id (vch_…)",
        ))
    })
}

pub(super) fn once<'a>(
    scope: String,
    headers: &HeaderMap,
    body: &'a [u8],
    context: &Option<Extension<lambda_http::Context>>,
) -> Result<Once<'a>, Problem> {
    let key = parse_idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))
        .map_err(Problem::from)?;
    Ok(Once {
        key: IdempotencyKey { scope, key },
        body,
        in_progress_until: in_progress_until(context.as_ref().map(|Extension(c)| c)),
    })
}

pub(super) fn audit_view(trail: &[AuditEntry]) -> Vec<serde_json::Value> {
    trail
        .iter()
        .map(|e| {
            json!({
                "at": e.at.format(&time::format_description::well_known::Rfc3339).ok(),
                "by": e.by,
                "action": e.action,
                "before": e.before,
                "after": e.after,
            })
        })
        .collect()
}

fn voucher_view(v: &Voucher, code: Option<&VoucherCode>) -> serde_json::Value {
    let money = |a| v.currency.format(a);
    json!({
        "id": v.id,
        "code": code.map(VoucherCode::display),
        "code_hint": v.code_hint,
        "currency": v.currency.code(),
        "initial_amount": money(v.initial_amount),
        "balance": money(v.balance),
        "expires_on": v.expires_on.to_string(),
        "status": v.status.as_str(),
        "issued_at": v.issued_at.format(&time::format_description::well_known::Rfc3339).ok(),
        "issued_by": v.issued_by,
        "issued_to": v.issued_to,
    })
}

fn balance_view(b: &CustomerBalance) -> serde_json::Value {
    let money = |a| b.currency.format(a);
    json!({
        "customer_id": b.customer_id,
        "currency": b.currency.code(),
        "credit_balance": money(b.credit),
        "on_account": {
            "allowed": b.on_account.allowed,
            "maximum": money(b.on_account.maximum),
            "outstanding": money(b.on_account.outstanding),
            "available": money(b.on_account.available()),
        },
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    amount: String,
    currency: String,
    expires_on: String,
}

async fn issue(
    State(api): State<Arc<TenderAdmin>>,
    context: Option<Extension<lambda_http::Context>>,
    caller: Option<Extension<AdminCaller>>,
    headers: HeaderMap,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let parsed: IssueBody = parse_json(&body)?;
    let currency = currency("currency", &parsed.currency)?;
    let new = NewVoucher {
        amount: amount("amount", currency, &parsed.amount)?,
        currency,
        expires_on: parse_iso_date(&parsed.expires_on).map_err(|_| {
            Problem::invalid_field(FieldError::new(
                "expires_on",
                "must be a date such as 2027-12-31",
            ))
        })?,
        issued_to: None,
    };
    let once = once("vouchers".into(), &headers, &body, &context)?;
    let by = caller_of(&caller);
    tracing::info!(caller = %by, "voucher issued by the seller");
    let stored = api.issue_voucher(new, &by, &once, voucher_view).await?;
    Ok(super::stored_reply(stored))
}

async fn show_voucher(
    State(api): State<Arc<TenderAdmin>>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (voucher, trail) = api.voucher(voucher_id(&id)?).await?;
    let mut view = voucher_view(&voucher.value, None);
    view["audit"] = json!(audit_view(&trail));
    Ok(Json(view).into_response())
}

async fn void_voucher(
    State(api): State<Arc<TenderAdmin>>,
    Path(id): Path<String>,
    caller: Option<Extension<AdminCaller>>,
) -> Result<Response, Problem> {
    let id = voucher_id(&id)?;
    let by = caller_of(&caller);
    tracing::info!(voucher = %id, caller = %by, "voucher voided by the seller");
    let voided = api.void_voucher(id, &by).await?;
    Ok(Json(voucher_view(&voided, None)).into_response())
}

#[derive(Deserialize)]
struct CurrencyQuery {
    #[serde(default)]
    currency: Option<String>,
}

fn query_currency(query: &CurrencyQuery) -> Result<Currency, Problem> {
    query
        .currency
        .as_deref()
        .map_or(Ok(Currency::EUR), |code| currency("currency", code))
}

async fn show_balance(
    State(api): State<Arc<TenderAdmin>>,
    Path(id): Path<String>,
    query: Result<Query<CurrencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) =
        query.map_err(|e| Problem::invalid_field(FieldError::new("query", e.body_text())))?;
    let currency = query_currency(&query)?;
    let (balance, trail) = api.balance(customer(&id)?, currency).await?;
    let mut view = balance_view(&balance.value);
    view["audit"] = json!(audit_view(&trail));
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnAccountBody {
    #[serde(default)]
    allowed: Option<bool>,
    #[serde(default)]
    maximum: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceBody {
    currency: String,
    #[serde(default)]
    credit_balance: Option<String>,
    /// An object or null (read apart: serde would also take a struct from an array).
    #[serde(default)]
    on_account: Option<serde_json::Map<String, serde_json::Value>>,
}

async fn change_balance(
    State(api): State<Arc<TenderAdmin>>,
    Path(id): Path<String>,
    caller: Option<Extension<AdminCaller>>,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let id = customer(&id)?.to_string();
    let parsed: BalanceBody = parse_json(&body)?;
    let currency = currency("currency", &parsed.currency)?;
    let on_account: Option<OnAccountBody> = parsed
        .on_account
        .map(|fields| serde_json::from_value(serde_json::Value::Object(fields)))
        .transpose()
        .map_err(|e| {
            Problem::invalid_field(FieldError::new(
                "on_account",
                format!("must be an object with allowed and maximum: {e}"),
            ))
        })?;
    let on_account = on_account.as_ref();
    let change = BalanceChange {
        credit: parsed
            .credit_balance
            .as_deref()
            .map(|t| amount("credit_balance", currency, t))
            .transpose()?,
        on_account_allowed: on_account.and_then(|a| a.allowed),
        on_account_maximum: on_account
            .and_then(|a| a.maximum.as_deref())
            .map(|t| amount("on_account.maximum", currency, t))
            .transpose()?,
    };
    let by = caller_of(&caller);
    tracing::info!(customer = %id, caller = %by, "customer balance changed by the seller");
    let changed = api.change_balance(&id, currency, &change, &by).await?;
    Ok(Json(balance_view(&changed)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnAccountPaymentBody {
    currency: String,
    amount: String,
    method: String,
    reference: String,
    received_on: String,
}

async fn record_on_account_payment(
    State(api): State<Arc<TenderAdmin>>,
    Path(id): Path<String>,
    context: Option<Extension<lambda_http::Context>>,
    caller: Option<Extension<AdminCaller>>,
    headers: HeaderMap,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let id = customer(&id)?.to_string();
    let parsed: OnAccountPaymentBody = parse_json(&body)?;
    let currency = currency("currency", &parsed.currency)?;
    let kind = match parsed.method.as_str() {
        "bank_transfer" => OfflineKind::BankTransfer,
        "cheque" => OfflineKind::Cheque,
        _ => {
            return Err(Problem::invalid_field(FieldError::new(
                "method",
                "must be bank_transfer or cheque",
            )))
        }
    };
    let payment = OnAccountPayment {
        amount: amount("amount", currency, &parsed.amount)?,
        kind,
        reference: crate::app::validate::text("reference", &parsed.reference, 100)
            .map_err(Problem::invalid_field)?,
        received_on: parse_iso_date(&parsed.received_on).map_err(|_| {
            Problem::invalid_field(FieldError::new(
                "received_on",
                "must be a date such as 2026-12-01",
            ))
        })?,
    };
    if payment.amount <= Decimal::ZERO {
        return Err(Problem::invalid_field(FieldError::new(
            "amount",
            "must be above 0",
        )));
    }
    let once = once(format!("on-account#{id}"), &headers, &body, &context)?;
    let by = caller_of(&caller);
    // The seller's reference is free text: not logged.
    tracing::info!(customer = %id, method = parsed.method, caller = %by, "payment on account recorded");
    let stored = api
        .record_on_account_payment(&id, currency, &payment, &by, &once, balance_view)
        .await?;
    Ok(super::stored_reply(stored))
}

pub fn admin_tenders_router(api: Arc<TenderAdmin>, auth: AdminAuth) -> Router {
    Router::new()
        .route("/v1/admin/vouchers", post(issue))
        .route("/v1/admin/vouchers/{voucher_id}", get(show_voucher))
        .route("/v1/admin/vouchers/{voucher_id}/void", post(void_voucher))
        .route(
            "/v1/admin/customers/{customer_id}/balance",
            get(show_balance).patch(change_balance),
        )
        .route(
            "/v1/admin/customers/{customer_id}/balance/on-account-payments",
            post(record_on_account_payment),
        )
        .with_state(api)
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
}
