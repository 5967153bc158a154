//! Sandbox-only controls: an uncaptured authorisation expiring as it does at Stripe after
//! seven days.

use reqwest::StatusCode;
use serde_json::Value;

use crate::schema_check::Schemas;
use crate::support::*;
use crate::webhooks::receiver;

/// A manual-capture PaymentIntent authorised through the API.
async fn authorised(sb: &Sandbox) -> String {
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "4200"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("requires_capture"))
    );
    pi["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_uncaptured_authorisation_expires_with_a_signed_webhook() {
    let (rx, url) = receiver().await;
    let sb = sandbox_with(Some(url)).await;
    let id = authorised(&sb).await;
    let (s, pi) = sb.control(&format!("/_expire_authorisation/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["id"], id.as_str());
    assert_eq!(pi["status"], "canceled");
    assert_eq!(pi["cancellation_reason"], "automatic");
    assert_eq!(pi["amount_capturable"], 0);
    assert!(pi["canceled_at"].as_i64().is_some());
    Schemas::load().assert_valid("payment_intent", &pi);
    assert_eq!(sb.intent(&id).await, pi, "the stored PaymentIntent");

    let got = rx.wait(2).await;
    assert_eq!(got[1]["type"], "payment_intent.canceled");
    assert_eq!(got[1]["data"]["object"], pi);
    assert_eq!(
        got[1]["request"]["id"],
        Value::Null,
        "automatic, as Stripe's own"
    );

    // Nothing is left to capture, and it expires once.
    let (s, err) = sb
        .post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "payment_intent_unexpected_state");
    let (s, err) = sb.control(&format!("/_expire_authorisation/{id}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "payment_intent_unexpected_state");
}

#[tokio::test]
async fn only_an_authorisation_awaiting_capture_expires() {
    let sb = sandbox().await;
    let (s, err) = sb.control("/_expire_authorisation/pi_missing").await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("resource_missing"))
    );
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[("amount", "900"), ("currency", "eur")],
        )
        .await;
    let (s, _) = sb
        .control(&format!(
            "/_expire_authorisation/{}",
            pi["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "requires_payment_method");
    let id = authorised(&sb).await;
    sb.post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    let (s, _) = sb.control(&format!("/_expire_authorisation/{id}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "succeeded");
    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.amount_capturable_updated",
            "payment_intent.succeeded"
        ]
    );
}
