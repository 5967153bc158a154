//! Helpers for the workspace integration tests: a fresh DynamoDB table on moto server per test,
//! the sample events from `events/`, and calls through a router.
//!
//! These tests need the emulator and fail (never skip) without it: run them with `scripts/test`,
//! which starts moto and sets `AWS_ENDPOINT_URL`.

pub mod account;
pub mod hostile;
pub mod iam;
pub mod journey;
pub mod log_scan;
pub mod mangopay;
pub mod notifier;
pub mod proxy;
pub mod psp_test_mode;
pub mod rng;
pub mod sepa;
pub mod shop;
pub mod sim_psp;
pub mod simulation;

use std::sync::Arc;

use axum::Router;
use encaisse::adapters::dynamodb::{client_from_env, schema, DynamoStore, RequestCounter};
use encaisse::ports::Store;
use http_body_util::BodyExt;
use tower::ServiceExt;

pub fn emulator_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: these tests run against moto server. \
             Run them with scripts/test, which installs and starts it."
        ),
    }
}

/// A new, empty table (unique name, so tests run in parallel) and a store on it whose requests
/// are counted.
pub async fn fresh_dynamo_store() -> (DynamoStore, RequestCounter) {
    hostile::moto_behind_serialising_proxy();
    let counter = RequestCounter::new();
    let client = client_from_env(Some(counter.clone())).await;
    let table = format!("encaisse-test-{}", uuid::Uuid::new_v4().simple());
    schema::ensure_table(&client, &table)
        .await
        .expect("create table on moto");
    counter.reset();
    (DynamoStore::new(client, table), counter)
}

pub async fn fresh_store() -> Arc<dyn Store> {
    Arc::new(fresh_dynamo_store().await.0)
}

/// A sample event from `events/<function>/<name>.json`.
pub fn event(path: &str) -> serde_json::Value {
    let file = format!("{}/../events/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: serde_json::Value,
}

/// Feeds an API Gateway event through `lambda_http::request::from_str`, as the Lambda runtime
/// does, then through the function's router.
pub async fn invoke(router: &Router, event: &serde_json::Value) -> Answer {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("valid API Gateway event");
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router is infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
        })
    };
    Answer {
        status,
        headers,
        body,
    }
}
