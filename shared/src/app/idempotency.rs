//! Running a request once under its idempotency key (the claim, the work, the completion).

use crate::domain::log_safe::LogSafe;
use time::OffsetDateTime;

use crate::ports::{Claim, StoredResponse};

/// Why a request could not run under its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another request with this key is still running.
    InProgress,
    /// The key was used with another body.
    Mismatch,
}

/// How long a completed response is replayed for the same key.
pub const RETENTION: time::Duration = time::Duration::hours(24);

/// Runs `work` at most once per key, Powertools-style: claim (INPROGRESS until
/// `in_progress_until`), replay a completed response, refuse a running or mismatched one, and
/// release the claim when `work` fails (it committed nothing; `work` itself stores its response
/// with [`completion`] in the transaction of its effects).
pub async fn run_once<E, W, F>(
    store: &dyn crate::ports::IdempotencyStore,
    key: &crate::ports::IdempotencyKey,
    request_hash: &str,
    in_progress_until: OffsetDateTime,
    now: OffsetDateTime,
    refuse: impl Fn(Refusal) -> E,
    work: W,
) -> Result<StoredResponse, E>
where
    E: From<crate::ports::StoreError>,
    W: FnOnce() -> F,
    F: std::future::Future<Output = Result<StoredResponse, E>>,
{
    match store
        .claim(key, request_hash, in_progress_until, now + RETENTION, now)
        .await?
    {
        Claim::Acquired => {}
        Claim::Completed(response) => return Ok(response),
        Claim::InProgress => return Err(refuse(Refusal::InProgress)),
        Claim::Mismatch => return Err(refuse(Refusal::Mismatch)),
    }
    let outcome = work().await;
    if outcome.is_err() {
        if let Err(error) = store.release(key, request_hash).await {
            tracing::warn!(error = %LogSafe(&error), "could not release an idempotency claim; it will expire");
        }
    }
    outcome
}

/// The write that turns this request's claim into COMPLETED with `response`.
pub fn completion(
    key: &crate::ports::IdempotencyKey,
    request_hash: &str,
    response: &StoredResponse,
    now: OffsetDateTime,
) -> crate::ports::Write {
    crate::ports::Write::CompleteIdempotency(crate::ports::IdempotencyCompletion {
        key: key.clone(),
        request_hash: request_hash.to_string(),
        response: response.clone(),
        expires_at: now + RETENTION,
    })
}
