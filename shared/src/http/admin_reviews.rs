//! Back-office fraud review: `GET /v1/admin/reviews` (orders waiting for a decision) and
//! `POST /v1/admin/orders/{reference}/review` (`{"decision": "approve" | "reject"}`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};

use super::back_office::{admin_view, require_admin, AdminAuth, AdminCaller};
use super::json_body::{parse_json, RawJson};
use super::payments::provider_problem;
use super::Problem;
use crate::app::review::{DecideReview, Decision, ReviewError};
use crate::domain::fraud_review::ReviewReason;
use crate::domain::{FieldError, Payment, Reference};

/// At most this many reviews are listed, oldest first (decide them to see the next).
pub const REVIEW_LIST_LIMIT: usize = 100;

#[derive(Clone)]
pub struct AdminReviews {
    pub reviews: Arc<DecideReview>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: String,
}

#[derive(Serialize)]
struct ReviewItem {
    reference: String,
    payment_id: String,
    amount: String,
    currency: &'static str,
    reasons: Vec<ReviewReason>,
    #[serde(with = "time::serde::rfc3339")]
    opened_at: time::OffsetDateTime,
}

impl ReviewItem {
    fn of(payment: &Payment) -> Option<Self> {
        let review = payment.review.as_ref()?;
        Some(Self {
            reference: payment.order_reference.to_string(),
            payment_id: payment.id.clone(),
            amount: payment.currency.format(payment.amount),
            currency: payment.currency.code(),
            reasons: review.reasons.clone(),
            opened_at: review.opened_at,
        })
    }
}

fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "order-not-found",
        "Order not found",
        "No order has this reference.",
    )
}

impl From<ReviewError> for Problem {
    fn from(error: ReviewError) -> Self {
        let conflict =
            |slug, title, detail| Problem::new(StatusCode::CONFLICT, slug, title, detail);
        match error {
            ReviewError::NotFound => not_found(),
            ReviewError::NoReview => conflict(
                "no-review",
                "No fraud review",
                "This order was not put under review: there is nothing to decide.",
            ),
            ReviewError::AlreadyDecided(_) => conflict(
                "review-decided",
                "Review already decided",
                "This order's review was already decided the other way; it cannot change.",
            ),
            ReviewError::Conflict => conflict(
                "order-changed",
                "Order changed",
                "The order changed while the decision was recorded. Retry.",
            ),
            ReviewError::Provider(e) => provider_problem(&e),
            ReviewError::Store(e) => Problem::from_store(&e),
        }
    }
}

async fn list(State(api): State<AdminReviews>) -> Result<Response, Problem> {
    let pending = api
        .reviews
        .pending(REVIEW_LIST_LIMIT)
        .await
        .map_err(|e| Problem::from_store(&e))?;
    let items: Vec<ReviewItem> = pending.iter().filter_map(ReviewItem::of).collect();
    Ok(Json(serde_json::json!({ "reviews": items })).into_response())
}

async fn decide(
    State(api): State<AdminReviews>,
    Path(reference): Path<String>,
    caller: Option<Extension<AdminCaller>>,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let reference = Reference::parse(&reference).map_err(|_| not_found())?;
    let body: DecisionBody = parse_json(&body)?;
    let decision = match body.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => {
            return Err(Problem::invalid_field(FieldError::new(
                "decision",
                "must be approve or reject",
            )))
        }
    };
    let caller = caller
        .as_ref()
        .map_or("unknown", |Extension(AdminCaller(who))| who.as_str());
    tracing::info!(%reference, ?decision, %caller, "fraud review decision asked");
    let decided = api.reviews.decide(&reference, decision).await?;
    let payments: Vec<Payment> = decided.payments.into_iter().map(|p| p.value).collect();
    Ok(Json(admin_view(&decided.order.value, &payments, None)).into_response())
}

pub fn admin_reviews_router(api: AdminReviews, auth: AdminAuth) -> Router {
    Router::new()
        .route("/v1/admin/reviews", get(list))
        .route("/v1/admin/orders/{reference}/review", post(decide))
        .with_state(api)
        .route_layer(middleware::from_fn_with_state(auth, require_admin))
}
