//! Secrets read once at init from AWS Secrets Manager, so they are never in a function's
//! environment: a function is given the secret *ids* (`STRIPE_API_KEY_SECRET_ID=
//! encaisse/stripe-api-key`), its role may read only those, and the values stay in memory.
//! Without `<NAME>_SECRET_ID` (the devserver, tests) the variable `<NAME>` itself is read.
//! (Secrets Manager rather than SSM SecureString: with SSM's SDK order-lookup measured
//! 8.16 MB, with this one 7.38 MB, against an 8 MB budget; see docs/benchmarks.md.)

use std::collections::HashMap;

use aws_sdk_secretsmanager::Client;

use crate::config::ConfigError;

/// The secrets one function needs, resolved.
#[derive(Clone, Default)]
pub struct Secrets {
    values: HashMap<&'static str, String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.values.keys().collect();
        write!(f, "Secrets {{ {names:?}: <redacted> }}")
    }
}

pub async fn secrets_client_from_env() -> Client {
    Client::new(&aws_config::load_from_env().await)
}

/// The client on an AWS configuration already loaded (shared with the DynamoDB client, so a
/// cold start loads it once).
pub fn secrets_client(sdk_config: &aws_config::SdkConfig) -> Client {
    Client::new(sdk_config)
}

impl Secrets {
    /// Resolves `names` from the environment: `<NAME>_SECRET_ID` through Secrets Manager
    /// (GetSecretValue, its string), else `<NAME>` as is.
    pub async fn load(client: &Client, names: &[&'static str]) -> Result<Self, ConfigError> {
        Self::load_with(client, names, |name| std::env::var(name).ok()).await
    }

    /// `load` with the variables read through `var`.
    pub async fn load_with(
        client: &Client,
        names: &[&'static str],
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let mut values = HashMap::new();
        for &name in names {
            let Some(id) = set(&format!("{name}_SECRET_ID")) else {
                if let Some(value) = set(name) {
                    values.insert(name, value);
                }
                continue;
            };
            let id = id.trim().to_string();
            let answer = client
                .get_secret_value()
                .secret_id(&id)
                .send()
                .await
                .map_err(|e| {
                    ConfigError::Secret(
                        id.clone(),
                        format!(
                            "{} (for {name})",
                            aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                        ),
                    )
                })?;
            match answer.secret_string().filter(|v| !v.trim().is_empty()) {
                Some(value) => {
                    values.insert(name, value.to_string());
                }
                None => {
                    return Err(ConfigError::Secret(
                        id,
                        format!("no string value for {name}"),
                    ))
                }
            }
        }
        Ok(Self { values })
    }

    /// A resolved secret, else any other environment variable (for the settings read beside
    /// secrets, such as `STRIPE_API_BASE`).
    pub fn var(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }

    /// Only what was resolved (no environment fallback).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}
