//! Webhook deliveries: signed as Stripe signs, in order, duplicated, reordered and retried.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::support::*;

/// Webhook receiver: records (signature header, body) and answers 500 to the first `fail`
/// deliveries.
#[derive(Clone, Default)]
pub struct Receiver {
    got: Arc<Mutex<Vec<(String, Bytes)>>>,
    fail: Arc<Mutex<u32>>,
}

pub async fn receiver() -> (Receiver, String) {
    let rx = Receiver::default();
    let state = rx.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let sig = headers["stripe-signature"].to_str().unwrap().to_owned();
                state.got.lock().unwrap().push((sig, body));
                let mut fail = state.fail.lock().unwrap();
                if *fail > 0 {
                    *fail -= 1;
                    return AxStatus::INTERNAL_SERVER_ERROR;
                }
                AxStatus::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rx, url)
}

impl Receiver {
    /// Waits for `n` deliveries; checks every signature as a Stripe library does.
    pub async fn wait(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.got.lock().unwrap().len() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} webhooks",
                self.got.lock().unwrap().len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = self.got.lock().unwrap().clone();
        got.iter()
            .map(|(sig, body)| {
                let (t, v1) = sig.split_once(',').unwrap();
                let t = t.strip_prefix("t=").unwrap();
                let v1 = v1.strip_prefix("v1=").unwrap();
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(format!("{t}.").as_bytes());
                mac.update(body);
                mac.verify_slice(&hex::decode(v1).unwrap())
                    .expect("valid Stripe-Signature");
                let age =
                    time::OffsetDateTime::now_utc().unix_timestamp() - t.parse::<i64>().unwrap();
                assert!(
                    (0..300).contains(&age),
                    "timestamp within Stripe's tolerance"
                );
                serde_json::from_slice(body).unwrap()
            })
            .collect()
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn webhooks_are_signed_and_in_order() {
    let (rx, url) = receiver().await;
    let sb = sandbox_with(Some(url)).await;
    let (_, pi) = sb
        .post_idem(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("capture_method", "manual"),
            ],
            "idem-webhook",
        )
        .await;
    let id = pi["id"].as_str().unwrap();
    sb.post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    sb.post("/v1/refunds", &[("payment_intent", id), ("amount", "500")])
        .await;
    let got = rx.wait(3).await;
    assert_eq!(
        types(&got),
        [
            "payment_intent.amount_capturable_updated",
            "payment_intent.succeeded",
            "charge.refunded"
        ]
    );
    let first = &got[0];
    assert_eq!(first["object"], "event");
    assert_eq!(first["livemode"], false);
    assert!(first["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(first["data"]["object"]["id"], id);
    assert_eq!(first["data"]["object"]["status"], "requires_capture");
    assert_eq!(first["request"]["idempotency_key"], "idem-webhook");
    assert!(first["request"]["id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(got[2]["data"]["object"]["object"], "charge");
    assert_eq!(got[2]["data"]["object"]["amount_refunded"], 500);
    assert_eq!(
        got,
        sb.events().await,
        "_events lists the same events, newest last"
    );
}

#[tokio::test]
async fn webhook_fault_switches_duplicate_reorder_and_retry() {
    let (rx, url) = receiver().await;
    let sb = sandbox_with(Some(url)).await;
    let confirm = [
        ("amount", "2500"),
        ("currency", "eur"),
        ("payment_method", "pm_card_visa"),
        ("confirm", "true"),
    ];

    sb.faults(serde_json::json!({"duplicate_webhooks": true}))
        .await;
    sb.post("/v1/payment_intents", &confirm).await;
    let got = rx.wait(2).await;
    assert_eq!(got[0], got[1], "the same event twice");

    sb.faults(serde_json::json!({"duplicate_webhooks": false, "reorder_webhooks": true}))
        .await;
    let cs = sb.session(&[]).await;
    sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    let got = rx.wait(4).await;
    assert_eq!(
        types(&got[2..]),
        [
            "checkout.session.completed",
            "payment_intent.amount_capturable_updated"
        ]
    );
    let listed = sb.event_types().await;
    assert_eq!(
        listed[1..],
        [
            "payment_intent.amount_capturable_updated",
            "checkout.session.completed"
        ]
    );

    // A refused delivery is retried with backoff.
    sb.faults(serde_json::json!({"reorder_webhooks": false}))
        .await;
    *rx.fail.lock().unwrap() = 1;
    sb.post("/v1/payment_intents", &confirm).await;
    let got = rx.wait(6).await;
    assert_eq!(
        got[4]["id"], got[5]["id"],
        "the refused event delivered again"
    );
}
