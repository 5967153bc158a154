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
    let challenge = shop.absolute(&challenge);
    for _ in 0..3 {
        assert!(shop.answer_3ds(&challenge, "000000").await.is_none());
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
    let challenge = shop.absolute(&challenge);
    let code = shop.three_ds_code(&challenge).await;
    for _ in 0..2 {
        assert!(shop.answer_3ds(&challenge, "000000").await.is_none());
    }
    let back = shop
        .answer_3ds(&challenge, &code)
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

/// The production connector with a short timeout, pointed at this shop's sandbox PSP.
fn impatient_connector(shop: &Shop) -> std::sync::Arc<encaisse::ports::ProviderRegistry> {
    let mut config = encaisse::adapters::stripe::StripeConfig::new(
        "sk_test_impatient",
        vec![integration::shop::WEBHOOK_SECRET.into()],
    );
    config.api_base = format!("{}/sandbox-psp", shop.base);
    config.request_timeout = std::time::Duration::from_millis(300);
    config.max_retries = 1;
    config.retry_base_delay = std::time::Duration::from_millis(10);
    std::sync::Arc::new(encaisse::ports::ProviderRegistry::single(
        std::sync::Arc::new(encaisse::adapters::stripe::StripeConnector::new(config).unwrap()),
    ))
}

#[tokio::test]
async fn psp_timeouts_during_capture_capture_nothing_and_the_retry_captures_once() {
    use encaisse::app::capture_on_shipment::{CaptureError, CaptureOnShipment, ShipmentMessage};

    let shop = shop().await;
    let (token, payment) = shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    let capture = CaptureOnShipment::new(
        shop.store.clone(),
        impatient_connector(&shop),
        std::sync::Arc::new(encaisse::ports::SystemClock),
    );
    let message = || ShipmentMessage {
        reference: "ORD-10042".into(),
        shipment_id: "slow-parcel".into(),
        amount: Some("500.00".into()),
        last_parcel: false,
    };
    // Every PSP answer takes longer than the connector waits.
    faults(&shop, json!({"latency_ms": 1000})).await;
    let timed_out = capture.capture_message(message()).await;
    assert!(
        matches!(&timed_out, Err(e @ CaptureError::Provider(_)) if e.is_transient()),
        "{timed_out:?}"
    );
    faults(&shop, json!({"latency_ms": 0})).await;
    // The timed-out calls may have reached the PSP: the retry reuses their Idempotency-Key,
    // so the parcel is captured once whatever happened.
    let done = capture
        .capture_message(message())
        .await
        .expect("captured on retry");
    assert_eq!(done.status, 202);
    let again = capture.capture_message(message()).await.unwrap();
    assert_eq!(again, done);
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "partially_captured")
        .await;
    assert_eq!(seen["captured_amount"], "500.00");
}

#[tokio::test]
async fn psp_timeouts_during_initiation_leave_the_key_free_for_a_retry() {
    use encaisse::app::return_url::ReturnOrigins;
    use encaisse::app::start_payment::{StartPayment, StartPaymentCommand, StartPaymentError};

    let shop = shop().await;
    let start = StartPayment::new(
        shop.store.clone(),
        impatient_connector(&shop),
        encaisse::app::AccessTokens::new(b"unused-here-unused-here-unused-here"),
        std::sync::Arc::new(encaisse::ports::SystemClock),
        ReturnOrigins::local_development(),
    );
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "paul.durand@example.fr".into();
    let bytes = body.to_string().into_bytes();
    let command = || serde_json::from_slice::<StartPaymentCommand>(&bytes).unwrap();
    let reference = encaisse::domain::Reference::parse("ORD-10043").unwrap();
    let until = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);

    faults(&shop, json!({"latency_ms": 1000})).await;
    let timed_out = start
        .start(&reference, "slow-key", &bytes, command(), until)
        .await;
    assert!(
        matches!(timed_out, Err(StartPaymentError::Provider(_))),
        "{timed_out:?}"
    );
    faults(&shop, json!({"latency_ms": 0})).await;
    let started = start
        .start(&reference, "slow-key", &bytes, command(), until)
        .await
        .expect("the same key works once the PSP answers");
    assert_eq!(started.status, 201);
    let token = shop.token("ORD-10043", "75011").await;
    let order = shop.get("/v1/orders/ORD-10043", &token).await;
    assert_eq!(order["status"], "payment_pending");
    assert_eq!(order["payments"].as_array().unwrap().len(), 1);
}

/// The PSP captured but our commit was lost (crash, throttling), and the PSP's webhook recorded
/// the capture before the shipment was sent again: the retry is replayed by the PSP (same key,
/// same parameters) and answered 202, and no second capture is made.
#[tokio::test]
async fn a_shipment_retried_after_its_capture_was_recorded_is_answered_not_refused() {
    let shop = shop().await;
    let (token, payment) = shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    let intent = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await["provider_reference"]
        .as_str()
        .unwrap()
        .to_string();
    // Our first attempts' PSP calls, exactly as the capture step makes them.
    let psp_capture = |key: &'static str, form: &'static [(&'static str, &'static str)]| {
        let shop = shop.clone();
        let intent = intent.clone();
        async move {
            let reply = shop
                .http
                .post(format!(
                    "{}/sandbox-psp/v1/payment_intents/{intent}/capture",
                    shop.base
                ))
                // The devserver's own key: Stripe scopes idempotency keys per account key.
                .bearer_auth("sk_test_encaisse_devserver")
                .header("idempotency-key", key)
                .form(form)
                .send()
                .await
                .unwrap();
            assert!(
                reply.status().is_success(),
                "{}",
                reply.text().await.unwrap()
            );
        }
    };
    psp_capture(
        "capture-ORD-10042-parcel-1",
        &[
            ("amount_to_capture", "100000"),
            ("final_capture", "false"),
            ("expand[]", "latest_charge"),
        ],
    )
    .await;
    shop.payment_reaches("ORD-10042", &payment, &token, "partially_captured")
        .await;
    let (status, first) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "parcel-1", "amount": "1000.00"}),
        )
        .await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["captured"], "1000.00");
    assert_eq!(first["captured_total"], "1000.00", "not captured twice");

    // The rest, without an amount: the same story.
    psp_capture(
        "capture-ORD-10042-parcel-2",
        &[("expand[]", "latest_charge")],
    )
    .await;
    shop.payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    let (status, rest) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "parcel-2"}),
        )
        .await;
    assert_eq!(status, 202, "{rest}");
    assert_eq!(rest["captured_total"], "2922.00");
    // A shipment that never captured anything is still refused on a captured order.
    let (status, refused) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "parcel-3"}),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(
        refused["type"],
        "https://encaisse.dev/problems/nothing-to-capture"
    );
    let seen = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["captured_amount"], "2922.00");
}
