//! Disputes as Stripe's dispute test cards make them: opened when the charge is captured, the
//! money withdrawn for a chargeback (not for an inquiry), refunds refused meanwhile, decided by
//! Stripe's test evidence (`winning_evidence`, `losing_evidence`) or accepted with `/close`.
//! Every dispute, balance transaction and `charge.dispute.*` event is checked against Stripe's
//! schemas.

use reqwest::StatusCode;
use serde_json::Value;

use crate::schema_check::{schema_of, Schemas};
use crate::support::*;

/// A manual-capture payment on `payment_method`, captured whole; returns its id.
async fn captured(sb: &Sandbox, payment_method: &str) -> String {
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "4990"),
                ("currency", "eur"),
                ("payment_method", payment_method),
                ("confirm", "true"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("requires_capture"))
    );
    let pi_id = pi["id"].as_str().unwrap().to_owned();
    let (s, pi) = sb
        .post(
            &format!("/v1/payment_intents/{pi_id}/capture"),
            &[("expand[]", "latest_charge")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    pi_id
}

/// The dispute of a payment, listed as the connector lists it (by charge), and checked.
async fn dispute_of(sb: &Sandbox, schemas: &Schemas, pi_id: &str) -> Value {
    let (_, pi) = sb
        .get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=latest_charge"
        ))
        .await;
    assert_eq!(pi["latest_charge"]["disputed"], true, "{pi:#}");
    schemas.assert_valid("charge", &pi["latest_charge"]);
    let charge = pi["latest_charge"]["id"].as_str().unwrap();
    let (s, list) = sb
        .get(&format!("/v1/disputes?charge={charge}&limit=1"))
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["object"], "list");
    assert_eq!(list["url"], "/v1/disputes");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    let (_, by_intent) = sb
        .get(&format!("/v1/disputes?payment_intent={pi_id}"))
        .await;
    assert_eq!(by_intent["data"][0]["id"], data[0]["id"]);
    schemas.assert_valid("dispute", &data[0]);
    data[0].clone()
}

async fn refund(sb: &Sandbox, pi_id: &str) -> (StatusCode, Value) {
    sb.post(
        "/v1/refunds",
        &[("payment_intent", pi_id), ("amount", "1000")],
    )
    .await
}

#[tokio::test]
async fn a_chargeback_withdraws_blocks_refunds_and_is_won_with_winning_evidence() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let pi = captured(&sb, "pm_card_createDispute").await;
    let dispute = dispute_of(&sb, &schemas, &pi).await;
    assert_eq!(dispute["status"], "needs_response");
    assert_eq!(dispute["reason"], "fraudulent");
    assert_eq!(dispute["amount"], 4990);
    assert_eq!(dispute["payment_intent"], pi.as_str());
    assert_eq!(dispute["is_charge_refundable"], false);
    assert!(dispute["evidence_details"]["due_by"].as_i64().unwrap() > 0);
    let withdrawn = dispute["balance_transactions"].as_array().unwrap();
    assert_eq!(withdrawn.len(), 1);
    assert_eq!(withdrawn[0]["amount"], -4990);

    let (s, err) = refund(&sb, &pi).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "charge_disputed");
    schemas.assert_valid("error", &err);

    let path = format!("/v1/disputes/{}", dispute["id"].as_str().unwrap());
    let (s, err) = sb
        .post(&path, &[("evidence[favourite_colour]", "blue")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, won) = sb
        .post(
            &path,
            &[
                ("evidence[uncategorized_text]", "winning_evidence"),
                ("metadata[order_reference]", "ORD-1"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{won}");
    schemas.assert_valid("dispute", &won);
    assert_eq!(won["status"], "won");
    assert_eq!(won["evidence"]["uncategorized_text"], "winning_evidence");
    assert_eq!(won["evidence_details"]["submission_count"], 1);
    assert_eq!(won["evidence_details"]["due_by"], Value::Null);
    assert_eq!(won["balance_transactions"][1]["amount"], 4990);
    let (_, again) = sb.get(&path).await;
    assert_eq!(again, won);
    // Decided: no more evidence, no closing; refunds work again.
    let (s, _) = sb.post(&format!("{path}/close"), &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, re) = refund(&sb, &pi).await;
    assert_eq!(s, StatusCode::OK, "{re}");

    let kinds: Vec<String> = sb
        .events()
        .await
        .iter()
        .inspect(|event| {
            schemas.assert_valid("event", event);
            let object = &event["data"]["object"];
            schemas.assert_valid(schema_of(object).unwrap(), object);
        })
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("charge.dispute."))
        .collect();
    assert_eq!(
        kinds,
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_reinstated",
        ]
    );
}

#[tokio::test]
async fn an_inquiry_withdraws_nothing_until_it_becomes_a_chargeback_then_is_accepted() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let pi = captured(&sb, "pm_card_createDisputeInquiry").await;
    let inquiry = dispute_of(&sb, &schemas, &pi).await;
    assert_eq!(inquiry["status"], "warning_needs_response");
    assert_eq!(
        inquiry["payment_method_details"]["card"]["case_type"],
        "inquiry"
    );
    assert_eq!(inquiry["balance_transactions"], serde_json::json!([]));
    assert_eq!(inquiry["is_charge_refundable"], true);

    let path = format!("/v1/disputes/{}", inquiry["id"].as_str().unwrap());
    // Staged evidence (submit=false) changes nothing but the evidence.
    let (_, staged) = sb
        .post(
            &path,
            &[
                ("evidence[product_description]", "Laser"),
                ("submit", "false"),
            ],
        )
        .await;
    assert_eq!(staged["status"], "warning_needs_response");
    assert_eq!(staged["evidence_details"]["has_evidence"], true);
    let (_, escalated) = sb
        .post(
            &path,
            &[("evidence[uncategorized_text]", "losing_evidence")],
        )
        .await;
    schemas.assert_valid("dispute", &escalated);
    assert_eq!(escalated["status"], "needs_response");
    assert_eq!(
        escalated["payment_method_details"]["card"]["case_type"],
        "chargeback"
    );
    assert_eq!(escalated["balance_transactions"][0]["amount"], -4990);
    let (s, lost) = sb.post(&format!("{path}/close"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{lost}");
    schemas.assert_valid("dispute", &lost);
    assert_eq!(lost["status"], "lost");
    let (s, _) = refund(&sb, &pi).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "lost: the bank kept the money");
}

#[tokio::test]
async fn a_card_typed_on_the_hosted_page_is_disputed_once_captured() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let cs = sb.session(&[]).await;
    let resp = sb
        .pay(cs["url"].as_str().unwrap(), "4000 0000 0000 2685")
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, cs) = sb
        .get(&format!(
            "/v1/checkout/sessions/{}",
            cs["id"].as_str().unwrap()
        ))
        .await;
    let pi = cs["payment_intent"].as_str().unwrap().to_owned();
    let (_, before) = sb.get(&format!("/v1/disputes?payment_intent={pi}")).await;
    assert_eq!(
        before["data"],
        serde_json::json!([]),
        "not before the capture"
    );
    let (s, _) = sb
        .post(&format!("/v1/payment_intents/{pi}/capture"), &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    let dispute = dispute_of(&sb, &schemas, &pi).await;
    assert_eq!(dispute["reason"], "product_not_received");
}
