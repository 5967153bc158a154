//! RFC 9457 problem details. Every error we answer is one of these: a stable `type` URI, a
//! title, the status, a detail a developer can act on, and the offending field when there is one.

use crate::domain::log_safe::LogSafe;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::FieldError;
use crate::ports::StoreError;

const TYPE_BASE: &str = "https://encaisse.dev/problems/";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What a refusal left available (SEPA: what remains under this month's cap, EUR).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Box<str>>,
    #[serde(skip)]
    pub retry_after_seconds: Option<u32>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            remaining: None,
            retry_after_seconds: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn order_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "order-not-found",
            "Order not found",
            "No order matches this reference and postcode.",
        )
    }

    /// The back office's 404: no order has this reference (no postcode involved).
    pub fn unknown_order() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "order-not-found",
            "Order not found",
            "No order has this reference.",
        )
    }

    pub fn too_many_attempts(retry_after_seconds: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-attempts",
            "Too many attempts",
            "Too many failed attempts. Try again later.",
        );
        p.retry_after_seconds = Some(u32::try_from(retry_after_seconds).unwrap_or(u32::MAX));
        p
    }

    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON",
            detail,
        )
    }

    pub fn unknown_field(field: impl Into<String>) -> Self {
        let field = field.into();
        Self::new(
            StatusCode::BAD_REQUEST,
            "unknown-field",
            "Unknown field",
            format!("{field} is not a field of this request."),
        )
        .with_field(field)
    }

    pub fn invalid_field(error: FieldError) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "Invalid field",
            format!("{} {}", error.field, error.reason)
                .trim()
                .to_string(),
        )
        .with_optional_field(error.field)
    }

    fn with_optional_field(self, field: String) -> Self {
        if field.is_empty() {
            self
        } else {
            self.with_field(field)
        }
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("Request bodies are limited to {limit} bytes."),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send JSON with Content-Type: application/json.",
        )
    }

    pub fn unauthorized(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            detail,
        )
    }

    pub fn reference_taken(reference: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "reference-taken",
            "Reference already taken",
            format!("An order with reference {reference} already exists."),
        )
        .with_field("reference")
    }

    pub fn route_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "No such resource.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "This resource does not accept that method.",
        )
    }

    /// Our fault or the store's, never the caller's: no internals in the answer, the cause in
    /// the log.
    pub fn from_store(error: &StoreError) -> Self {
        match error {
            StoreError::Throttled | StoreError::Contention => {
                tracing::warn!(error = %LogSafe(&error), "store busy");
                let mut p = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily-unavailable",
                    "Temporarily unavailable",
                    "The service is busy. Retry shortly.",
                );
                p.retry_after_seconds = Some(1);
                p
            }
            _ => {
                tracing::error!(error = %LogSafe(&error), "store failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal-error",
                    "Internal error",
                    "Something went wrong on our side. Retry later.",
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
