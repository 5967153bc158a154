//! Idempotency records, as AWS Lambda Powertools keeps them: a request claims its key with a
//! conditional write (INPROGRESS, with an expiry taken from the Lambda's remaining time), and
//! the same transaction that commits its effects stores the response (COMPLETED). A retry with
//! the same key and body gets that response again; with another body, a conflict; while the
//! first is still running, "in progress".

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// What the key is scoped to, e.g. `payments#ORD-10042`: the same key on another order is
    /// another request.
    pub scope: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// The JSON body as sent.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours: go ahead, then complete it in the transaction that commits the effects.
    Acquired,
    /// Done before with the same body: answer this again.
    Completed(StoredResponse),
    /// Another request with this key is running and has not expired.
    InProgress,
    /// The key was used with another body.
    Mismatch,
}

/// Stored with the effects of the request, in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyCompletion {
    pub key: IdempotencyKey,
    pub request_hash: String,
    pub response: StoredResponse,
    /// When the record may be forgotten (DynamoDB TTL).
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims the key for a request whose body hashes to `request_hash`. An INPROGRESS record
    /// whose `in_progress_until` has passed (its Lambda died) can be claimed again.
    async fn claim(
        &self,
        key: &IdempotencyKey,
        request_hash: &str,
        in_progress_until: OffsetDateTime,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError>;

    /// Gives up a claim whose request failed before any effect, so a retry can run.
    async fn release(&self, key: &IdempotencyKey, request_hash: &str) -> Result<(), StoreError>;
}
