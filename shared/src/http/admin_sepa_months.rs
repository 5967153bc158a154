//! Back-office SEPA months: `GET /v1/admin/sepa/months/{month}` (counts and totals by status,
//! and a page of the month's debits: `?status=&after=&limit=`), and
//! `POST /v1/admin/customers/{customer_id}/sepa/months/{month}/settlement` (the customer paid
//! a month the debit did not collect another way: `{"method": "bank_transfer" | "cheque",
//! "reference": "…", "amount": "123.40"}`, the amount being the month's total).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use super::admin_sepa::{customer, month_view};
use super::back_office::AdminCaller;
use super::json_body::{parse_json, RawJson};
use super::Problem;
use crate::app::direct_debit::{OtherSettlementError, SettlementRecord};
use crate::app::sepa_admin::SepaAdmin;
use crate::app::sepa_month_overview::{OverviewPage, MAX_LISTED};
use crate::domain::sepa::{DebitStatus, MonthId};
use crate::domain::{Currency, FieldError, OfflineKind};

impl From<OtherSettlementError> for Problem {
    fn from(e: OtherSettlementError) -> Self {
        match e {
            OtherSettlementError::Invalid(field) => Problem::invalid_field(field),
            OtherSettlementError::NoSuchMonth { month } => Problem::new(
                StatusCode::NOT_FOUND,
                "sepa-month-not-found",
                "SEPA month not found",
                format!("This customer has no SEPA purchases in {month}."),
            ),
            OtherSettlementError::NotSettleable { status } => Problem::new(
                StatusCode::CONFLICT,
                "sepa-month-not-settleable",
                "SEPA month cannot be settled another way",
                format!(
                    "The month is {}: only a returned, disputed, or closed (never debited) \
                     month can be settled another way, once.",
                    status.as_str()
                ),
            ),
            OtherSettlementError::AmountMismatch { total } => {
                Problem::invalid_field(FieldError::new(
                    "amount",
                    format!("must be the month's total, {}", Currency::EUR.format(total)),
                ))
            }
            OtherSettlementError::Store(store) => Problem::from_store(&store),
        }
    }
}

fn month_id(text: &str) -> Result<MonthId, Problem> {
    MonthId::parse(text)
        .ok_or_else(|| Problem::invalid_field(FieldError::new("month", "must be a month, YYYY-MM")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OverviewQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

fn page(query: OverviewQuery) -> Result<OverviewPage, Problem> {
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => Some(DebitStatus::parse(text).ok_or_else(|| {
            Problem::invalid_field(FieldError::new(
                "status",
                "must be open, closed, notified, submitted, paid, returned, disputed or \
                 settled_otherwise",
            ))
        })?),
    };
    let after = match query.after {
        None => None,
        Some(id) => Some(
            customer(&id)
                .map_err(|_| {
                    Problem::invalid_field(FieldError::new(
                        "after",
                        "must be a customer id (cus_…), the previous page's next_after",
                    ))
                })?
                .to_string(),
        ),
    };
    let limit = match query.limit.as_deref() {
        None => 100,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LISTED).contains(n))
            .ok_or_else(|| {
                Problem::invalid_field(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LISTED}"),
                ))
            })?,
    };
    Ok(OverviewPage {
        status,
        after,
        limit,
    })
}

pub(super) async fn overview(
    State(api): State<Arc<SepaAdmin>>,
    Path(month): Path<String>,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) =
        query.map_err(|e| Problem::invalid_field(FieldError::new("query", e.body_text())))?;
    let month = month_id(&month)?;
    let overview = api
        .month(month, page(query)?)
        .await
        .map_err(|e| Problem::from_store(&e))?;
    let eur = |a| Currency::EUR.format(a);
    Ok(Json(json!({
        "month": overview.month.to_string(),
        "count": overview.count,
        "total": eur(overview.total),
        "by_status": overview.by_status.iter().map(|s| json!({
            "status": s.status.as_str(),
            "count": s.count,
            "total": eur(s.total),
        })).collect::<Vec<_>>(),
        "debits": overview.debits.iter().map(month_view).collect::<Vec<_>>(),
        "next_after": overview.next_after,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettlementBody {
    method: String,
    reference: String,
    amount: String,
}

pub(super) async fn settle_otherwise(
    State(api): State<Arc<SepaAdmin>>,
    Path((id, month)): Path<(String, String)>,
    caller: Option<Extension<AdminCaller>>,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let id = customer(&id)?.to_string();
    let month = month_id(&month)?;
    let body: SettlementBody = parse_json(&body)?;
    let kind = match body.method.as_str() {
        "bank_transfer" => OfflineKind::BankTransfer,
        "cheque" => OfflineKind::Cheque,
        _ => {
            return Err(Problem::invalid_field(FieldError::new(
                "method",
                "must be bank_transfer or cheque",
            )))
        }
    };
    let amount = Currency::EUR
        .parse_amount(&body.amount)
        .map_err(|e| Problem::invalid_field(FieldError::new("amount", e.to_string())))?;
    let caller = caller
        .as_ref()
        .map_or("unknown", |Extension(AdminCaller(who))| who.as_str())
        .to_string();
    // The seller's reference is free text: not logged.
    tracing::info!(customer = %id, %month, method = body.method, %caller, "SEPA month settled another way");
    let record = SettlementRecord {
        kind,
        seller_reference: body.reference,
        amount,
        recorded_by: caller,
    };
    let settled = api.settle_otherwise(&id, month, &record).await?;
    Ok(Json(month_view(&settled)).into_response())
}
