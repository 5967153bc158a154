//! Stripe's error responses: `{"error": {type, code, decline_code, message, param,
//! payment_intent}}` with Stripe's statuses (400, 401, 402, 404, 409, 500).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: errors travel in every `Result` of the handlers, keep them small.
    pub body: Box<ErrorBody>,
    /// Rejected before the endpoint ran (bad parameters): Stripe saves no idempotent result then.
    pub validation: bool,
}

/// Response extension telling the idempotency layer not to keep this answer.
#[derive(Clone, Copy)]
pub struct DoNotStore;

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: &str) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                kind,
                code: None,
                decline_code: None,
                message: message.to_owned(),
                param: None,
                payment_intent: None,
            }),
            validation: false,
        }
    }

    pub fn invalid(param: Option<&str>, message: &str) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message);
        e.body.param = param.map(str::to_owned);
        e.validation = true;
        e
    }

    pub fn invalid_code(param: &str, code: &str, message: &str) -> Self {
        let mut e = Self::invalid(Some(param), message);
        e.body.code = Some(code.to_owned());
        e
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid_code(
            param,
            "parameter_missing",
            &format!("Missing required param: {param}."),
        )
    }

    /// A request valid in form but refused by the object's state (saved for idempotency).
    pub fn state(param: Option<&str>, code: &str, message: &str) -> Self {
        let mut e = Self::invalid(param, message);
        e.body.code = Some(code.to_owned());
        e.validation = false;
        e
    }

    pub fn not_found(kind: &str, id: &str, param: &str) -> Self {
        let mut e = Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such {kind}: '{id}'"),
        );
        e.body.code = Some("resource_missing".into());
        e.body.param = Some(param.to_owned());
        e.validation = true;
        e
    }

    pub fn card(code: &str, decline_code: Option<&str>, message: &str, intent: Value) -> Self {
        let mut e = Self::new(StatusCode::PAYMENT_REQUIRED, "card_error", message);
        e.body.code = Some(code.to_owned());
        e.body.decline_code = decline_code.map(str::to_owned);
        e.body.payment_intent = Some(intent);
        e
    }

    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message)
    }

    pub fn idempotency(status: StatusCode, message: &str) -> Self {
        let mut e = Self::new(status, "idempotency_error", message);
        e.validation = true;
        e
    }

    pub fn rate_limited() -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Too many requests hit the API too quickly. We recommend an exponential backoff of \
             your requests.",
        );
        e.body.code = Some("rate_limit".into());
        e.validation = true;
        e
    }

    pub fn internal(message: &str) -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "api_error", message);
        e.validation = true;
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp =
            (self.status, Json(serde_json::json!({ "error": self.body }))).into_response();
        if self.validation {
            resp.extensions_mut().insert(DoNotStore);
        }
        resp
    }
}
