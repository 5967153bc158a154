//! The HTTP side of the connector: one request with its retries, and Stripe's errors mapped to
//! `ProviderError`. POSTs keep the caller's Idempotency-Key across retries, so a retry after a
//! timeout replays Stripe's stored outcome instead of charging twice.

use crate::domain::log_safe::LogSafe;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::transformers::{ErrorBody, ErrorEnvelope, Form};
use super::StripeConnector;
use crate::ports::ProviderError;

/// Never wait longer than this between two attempts, whatever the configured base delay.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// One attempt's outcome: done (success or a final error) or worth another try.
enum Attempt {
    Done(Result<Vec<u8>, ProviderError>),
    Retry(ProviderError),
}

pub(super) struct Call<'a> {
    /// For logs only, e.g. "capture".
    pub operation: &'static str,
    pub method: Method,
    pub path: String,
    pub query: Form,
    pub form: Option<Form>,
    pub idempotency_key: Option<&'a str>,
}

impl StripeConnector {
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: String,
        query: Form,
    ) -> Result<T, ProviderError> {
        self.execute(Call {
            operation,
            method: Method::GET,
            path,
            query,
            form: None,
            idempotency_key: None,
        })
        .await
    }

    pub(super) async fn post<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: String,
        form: Form,
        idempotency_key: &str,
    ) -> Result<T, ProviderError> {
        check_idempotency_key(idempotency_key)?;
        self.execute(Call {
            operation,
            method: Method::POST,
            path,
            query: Vec::new(),
            form: Some(form),
            idempotency_key: Some(idempotency_key),
        })
        .await
    }

    async fn execute<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ProviderError> {
        let body = call
            .form
            .as_ref()
            .map(serde_urlencoded::to_string)
            .transpose()
            .map_err(|e| ProviderError::InvalidRequest(format!("form encoding: {e}")))?;
        let url = format!("{}{}", self.api_base, call.path);
        let mut attempt = 0;
        let bytes = loop {
            match self.attempt(&call, &url, body.as_deref()).await {
                Attempt::Done(result) => break result?,
                Attempt::Retry(error) if attempt >= self.config.max_retries => return Err(error),
                Attempt::Retry(error) => {
                    let delay = backoff(self.config.retry_base_delay, attempt);
                    tracing::debug!(
                        operation = call.operation,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %LogSafe(&error),
                        "stripe call failed, retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            ProviderError::Unavailable(format!(
                "unexpected Stripe response to {}: {e}",
                call.operation
            ))
        })
    }

    async fn attempt(&self, call: &Call<'_>, url: &str, body: Option<&str>) -> Attempt {
        let mut request = self.http.request(call.method.clone(), url);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.to_owned());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return transport_error(call.operation, e),
        };
        let status = response.status();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(e) => return transport_error(call.operation, e),
        };
        tracing::debug!(
            operation = call.operation,
            status = status.as_u16(),
            "stripe call"
        );
        if status.is_success() {
            return Attempt::Done(Ok(bytes));
        }
        classify(status, &bytes)
    }
}

/// The whole request (connect, send, read) counts: a timeout's outcome is unknown, which is
/// exactly what the idempotency key makes safe to retry.
fn transport_error(operation: &str, error: reqwest::Error) -> Attempt {
    if error.is_builder() {
        return Attempt::Done(Err(ProviderError::InvalidRequest(format!(
            "{operation}: {error}"
        ))));
    }
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    // reqwest's message carries the URL, which holds ids only (never the key or card data).
    Attempt::Retry(ProviderError::Unavailable(format!(
        "stripe {operation} {what}: {error}"
    )))
}

fn classify(status: StatusCode, body: &[u8]) -> Attempt {
    let error = serde_json::from_slice::<ErrorEnvelope>(body)
        .map(|envelope| envelope.error)
        .unwrap_or_default();
    let code = status.as_u16();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Attempt::Retry(ProviderError::RateLimited);
    }
    // 409 lock_timeout: another request on the same object held its lock; safe to retry.
    if status.is_server_error() || (code == 409 && error.has_code("lock_timeout")) {
        return Attempt::Retry(ProviderError::Unavailable(error.describe(code)));
    }
    Attempt::Done(Err(map_error(code, &error)))
}

/// Stripe's 4xx errors, never retried.
pub(super) fn map_error(status: u16, error: &ErrorBody) -> ProviderError {
    if error.is("card_error") {
        return if error.is_authentication_required() {
            ProviderError::AuthenticationRequired(error.failure())
        } else {
            ProviderError::Declined(error.failure())
        };
    }
    if error.is("idempotency_error") {
        return ProviderError::IdempotencyConflict;
    }
    if error.has_code("charge_disputed") {
        return ProviderError::Disputed(error.describe(status));
    }
    if status == 404 || error.has_code("resource_missing") {
        return ProviderError::NotFound(error.describe(status));
    }
    ProviderError::InvalidRequest(error.describe(status))
}

/// Exponential (base, 2×base, 4×base…) with "equal jitter": half fixed, half random, so
/// concurrent Lambdas that failed together do not retry together.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exponential = base
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_RETRY_DELAY);
    let half = exponential / 2;
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    let jitter_nanos = match u64::try_from(half.as_nanos()) {
        Ok(0) | Err(_) => 0,
        Ok(span) => random % span,
    };
    half + Duration::from_nanos(jitter_nanos)
}

/// Stripe accepts keys up to 255 characters; an empty key would silently disable the
/// protection against double charges.
fn check_idempotency_key(key: &str) -> Result<(), ProviderError> {
    if key.trim().is_empty() || key.len() > 255 {
        return Err(ProviderError::InvalidRequest(
            "idempotency key must be 1 to 255 characters".into(),
        ));
    }
    Ok(())
}

/// Ids go into URL paths: anything but Stripe's id alphabet could reach another endpoint.
pub(super) fn check_id(id: &str) -> Result<&str, ProviderError> {
    let valid = !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(id)
    } else {
        Err(ProviderError::InvalidRequest(format!(
            "not a Stripe id: {:?}",
            id.chars().take(40).collect::<String>()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_of_a_charged_back_charge_is_refused_as_disputed() {
        let body: ErrorEnvelope = serde_json::from_str(
            r#"{"error":{"type":"invalid_request_error","code":"charge_disputed",
                "message":"Charge ch_1 has been charged back; cannot issue a refund."}}"#,
        )
        .unwrap();
        assert!(matches!(
            map_error(400, &body.error),
            ProviderError::Disputed(_)
        ));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let base = Duration::from_millis(100);
        for attempt in 0..20 {
            let delay = backoff(base, attempt);
            let ceiling = base
                .saturating_mul(1 << attempt.min(16))
                .min(MAX_RETRY_DELAY);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{attempt}: {delay:?}"
            );
        }
    }

    #[test]
    fn ids_that_could_escape_the_path_are_refused() {
        assert!(check_id("pi_3QxA1b2C3d4E5f6G").is_ok());
        for id in [
            "",
            "pi_1/../../v1/refunds",
            "pi_1?expand[]=x",
            "pi 1",
            "pi_é",
        ] {
            assert!(matches!(
                check_id(id),
                Err(ProviderError::InvalidRequest(_))
            ));
        }
    }

    #[test]
    fn empty_or_huge_idempotency_keys_are_refused() {
        assert!(check_idempotency_key("cap-ORD-10042-1").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key(&"k".repeat(256)).is_err());
    }
}
