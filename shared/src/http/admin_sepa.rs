//! Back-office SEPA: `GET /v1/admin/customers/{customer_id}/sepa` (a customer's standing and
//! months) and `PATCH` the same (`{"cap"?: "300.00", "state"?: "active" | "suspended"}`); a
//! month's overview and another settlement of a month are in `admin_sepa_months.rs`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::back_office::{require_admin, AdminAuth, AdminCaller};
use super::json_body::{parse_json, RawJson};
use super::Problem;
use crate::app::sepa_admin::{SepaAdmin, SepaAdminError, StandingChange};
use crate::domain::sepa::{DebitMonth, SepaAccount, SepaState};
use crate::domain::{Currency, FieldError, OfflineKind};

impl From<SepaAdminError> for Problem {
    fn from(e: SepaAdminError) -> Self {
        match e {
            SepaAdminError::Invalid(field) => Problem::invalid_field(field),
            SepaAdminError::Store(store) => Problem::from_store(&store),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    #[serde(default)]
    cap: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

fn view(account: &SepaAccount, months: &[DebitMonth]) -> serde_json::Value {
    let eur = |a| Currency::EUR.format(a);
    let (state, reason) = match account.state {
        SepaState::Active => ("active", None),
        SepaState::Suspended { reason } => ("suspended", Some(reason.as_str())),
    };
    json!({
        "customer_id": account.customer_id,
        "state": state,
        "suspension_reason": reason,
        "cap": eur(account.cap),
        "clean_months": account.clean_months,
        "score": account.score.map(|s| json!({"value": s.value, "checked_on": s.checked_on.to_string()})),
        "months": months.iter().map(month_view).collect::<Vec<_>>(),
    })
}

/// One customer's month of debits, as the back office shows it.
pub(super) fn month_view(m: &DebitMonth) -> serde_json::Value {
    let eur = |a| Currency::EUR.format(a);
    json!({
        "customer_id": m.customer_id,
        "month": m.month.to_string(),
        "status": m.status.as_str(),
        "total": eur(m.total),
        "purchases": m.lines.len(),
        "orders": m.orders().iter().map(|r| r.as_str().to_string()).collect::<Vec<_>>(),
        "collection_on": m.collection_on.map(|d| d.to_string()),
        "failure_code": m.failure_code,
        "settlement": m.settlement.as_ref().map(|s| json!({
            "method": match s.kind {
                OfflineKind::BankTransfer => "bank_transfer",
                OfflineKind::Cheque => "cheque",
            },
            "reference": s.seller_reference,
            "recorded_by": s.recorded_by,
            "recorded_at": s.recorded_at.format(&time::format_description::well_known::Rfc3339).ok(),
        })),
    })
}

pub(super) fn customer(id: &str) -> Result<&str, Problem> {
    let ok = id.len() <= 64
        && id.starts_with("cus_")
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(id)
    } else {
        Err(Problem::invalid_field(FieldError::new(
            "customer_id",
            "must be a customer id (cus_…)",
        )))
    }
}

async fn show(
    State(api): State<Arc<SepaAdmin>>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (account, months) = api.standing(customer(&id)?).await?;
    Ok(Json(view(&account, &months)).into_response())
}

async fn change(
    State(api): State<Arc<SepaAdmin>>,
    Path(id): Path<String>,
    caller: Option<Extension<AdminCaller>>,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let id = customer(&id)?.to_string();
    let body: ChangeBody = parse_json(&body)?;
    let cap = body
        .cap
        .as_deref()
        .map(|text| {
            Currency::EUR
                .parse_amount(text)
                .map_err(|e| FieldError::new("cap", e.to_string()))
        })
        .transpose()
        .map_err(Problem::invalid_field)?;
    let active = match body.state.as_deref() {
        None => None,
        Some("active") => Some(true),
        Some("suspended") => Some(false),
        Some(_) => {
            return Err(Problem::invalid_field(FieldError::new(
                "state",
                "must be active or suspended",
            )))
        }
    };
    let caller = caller
        .as_ref()
        .map_or("unknown", |Extension(AdminCaller(who))| who.as_str());
    tracing::info!(customer = %id, ?cap, ?active, %caller, "SEPA standing changed by the seller");
    api.change(&id, &StandingChange { cap, active }).await?;
    let (account, months) = api.standing(&id).await?;
    Ok(Json(view(&account, &months)).into_response())
}

pub fn admin_sepa_router(api: Arc<SepaAdmin>, auth: AdminAuth) -> Router {
    Router::new()
        .route(
            "/v1/admin/customers/{customer_id}/sepa",
            get(show).patch(change),
        )
        .route(
            "/v1/admin/sepa/months/{month}",
            get(super::admin_sepa_months::overview),
        )
        .route(
            "/v1/admin/customers/{customer_id}/sepa/months/{month}/settlement",
            post(super::admin_sepa_months::settle_otherwise),
        )
        .with_state(api)
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
}
