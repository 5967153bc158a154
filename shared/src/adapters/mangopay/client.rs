//! The HTTP side of the connector: the OAuth token (client credentials, cached until ten
//! seconds before it expires, fetched again on a 401), one JSON request with its retries, and
//! MangoPay's errors mapped to `ProviderError`.
//!
//! Idempotency: every POST carries an `Idempotency-Key` derived from ours (MangoPay takes 16–36
//! letters, digits or dashes). MangoPay answers a second request under a key with 409 and keeps
//! the first answer at `GET /responses/{key}`: the connector then reads it and hands it back,
//! and the caller checks it answers the same request (else `IdempotencyConflict`). So a retry
//! after a timeout gets the first outcome, never a second charge. Keys last 24 hours at MangoPay.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::transformers::{ErrorBody, StoredResponse, TokenResponse};
use super::MangopayConnector;
use crate::domain::log_safe::LogSafe;
use crate::ports::ProviderError;

const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// A token is renewed this long before MangoPay says it expires (as MangoPay's SDKs do).
const TOKEN_MARGIN: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(super) struct TokenCache {
    current: tokio::sync::Mutex<Option<(String, Instant)>>,
    fetched: AtomicU64,
}

impl TokenCache {
    pub fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }
}

enum Attempt {
    Done(Result<Vec<u8>, ProviderError>),
    Retry(ProviderError),
    /// 401: the token was refused (expired early, revoked); fetch another once.
    Unauthorised,
    /// 409 on our key: the first request under it was already answered.
    Replay,
}

impl MangopayConnector {
    /// `{base}/v2.01/{ClientId}{path}`.
    fn url(&self, path: &str) -> String {
        format!("{}/v2.01/{}{path}", self.api_base, self.config.client_id)
    }

    async fn bearer(&self, refresh: bool) -> Result<String, ProviderError> {
        let mut current = self.token.current.lock().await;
        if let Some((token, until)) = current.as_ref() {
            if !refresh && Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.config.client_id, self.config.api_key));
        let response = self
            .http
            .post(format!("{}/v2.01/oauth/token", self.api_base))
            .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(format!("mangopay oauth: {e}")))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unavailable(format!("mangopay oauth: {e}")))?;
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ProviderError::Unavailable(format!(
                "mangopay oauth: {status}"
            )));
        }
        if !status.is_success() {
            // Wrong credentials: a configuration problem, never retried.
            return Err(ProviderError::InvalidRequest(format!(
                "mangopay oauth refused the client credentials ({status})"
            )));
        }
        let token: TokenResponse = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Unavailable(format!("mangopay oauth answer: {e}")))?;
        let lifetime =
            Duration::from_secs(token.expires_in.max(0) as u64).saturating_sub(TOKEN_MARGIN);
        *current = Some((token.access_token.clone(), Instant::now() + lifetime));
        self.token.fetched.fetch_add(1, Ordering::Relaxed);
        Ok(token.access_token)
    }

    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
    ) -> Result<T, ProviderError> {
        let bytes = self
            .execute(operation, Method::GET, path, None, None)
            .await?;
        decode(operation, &bytes.unwrap_or_default())
    }

    /// A POST under `key` (ours; the header carries a digest of it). A second POST under the
    /// same key answers the first one's outcome: the caller checks it is the same request.
    pub(super) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        body: &B,
        key: &str,
    ) -> Result<T, ProviderError> {
        let key = idempotency_key(key)?;
        let body = serde_json::to_vec(body)
            .map_err(|e| ProviderError::InvalidRequest(format!("{operation}: {e}")))?;
        let bytes = match self
            .execute(operation, Method::POST, path, Some(body), Some(&key))
            .await?
        {
            Some(bytes) => bytes,
            None => self.replay(operation, &key).await?,
        };
        decode(operation, &bytes)
    }

    pub(super) async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        body: &B,
    ) -> Result<T, ProviderError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| ProviderError::InvalidRequest(format!("{operation}: {e}")))?;
        let bytes = self
            .execute(operation, Method::PUT, path, Some(body), None)
            .await?;
        decode(operation, &bytes.unwrap_or_default())
    }

    /// A PUT with no body (`Content-Length: 0`, as MangoPay's cancel calls want).
    pub(super) async fn put_empty<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
    ) -> Result<T, ProviderError> {
        let bytes = self
            .execute(operation, Method::PUT, path, Some(Vec::new()), None)
            .await?;
        decode(operation, &bytes.unwrap_or_default())
    }

    /// The answer's body; None when MangoPay refused the key as used (409): the first answer
    /// is then read from `/responses`.
    async fn execute(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        key: Option<&str>,
    ) -> Result<Option<Vec<u8>>, ProviderError> {
        let url = self.url(path);
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let token = self.bearer(false).await?;
            match self
                .attempt(operation, &method, &url, &token, body.as_deref(), key)
                .await
            {
                Attempt::Done(result) => return result.map(Some),
                Attempt::Replay => return Ok(None),
                Attempt::Unauthorised if !refreshed => {
                    refreshed = true;
                    self.bearer(true).await?;
                }
                Attempt::Unauthorised => {
                    return Err(ProviderError::InvalidRequest(format!(
                        "{operation}: MangoPay refused a fresh access token"
                    )))
                }
                Attempt::Retry(error) if attempt >= self.config.max_retries => return Err(error),
                Attempt::Retry(error) => {
                    let delay = backoff(self.config.retry_base_delay, attempt);
                    tracing::debug!(
                        operation,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %LogSafe(&error),
                        "mangopay call failed, retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(
        &self,
        operation: &'static str,
        method: &Method,
        url: &str,
        token: &str,
        body: Option<&[u8]>,
        key: Option<&str>,
    ) -> Attempt {
        let mut request = self.http.request(method.clone(), url).bearer_auth(token);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return transport_error(operation, e),
        };
        let status = response.status();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(e) => return transport_error(operation, e),
        };
        tracing::debug!(operation, status = status.as_u16(), "mangopay call");
        if status.is_success() {
            return Attempt::Done(Ok(bytes));
        }
        classify(status, &bytes, key.is_some())
    }

    /// The first answer under `key`, as MangoPay kept it.
    async fn replay(&self, operation: &'static str, key: &str) -> Result<Vec<u8>, ProviderError> {
        let stored: StoredResponse = match self.get(operation, &format!("/responses/{key}")).await {
            Ok(stored) => stored,
            // Not answered yet: the first request under the key is still running.
            Err(ProviderError::NotFound(_)) => {
                return Err(ProviderError::Unavailable(format!(
                    "{operation}: the first request under this key has not answered yet"
                )))
            }
            Err(e) => return Err(e),
        };
        let status: u16 = stored.status_code.parse().unwrap_or(0);
        let body = serde_json::to_vec(&stored.resource).unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        match classify(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            &body,
            false,
        ) {
            Attempt::Done(result) => result,
            Attempt::Retry(error) => Err(error),
            Attempt::Unauthorised | Attempt::Replay => Err(ProviderError::Unavailable(format!(
                "{operation}: the first request under this key answered {status}"
            ))),
        }
    }
}

fn decode<T: DeserializeOwned>(operation: &str, bytes: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ProviderError::Unavailable(format!("unexpected MangoPay response to {operation}: {e}"))
    })
}

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
    Attempt::Retry(ProviderError::Unavailable(format!(
        "mangopay {operation} {what}: {error}"
    )))
}

fn classify(status: StatusCode, body: &[u8], keyed: bool) -> Attempt {
    let error: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    match status.as_u16() {
        429 => Attempt::Retry(ProviderError::RateLimited),
        401 => Attempt::Unauthorised,
        409 if keyed => Attempt::Replay,
        code if code >= 500 => Attempt::Retry(ProviderError::Unavailable(error.describe(code))),
        code => Attempt::Done(Err(map_error(code, &error))),
    }
}

/// MangoPay's 4xx errors, never retried.
pub(super) fn map_error(status: u16, error: &ErrorBody) -> ProviderError {
    if status == 404 || error.kind == "ressource_not_found" {
        return ProviderError::NotFound(error.describe(status));
    }
    if status == 409 {
        return ProviderError::IdempotencyConflict;
    }
    ProviderError::InvalidRequest(error.describe(status))
}

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

/// MangoPay's `Idempotency-Key` for ours: 32 hex digits of its SHA-256 (ours may be longer
/// than 36 characters or hold characters MangoPay refuses). The same key gives the same header.
pub(super) fn idempotency_key(ours: &str) -> Result<String, ProviderError> {
    if ours.trim().is_empty() || ours.len() > 255 {
        return Err(ProviderError::InvalidRequest(
            "idempotency key must be 1 to 255 characters".into(),
        ));
    }
    Ok(hex::encode(&Sha256::digest(ours.as_bytes())[..16]))
}

/// A path segment that cannot reach another endpoint: letters, digits, `_` and `-`.
pub(super) fn is_safe_segment(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Ids go into URL paths: anything else could reach another endpoint.
pub(super) fn check_id(id: &str) -> Result<&str, ProviderError> {
    if is_safe_segment(id) {
        Ok(id)
    } else {
        Err(ProviderError::InvalidRequest(format!(
            "not a MangoPay id: {:?}",
            id.chars().take(40).collect::<String>()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_what_mangopay_takes_and_stable() {
        let key = idempotency_key("capture:ORD-10042:pay_01:parcel 2 of 3 — long enough").unwrap();
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            key,
            idempotency_key("capture:ORD-10042:pay_01:parcel 2 of 3 — long enough").unwrap()
        );
        assert_ne!(
            key,
            idempotency_key("capture:ORD-10042:pay_01:parcel 3 of 3").unwrap()
        );
        assert!(idempotency_key("").is_err());
        assert!(idempotency_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn ids_that_could_escape_the_path_are_refused() {
        assert!(check_id("preauth_m_01HQK25M6KVHKDV0S36JY9NRKR").is_ok());
        assert!(check_id("156686696").is_ok());
        for id in ["", "1/../../users", "1?x=2", "a b", "é"] {
            assert!(matches!(
                check_id(id),
                Err(ProviderError::InvalidRequest(_))
            ));
        }
    }

    #[test]
    fn errors_map_to_the_port() {
        let not_found: ErrorBody = serde_json::from_str(
            r#"{"Message":"Cannot found the ressource","Type":"ressource_not_found","errors":{"RessourceNotFound":"Cannot found the ressource PreAuthorization with the id=1"}}"#,
        )
        .unwrap();
        assert!(matches!(
            map_error(404, &not_found),
            ProviderError::NotFound(_)
        ));
        let param: ErrorBody = serde_json::from_str(
            r#"{"Message":"One or several required parameters are missing or incorrect.","Type":"param_error","errors":{"DebitedFunds.Amount":"The amount is above the remaining funds."}}"#,
        )
        .unwrap();
        match map_error(400, &param) {
            ProviderError::InvalidRequest(text) => {
                assert!(text.contains("DebitedFunds.Amount"), "{text}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(StatusCode::CONFLICT, b"{}", true),
            Attempt::Replay
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, b"{}", true),
            Attempt::Retry(_)
        ));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, b"", true),
            Attempt::Retry(ProviderError::RateLimited)
        ));
    }
}
