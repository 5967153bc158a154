//! `POST /dev/collect-instalments`: runs the daily instalment collection now (the Lambda's
//! schedule in AWS), for a day given as `?as_of=YYYY-MM-DD` (default today), so a demo or a
//! test can reach a due date without waiting for it. For a client on this machine only.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use encaisse::app::collect_instalments::CollectInstalments;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
struct AsOf {
    as_of: Option<String>,
}

async fn collect(
    State(run): State<Arc<CollectInstalments>>,
    Query(query): Query<AsOf>,
) -> (StatusCode, Json<Value>) {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let report = match query.as_of.as_deref() {
        None => run.run().await,
        Some(text) => match time::Date::parse(text, &format) {
            Ok(day) => run.run_on(day).await,
            Err(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "as_of: expected YYYY-MM-DD"})),
                )
            }
        },
    };
    match report {
        Ok(report) => (StatusCode::OK, Json(json!(report))),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": error.to_string()})),
        ),
    }
}

pub fn router(run: Arc<CollectInstalments>) -> Router {
    encaisse_sandbox_psp::loopback::loopback_only(
        Router::new()
            .route("/dev/collect-instalments", post(collect))
            .with_state(run),
    )
}
