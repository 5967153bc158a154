//! `POST /dev/monthly-direct-debit`: runs the SEPA month close now (the Lambda's schedule and
//! job queue in AWS): the month's customers fanned out, then each job run at once, as of
//! `?as_of=YYYY-MM-DD` (default today; 10:00 UTC that day) for `?month=YYYY-MM` (default the
//! month before `as_of`). Run it on the 1st to close and announce, again on the collection
//! date to submit. For a client on this machine only.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use encaisse::adapters::memory::debit_jobs::MemoryDebitJobQueue;
use encaisse::app::direct_debit::MonthlyDirectDebit;
use encaisse::domain::sepa::MonthId;
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

#[derive(Clone)]
pub struct MonthClose {
    pub run: Arc<MonthlyDirectDebit>,
    pub queue: Arc<MemoryDebitJobQueue>,
}

#[derive(Deserialize)]
struct Params {
    month: Option<String>,
    as_of: Option<String>,
}

fn bad(message: &str) -> (StatusCode, Json<Value>) {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message})))
}

async fn run_close(
    State(close): State<MonthClose>,
    Query(params): Query<Params>,
) -> (StatusCode, Json<Value>) {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let now = match params.as_of.as_deref() {
        None => OffsetDateTime::now_utc(),
        Some(text) => match time::Date::parse(text, &format) {
            Ok(day) => day
                .with_hms(10, 0, 0)
                .map(|t| t.assume_utc())
                .unwrap_or(OffsetDateTime::now_utc()),
            Err(_) => return bad("as_of: expected YYYY-MM-DD"),
        },
    };
    let month = match params.month.as_deref() {
        None => MonthId::of(encaisse::domain::paris_time::paris_date(now)).previous(),
        Some(text) => match MonthId::parse(text) {
            Some(month) => month,
            None => return bad("month: expected YYYY-MM"),
        },
    };
    let fanned = match close.run.fan_out(month).await {
        Ok(report) => report,
        Err(error) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": error.to_string()})),
            )
        }
    };
    let mut advanced: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed = 0;
    for job in close.queue.drain() {
        match close.run.advance_at(&job, now).await {
            Ok(step) => {
                *advanced
                    .entry(json!(step).as_str().unwrap_or("?").to_string())
                    .or_default() += 1
            }
            Err(error) => {
                tracing::warn!(%error, "debit job failed");
                failed += 1;
            }
        }
    }
    (
        StatusCode::OK,
        Json(
            json!({"month": fanned.month, "customers": fanned.customers, "advanced": advanced, "failed": failed}),
        ),
    )
}

pub fn router(close: MonthClose) -> Router {
    encaisse_sandbox_psp::loopback::loopback_only(
        Router::new()
            .route("/dev/monthly-direct-debit", post(run_close))
            .with_state(close),
    )
}
