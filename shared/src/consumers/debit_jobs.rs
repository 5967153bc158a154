//! The `direct-debit-jobs` queue: each message moves one customer's SEPA month one step.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::{consume_batch, MessageFailure};
use crate::app::direct_debit::{DebitError, MonthlyDirectDebit};
use crate::ports::{DebitJob, ProviderError, StoreError};

fn failure(error: DebitError) -> MessageFailure {
    let transient = !matches!(
        &error,
        DebitError::Store(StoreError::Corrupt(_))
            | DebitError::Provider(ProviderError::InvalidRequest(_) | ProviderError::NotFound(_))
    );
    MessageFailure {
        transient,
        error: error.to_string(),
    }
}

pub async fn advance_debit_jobs(run: &MonthlyDirectDebit, event: SqsEvent) -> SqsBatchResponse {
    consume_batch("direct-debit-jobs", event, |body| async move {
        let job: DebitJob = serde_json::from_str(&body)
            .map_err(|e| MessageFailure::permanent(format!("not a debit job: {e}")))?;
        run.advance(&job).await.map(|_| ()).map_err(failure)
    })
    .await
}
