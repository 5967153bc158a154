//! Secrets from SSM Parameter Store SecureString parameters, over HTTP against moto: each
//! function is given parameter names, not values, and reads only its own at init.

use std::collections::HashMap;

use aws_sdk_ssm::types::ParameterType;
use encaisse::adapters::secrets::{ssm_client_from_env, Secrets};
use encaisse::config::ConfigError;

async fn client() -> aws_sdk_ssm::Client {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: these tests run against moto server (scripts/test starts it)"
    );
    ssm_client_from_env().await
}

async fn put_secure(client: &aws_sdk_ssm::Client, name: &str, value: &str) {
    client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("put parameter on moto");
}

#[tokio::test]
async fn a_function_reads_its_secrets_from_securestring_parameters_by_name() {
    let client = client().await;
    let prefix = format!("/encaisse-test-{}", uuid::Uuid::new_v4().simple());
    let api_key = format!("{prefix}/stripe-api-key");
    let token_key = format!("{prefix}/access-token-secret");
    put_secure(&client, &api_key, "sk_test_from_ssm").await;
    put_secure(&client, &token_key, "an-access-token-secret-of-32-bytes!!").await;
    let env = HashMap::from([
        ("STRIPE_API_KEY_PARAMETER".to_string(), api_key.clone()),
        (
            "ACCESS_TOKEN_SECRET_PARAMETER".to_string(),
            token_key.clone(),
        ),
    ]);
    let secrets = Secrets::load_with(
        &client,
        &["STRIPE_API_KEY", "ACCESS_TOKEN_SECRET"],
        |name| env.get(name).cloned(),
    )
    .await
    .unwrap();
    assert_eq!(secrets.get("STRIPE_API_KEY"), Some("sk_test_from_ssm"));
    assert_eq!(
        encaisse::config::access_token_secret_from(|n| secrets.var(n)).unwrap(),
        b"an-access-token-secret-of-32-bytes!!".to_vec()
    );
    // Never printed.
    let shown = format!("{secrets:?}");
    assert!(!shown.contains("sk_test_from_ssm"), "{shown}");
    // Enough to build the connector; without a webhook secret it verifies nothing.
    let providers = encaisse::adapters::payment_providers_from(|n| secrets.var(n)).unwrap();
    assert_eq!(providers.for_cards().name(), "stripe");
}

#[tokio::test]
async fn a_missing_parameter_is_named_and_a_plain_variable_is_the_local_fallback() {
    let client = client().await;
    let missing = format!("/encaisse-test-{}/nothing", uuid::Uuid::new_v4().simple());
    let env = HashMap::from([("STRIPE_API_KEY_PARAMETER".to_string(), missing.clone())]);
    match Secrets::load_with(&client, &["STRIPE_API_KEY"], |name| env.get(name).cloned()).await {
        Err(ConfigError::Secret(parameter, reason)) => {
            assert_eq!(parameter, missing);
            assert!(reason.contains("STRIPE_API_KEY"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The devserver and tests give the value itself.
    let env = HashMap::from([("STRIPE_API_KEY".to_string(), "sk_test_local".to_string())]);
    let secrets = Secrets::load_with(&client, &["STRIPE_API_KEY"], |name| env.get(name).cloned())
        .await
        .unwrap();
    assert_eq!(secrets.get("STRIPE_API_KEY"), Some("sk_test_local"));
}
