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

/// Every payment connector configured in the environment, by name: `stripe` when
/// `STRIPE_API_KEY` is set (with `STRIPE_API_BASE`, `STRIPE_WEBHOOK_SECRET`), `mangopay` when
/// `MANGOPAY_CLIENT_ID` is (with `MANGOPAY_API_KEY`, `MANGOPAY_WALLET_ID`, `MANGOPAY_API_BASE`).
/// `CARD_PROVIDER` names the one that opens new card payments (default: Stripe when it is
/// configured, else MangoPay), `SEPA_PROVIDER` the one that sets up new SEPA mandates
/// (default: the card provider); capture, refunds, debits and notifications always go to a
/// payment's (or mandate's) own.
pub fn payment_providers_from_env() -> Result<ProviderRegistry, ConfigError> {
    payment_providers_from(|name| std::env::var(name).ok())
}

/// The registry with its settings and secrets read through `var` (e.g. `Secrets::var`).
pub fn payment_providers_from(
    var: impl Fn(&str) -> Option<String>,
) -> Result<ProviderRegistry, ConfigError> {
    let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let mut connectors: Vec<Arc<dyn crate::ports::PaymentProvider>> = Vec::new();
    if set("STRIPE_API_KEY").is_some() || set("MANGOPAY_CLIENT_ID").is_none() {
        // Stripe unless only MangoPay is configured: its missing key is then the error.
        let config = stripe::StripeConfig::from_vars(&var)?;
        connectors.push(Arc::new(stripe::StripeConnector::new(config)?));
    }
    if set("MANGOPAY_CLIENT_ID").is_some() {
        let config = mangopay::MangopayConfig::from_vars(&var)?;
        connectors.push(Arc::new(mangopay::MangopayConnector::new(config)?));
    }
    let mut connectors = connectors.into_iter();
    let first = connectors
        .next()
        .ok_or(ConfigError::Missing("STRIPE_API_KEY"))?;
    let registry = connectors.fold(ProviderRegistry::single(first), ProviderRegistry::with);
    let registry = match set("CARD_PROVIDER") {
        None => registry,
        Some(name) => registry.with_cards_on(name.trim()).map_err(|e| {
            ConfigError::Invalid(
                "CARD_PROVIDER",
                format!("{e} (stripe or mangopay, configured)"),
            )
        })?,
    };
    match set("SEPA_PROVIDER") {
        None => Ok(registry),
        Some(name) => registry.with_mandates_on(name.trim()).map_err(|e| {
            ConfigError::Invalid(
                "SEPA_PROVIDER",
                format!("{e} (stripe or mangopay, configured)"),
            )
        }),
    }
}
