//! The connector against a local HTTP fake (wiremock) standing in for Stripe: what goes on the
//! wire, and what comes back through the port.

mod disputes;
mod errors;
mod requests;
mod saved_cards;

use std::time::Duration;

use wiremock::{MockServer, Request};

use super::{StripeConfig, StripeConnector};
use crate::domain::{Currency, Money};

const API_KEY: &str = "sk_test_51EncaisseSecretKey";

fn config(base: &str) -> StripeConfig {
    let mut config = StripeConfig::new(API_KEY, vec!["whsec_current".into()]);
    config.api_base = base.to_owned();
    config.max_retries = 2;
    config.retry_base_delay = Duration::from_millis(5);
    config.request_timeout = Duration::from_millis(500);
    config
}

fn connector(server: &MockServer) -> StripeConnector {
    StripeConnector::new(config(&server.uri())).unwrap()
}

fn eur(minor: i64) -> Money {
    Money::from_minor_units(minor, Currency::EUR).unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).unwrap()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every POST: bearer key, the caller's idempotency key, a form body.
fn assert_post(request: &Request, path: &str, idempotency_key: &str) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), path);
    assert_eq!(
        header(request, "authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    assert_eq!(header(request, "idempotency-key"), Some(idempotency_key));
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

fn assert_get(request: &Request, path: &str) {
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), path);
    assert_eq!(
        header(request, "authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    assert_eq!(header(request, "idempotency-key"), None);
}
