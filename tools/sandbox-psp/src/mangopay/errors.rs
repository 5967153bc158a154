//! MangoPay's error responses: `{"Message", "Type", "Id", "Date", "errors": {field: message}}`
//! with its statuses (400 param_error, 401, 404 ressource_not_found, 409, 500).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::ids::now;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub errors: Map<String, Value>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: &str) -> Self {
        Self {
            status,
            kind,
            message: message.to_owned(),
            errors: Map::new(),
        }
    }

    /// A missing or wrong parameter, named.
    pub fn param(field: &str, message: &str) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "param_error",
            "One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error.",
        );
        e.errors
            .insert(field.to_owned(), Value::String(message.to_owned()));
        e
    }

    /// A request MangoPay understands but refuses in the object's state.
    pub fn refused(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "param_error", message)
    }

    /// docs.mangopay.com/api-reference/disputes/submit-dispute, "ContestDeadlineDate in the past".
    pub fn contest_deadline_passed() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "dispute_contest_deadline_passed",
            "The ContestDeadlineDate has now passed and this Dispute is no longer contestable",
        )
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        let mut e = Self::new(
            StatusCode::NOT_FOUND,
            "ressource_not_found",
            "Cannot found the ressource",
        );
        e.errors.insert(
            "RessourceNotFound".into(),
            Value::String(format!(
                "Cannot found the ressource {what} with the id={id} "
            )),
        );
        e
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Authorization has been denied for this request.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred (sandbox fault injection).",
        )
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests (sandbox fault injection).",
        )
    }

    pub fn duplicate_key() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "idempotent_creation_conflict",
            "A resource has already been created with this Idempotency Key",
        )
    }

    pub fn body(&self) -> Value {
        json!({
            "Message": self.message,
            "Type": self.kind,
            "Id": uuid::Uuid::new_v4().to_string(),
            "Date": now(),
            "errors": if self.errors.is_empty() { Value::Null } else { Value::Object(self.errors.clone()) },
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
