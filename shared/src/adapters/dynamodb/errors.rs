//! SDK errors in domain terms. Throttling is its own case so callers can back off.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::ports::StoreError;

const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
];

pub fn store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if err.code().is_some_and(|c| THROTTLING_CODES.contains(&c)) {
        return StoreError::Throttled;
    }
    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

/// The write's condition was false: an outcome callers decide on, not a failure.
pub fn is_condition_failed<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.code() == Some("ConditionalCheckFailedException")
}
