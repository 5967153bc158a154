//! A disputed charge: the payment is read with its dispute (one more GET, only then).

use rust_decimal::Decimal;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::domain::{DisputeKind, DisputeStatus};
use crate::ports::psp::prelude::*;

const PI_SUCCEEDED: &str = include_str!("../fixtures/payment_intent_succeeded_expanded.json");
const PI: &str = "pi_3QxA1b2C3d4E5f6G";

async fn respond(server: &MockServer, at: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_disputed_charge_brings_its_dispute() {
    let server = MockServer::start().await;
    let mut intent = json(PI_SUCCEEDED);
    intent["latest_charge"]["disputed"] = true.into();
    let charge = intent["latest_charge"]["id"].as_str().unwrap().to_owned();
    respond(&server, &format!("/v1/payment_intents/{PI}"), intent).await;
    let dispute = serde_json::json!({"object": "list", "url": "/v1/disputes", "has_more": false,
        "data": [{"id": "dp_1QxD1s2P3u4T5e", "object": "dispute", "amount": 4000,
            "currency": "eur", "status": "under_review", "reason": "product_not_received",
            "charge": charge, "payment_intent": PI, "created": 1_800_000_000,
            "evidence_details": {"due_by": 1_800_600_000, "has_evidence": true,
                "past_due": false, "submission_count": 1},
            "balance_transactions": [{"id": "txn_1", "object": "balance_transaction",
                "amount": -4000, "fee": 1500, "currency": "eur"}]}]});
    respond(&server, "/v1/disputes", dispute).await;

    let payment = connector(&server).fetch_payment(PI).await.unwrap();

    let dispute = payment.dispute.expect("the dispute");
    assert_eq!(dispute.id, "dp_1QxD1s2P3u4T5e");
    assert_eq!(
        (dispute.kind, dispute.status),
        (DisputeKind::Chargeback, DisputeStatus::UnderReview)
    );
    assert_eq!(dispute.amount, Decimal::new(4_000, 2));
    assert_eq!(dispute.withdrawn, Decimal::new(4_000, 2));
    assert_eq!(dispute.reason, "product_not_received");
    assert_eq!(dispute.respond_by.unwrap().unix_timestamp(), 1_800_600_000);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_get(&requests[1], "/v1/disputes");
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(requests[1].url.query().unwrap()).unwrap();
    assert_eq!(query, pairs(&[("charge", &charge), ("limit", "1")]));
}

#[tokio::test]
async fn an_undisputed_payment_costs_one_read() {
    let server = MockServer::start().await;
    respond(
        &server,
        &format!("/v1/payment_intents/{PI}"),
        json(PI_SUCCEEDED),
    )
    .await;

    let payment = connector(&server).fetch_payment(PI).await.unwrap();

    assert_eq!(payment.dispute, None);
    assert_eq!(received(&server).await.len(), 1);
}
