//! The `direct-debit-jobs` queue: one job per customer whose SEPA month is closed, announced or
//! submitted (SQS in AWS, a channel in the devserver). Delivery is at least once; a job only
//! ever moves its month forward, so a second delivery changes nothing.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::QueueError;
use crate::domain::sepa::MonthId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitJob {
    pub customer_id: String,
    pub month: MonthId,
}

#[async_trait]
pub trait DebitJobQueue: Send + Sync {
    /// Queues the jobs; returns how many were accepted (a failed batch entry is retried by the
    /// next run of the schedule).
    async fn enqueue(&self, jobs: &[DebitJob]) -> Result<usize, QueueError>;
}
