//! Secrets from AWS Secrets Manager, over HTTP against moto: each function is given secret
//! ids, not values, and reads only its own at init.

use std::collections::HashMap;

use encaisse::adapters::secrets::{secrets_client_from_env, Secrets};
use encaisse::config::ConfigError;

async fn client() -> aws_sdk_secretsmanager::Client {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: these tests run against moto server (scripts/test starts it)"
    );
    secrets_client_from_env().await
}

async fn create(client: &aws_sdk_secretsmanager::Client, name: &str, value: &str) {
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("create secret on moto");
}

#[tokio::test]
async fn a_function_reads_its_secrets_from_secrets_manager_by_id() {
    let client = client().await;
    let prefix = format!("encaisse-test-{}", uuid::Uuid::new_v4().simple());
    let api_key = format!("{prefix}/stripe-api-key");
    let token_key = format!("{prefix}/access-token-secret");
    create(&client, &api_key, "sk_test_from_secrets_manager").await;
    create(&client, &token_key, "an-access-token-secret-of-32-bytes!!").await;
    let env = HashMap::from([
        ("STRIPE_API_KEY_SECRET_ID".to_string(), api_key.clone()),
        (
            "ACCESS_TOKEN_SECRET_SECRET_ID".to_string(),
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
    assert_eq!(
        secrets.get("STRIPE_API_KEY"),
        Some("sk_test_from_secrets_manager")
    );
    assert_eq!(
        encaisse::config::access_token_secret_from(|n| secrets.var(n)).unwrap(),
        b"an-access-token-secret-of-32-bytes!!".to_vec()
    );
    // Never printed.
    let shown = format!("{secrets:?}");
    assert!(!shown.contains("sk_test_from_secrets_manager"), "{shown}");
    // Enough to build the connector; without a webhook secret it verifies nothing.
    let providers = encaisse::adapters::payment_providers_from(|n| secrets.var(n)).unwrap();
    assert_eq!(providers.for_cards().name(), "stripe");
}

#[tokio::test]
async fn a_missing_secret_is_named_and_a_plain_variable_is_the_local_fallback() {
    let client = client().await;
    let missing = format!("encaisse-test-{}/nothing", uuid::Uuid::new_v4().simple());
    let env = HashMap::from([("STRIPE_API_KEY_SECRET_ID".to_string(), missing.clone())]);
    match Secrets::load_with(&client, &["STRIPE_API_KEY"], |name| env.get(name).cloned()).await {
        Err(ConfigError::Secret(id, reason)) => {
            assert_eq!(id, missing);
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
