//! A memory `direct-debit-jobs` queue: the devserver's trigger drains it at once.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{DebitJob, DebitJobQueue, QueueError};

#[derive(Default)]
pub struct MemoryDebitJobQueue {
    jobs: Mutex<Vec<DebitJob>>,
}

impl MemoryDebitJobQueue {
    /// The jobs queued so far, oldest first; the queue is left empty.
    pub fn drain(&self) -> Vec<DebitJob> {
        self.jobs
            .lock()
            .map(|mut j| std::mem::take(&mut *j))
            .unwrap_or_default()
    }
}

#[async_trait]
impl DebitJobQueue for MemoryDebitJobQueue {
    async fn enqueue(&self, jobs: &[DebitJob]) -> Result<usize, QueueError> {
        let mut queued = self
            .jobs
            .lock()
            .map_err(|_| QueueError("memory queue poisoned".into()))?;
        queued.extend_from_slice(jobs);
        Ok(jobs.len())
    }
}
