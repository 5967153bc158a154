//! Implementations of the ports: DynamoDB for AWS, memory for the devserver and fast tests.

pub mod dynamodb;
pub mod memory;
pub mod ses;
pub mod sqs;
pub mod stripe;

use std::sync::Arc;

use crate::config::ConfigError;
use crate::ports::ProviderRegistry;

/// Every connector configured in the environment, by name (today `stripe`, which also opens
/// new card payments).
pub fn providers_from_env() -> Result<ProviderRegistry, ConfigError> {
    Ok(ProviderRegistry::single(Arc::new(
        stripe::StripeConnector::from_env()?,
    )))
}
