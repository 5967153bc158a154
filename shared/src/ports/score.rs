//! The customer's financial score (out of 20), from whoever the seller trusts for it.

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("score provider unavailable: {0}")]
pub struct ScoreUnavailable(pub String);

#[async_trait]
pub trait ScoreProvider: Send + Sync {
    /// The score from 0 to 20 of the customer (`cus_…`, email for providers keyed by it).
    async fn score(&self, customer_id: &str, email: &str) -> Result<u8, ScoreUnavailable>;
}
