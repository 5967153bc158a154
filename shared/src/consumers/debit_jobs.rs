//! The `direct-debit-jobs` queue: each message moves one customer's SEPA month one step.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::Value;

use super::{consume_batch, MessageFailure};
use crate::app::direct_debit::{DebitError, MonthlyDirectDebit};
use crate::domain::sepa::MonthId;
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

#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error("month: expected YYYY-MM")]
    BadMonth,
    #[error("not an SQS batch: {0}")]
    BadBatch(#[from] serde_json::Error),
    #[error(transparent)]
    Debit(#[from] DebitError),
}

/// One invocation of `monthly-direct-debit`: an SQS batch of jobs (`Records`), or the
/// schedule's `{"month"?: "YYYY-MM"}` (default the month just ended) fanned out.
pub async fn handle_invocation(
    run: &MonthlyDirectDebit,
    payload: Value,
) -> Result<Value, InvocationError> {
    if payload.get("Records").is_some() {
        let batch: SqsEvent = serde_json::from_value(payload)?;
        return Ok(serde_json::to_value(advance_debit_jobs(run, batch).await)?);
    }
    let month = match payload.get("month") {
        None | Some(Value::Null) => run.last_month(),
        Some(Value::String(text)) => MonthId::parse(text).ok_or(InvocationError::BadMonth)?,
        Some(_) => return Err(InvocationError::BadMonth),
    };
    Ok(serde_json::to_value(run.fan_out(month).await?)?)
}
