//! The fault switches on the API and refunds.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn fault_switches() {
    let sb = sandbox().await;
    let (s, f) = sb.faults(serde_json::json!({"fail_next": 1})).await;
    assert_eq!((s, f["fail_next"].as_u64()), (StatusCode::OK, Some(1)));
    let (s, err) = sb
        .post_idem("/v1/customers", &[("email", "a@example.com")], "retry-me")
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(err["error"]["type"], "api_error");
    let (s, _) = sb
        .post_idem("/v1/customers", &[("email", "a@example.com")], "retry-me")
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "an injected failure is not saved under the key"
    );

    sb.faults(serde_json::json!({"rate_limit_next": 1})).await;
    let (s, err) = sb.get("/v1/customers/cus_missing").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(err["error"]["type"], "rate_limit_error");

    sb.faults(serde_json::json!({"error_rate": 0.5})).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(sb.get("/v1/customers/cus_missing").await.0.as_u16());
    }
    assert_eq!(statuses, [404, 500, 404, 500]);
    sb.faults(serde_json::json!({"error_rate": 0.0, "latency_ms": 150}))
        .await;
    let started = Instant::now();
    assert_eq!(
        sb.get("/v1/customers/cus_missing").await.0,
        StatusCode::NOT_FOUND
    );
    assert!(started.elapsed() >= Duration::from_millis(150));

    let got: Value = sb
        .http
        .get(sb.url("/_faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["latency_ms"], 150);
    assert_eq!(got["fail_next"], 0);
    let (s, _) = sb.faults(serde_json::json!({"error_rate": 1.5})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = sb.faults(serde_json::json!({"eror_rate": 0.5})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pending_refunds_settle_with_refund_updated() {
    let sb = sandbox().await;
    sb.faults(serde_json::json!({"pending_refunds": true}))
        .await;
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    let (_, re) = sb
        .post(
            "/v1/refunds",
            &[("payment_intent", pi["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(re["status"], "pending");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, re) = sb
        .get(&format!("/v1/refunds/{}", re["id"].as_str().unwrap()))
        .await;
    assert_eq!(re["status"], "succeeded");
    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.succeeded",
            "charge.refunded",
            "refund.updated"
        ]
    );
}
