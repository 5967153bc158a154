//! Secrets read once at init from SSM Parameter Store SecureString parameters (decrypted with
//! the parameter's KMS key), so they are never in a function's environment: a function is
//! given the parameter *names* (`STRIPE_API_KEY_PARAMETER=/encaisse/stripe-api-key`), its role
//! may read only those, and the values stay in memory. Without `<NAME>_PARAMETER` (the
//! devserver, tests) the variable `<NAME>` itself is read.

use std::collections::HashMap;

use aws_sdk_ssm::Client;

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

pub async fn ssm_client_from_env() -> Client {
    Client::new(&aws_config::load_from_env().await)
}

impl Secrets {
    /// Resolves `names` from the environment: `<NAME>_PARAMETER` through SSM (one
    /// GetParameters, with decryption), else `<NAME>` as is.
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
        let mut wanted: Vec<(&'static str, String)> = Vec::new();
        for &name in names {
            match set(&format!("{name}_PARAMETER")) {
                Some(parameter) => wanted.push((name, parameter.trim().to_string())),
                None => {
                    if let Some(value) = set(name) {
                        values.insert(name, value);
                    }
                }
            }
        }
        // GetParameters takes up to 10 names; a function needs two or three.
        for chunk in wanted.chunks(10) {
            let answer = client
                .get_parameters()
                .set_names(Some(chunk.iter().map(|(_, p)| p.clone()).collect()))
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| {
                    ConfigError::Secret(
                        chunk
                            .iter()
                            .map(|(_, p)| p.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        format!("{}", aws_sdk_ssm::error::DisplayErrorContext(&e)),
                    )
                })?;
            for (name, parameter) in chunk {
                let found = answer
                    .parameters()
                    .iter()
                    .find(|p| p.name() == Some(parameter.as_str()))
                    .and_then(|p| p.value())
                    .filter(|v| !v.trim().is_empty());
                match found {
                    Some(value) => {
                        values.insert(*name, value.to_string());
                    }
                    None => {
                        return Err(ConfigError::Secret(
                            parameter.clone(),
                            format!("no such parameter (or empty) for {name}"),
                        ))
                    }
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
