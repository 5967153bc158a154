//! Implementations of the ports: DynamoDB for AWS, memory for the devserver and fast tests.

pub mod branded_mailer;
pub mod dynamodb;
pub mod lambda_telemetry;
pub mod memory;
pub mod s3;
pub mod score_table;
pub mod secrets;

/// The AWS configuration from the environment (`AWS_ENDPOINT_URL` reaches an emulator): load it
/// once in `main` and build every client from it.
pub async fn aws_config_from_env() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}
pub mod mangopay;
pub mod ses;
pub mod sqs;
pub mod stripe;

use std::sync::Arc;

use crate::config::ConfigError;
use crate::ports::ProviderRegistry;

/// Every payment connector configured in the environment, by name: today `stripe`
/// (`STRIPE_API_KEY`, `STRIPE_API_BASE`, `STRIPE_WEBHOOK_SECRET`), which also opens new card
/// payments.
pub fn payment_providers_from_env() -> Result<ProviderRegistry, ConfigError> {
    payment_providers_from(|name| std::env::var(name).ok())
}

/// The registry with its settings and secrets read through `var` (e.g. `Secrets::var`).
pub fn payment_providers_from(
    var: impl Fn(&str) -> Option<String>,
) -> Result<ProviderRegistry, ConfigError> {
    let stripe = stripe::StripeConfig::from_vars(var)?;
    Ok(ProviderRegistry::single(Arc::new(
        stripe::StripeConnector::new(stripe)?,
    )))
}
