//! Card payments when things go wrong: 3-D Secure failures, PSP errors during initiation and
//! capture (the sandbox PSP's fault switches), and what is left behind (nothing half-done).

use integration::shop::{first_order_body, shop, Shop};
use serde_json::{json, Value};

async fn faults(shop: &Shop, faults: Value) {
    let reply = shop
        .http
        .post(format!("{}/sandbox-psp/_faults", shop.base))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success());
}

/// Posts the one-time code on the 3DS page; returns where it redirects, if anywhere.
async fn answer_challenge(shop: &Shop, challenge: &str, code: &str) -> Option<String> {
    let reply = shop
        .http
        .post(challenge)
        .form(&[("code", code)])
        .send()
        .await
        .unwrap();
    reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
}

async fn test_code(shop: &Shop, challenge: &str) -> String {
    let page = shop
        .http
        .get(challenge)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("autocomplete=\"one-time-code\""));
    let start = page.find("data-test-code>").expect("test hint") + "data-test-code>".len();
    page[start..start + page[start..].find('<').unwrap()].to_string()
}

async fn start_card_payment(
    shop: &Shop,
    reference: &str,
    postcode: &str,
    email: &str,
) -> (String, String, String) {
    let token = shop.token(reference, postcode).await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = email.into();
    let (status, started) = shop.start(reference, &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    (
        token,
        started["payment"]["id"].as_str().unwrap().to_string(),
        started["next_action"]["url"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn three_d_secure_passes_on_the_third_try_and_fails_after_three_wrong_codes() {
    let shop = shop().await;
    let (token, payment, page) =
        start_card_payment(&shop, "ORD-10042", "83000", "jeanne.martin@example.fr").await;

    // Three wrong codes: the authentication fails, nothing is authorised, the page takes
    // another card.
    let challenge = shop
        .pay(&page, "4000 0027 6000 3184")
        .await
        .expect("3DS challenge");
    assert!(challenge.contains("/sandbox-psp/3ds/"), "{challenge}");
    let challenge = format!(
        "{}{}",
        if challenge.starts_with('/') {
            shop.base.as_str()
        } else {
            ""
        },
        challenge
    );
    for _ in 0..3 {
        assert!(answer_challenge(&shop, &challenge, "000000")
            .await
            .is_none());
    }
    let seen = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_ne!(seen["status"], "authorised");
    assert_eq!(
        shop.get("/v1/orders/ORD-10042", &token).await["status"],
        "payment_pending"
    );

    // Same page, 3DS card again: two wrong codes, then the right one.
    let challenge = shop
        .pay(&page, "4000 0027 6000 3184")
        .await
        .expect("3DS challenge");
    let challenge = format!(
        "{}{}",
        if challenge.starts_with('/') {
            shop.base.as_str()
        } else {
            ""
        },
        challenge
    );
    let code = test_code(&shop, &challenge).await;
    for _ in 0..2 {
        assert!(answer_challenge(&shop, &challenge, "000000")
            .await
            .is_none());
    }
    let back = answer_challenge(&shop, &challenge, &code)
        .await
        .expect("redirect back");
    assert!(back.contains(&format!("payment={payment}")), "{back}");
    shop.payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
}

#[tokio::test]
async fn psp_errors_during_initiation_leave_nothing_behind_and_the_same_key_retries() {
    let shop = shop().await;
    let token = shop.token("ORD-10043", "75011").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "paul.durand@example.fr".into();

    // Two 500s are absorbed by the connector's retries (same Stripe Idempotency-Key).
    faults(&shop, json!({"fail_next": 2})).await;
    let (status, started) = shop.start("ORD-10043", &token, "retried", &body).await;
    assert_eq!(status, 201, "{started}");

    let token = shop.token("ORD-10044", "69007").await;
    body["billing"]["email"] = "emma.smith@example.com".into();
    // More 500s than retries: 503, and nothing was started.
    faults(&shop, json!({"fail_next": 10})).await;
    let (status, problem) = shop.start("ORD-10044", &token, "down", &body).await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(
        problem["type"],
        "https://encaisse.dev/problems/payment-provider-unavailable"
    );
    let order = shop.get("/v1/orders/ORD-10044", &token).await;
    assert_eq!(
        (order["status"].as_str(), order["payments"].clone()),
        (Some("awaiting_payment"), json!([]))
    );
    // Once the PSP is back, the same key goes through.
    faults(&shop, json!({"fail_next": 0})).await;
    let (status, started) = shop.start("ORD-10044", &token, "down", &body).await;
    assert_eq!(status, 201, "{started}");
}

#[tokio::test]
async fn psp_errors_during_capture_release_the_shipment_for_a_retry() {
    let shop = shop().await;
    let (token, payment) = shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    faults(&shop, json!({"fail_next": 10})).await;
    let (status, problem) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "p1"}),
        )
        .await;
    assert_eq!(status, 503, "{problem}");
    let seen = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["captured_amount"], "0.00");
    faults(&shop, json!({"fail_next": 0})).await;
    let (status, done) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "p1"}),
        )
        .await;
    assert_eq!(status, 202, "{done}");
    shop.payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
}
