//! Faults on both sides of the money: DynamoDB throttling and slowness (a fault-injecting proxy
//! in front of moto, SDK retries made fast) and a flaky PSP (the sandbox's switches). Money
//! movements are counted at the sandbox: none lost, none doubled, and every retry converges.

use std::sync::Arc;
use std::time::Duration;

use encaisse::app::capture_on_shipment::{CaptureError, CaptureOnShipment, ShipmentMessage};
use encaisse::app::handle_webhook::{HandleWebhook, WebhookFailure, WebhookOutcome};
use encaisse::app::refund::{RefundCommand, RefundError, RefundPayment};
use encaisse::domain::Reference;
use encaisse::ports::{Store, StoreError, SystemClock};
use integration::hostile::{harness, stripe_notification, Harness};
use integration::journey::count;
use integration::proxy::{Fault, Proxy};
use integration::shop::{first_order_body, sign, WEBHOOK_SECRET};
use serde_json::{json, Value};

/// Pays ORD-10042 on the hosted page; with `deliver` false the test delivers the events.
async fn paid(h: &Harness) -> (String, String) {
    paid_with(h, "4242424242424242").await
}

async fn paid_with(h: &Harness, card: &str) -> (String, String) {
    let token = h.shop.token("ORD-10042", "83000").await;
    let (status, started) = h
        .shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &first_order_body(&h.shop.base),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let page = started["next_action"]["url"].as_str().unwrap();
    h.shop.pay(page, card).await.expect("redirect");
    (
        token,
        started["payment"]["id"].as_str().unwrap().to_string(),
    )
}

async fn deliver_all(h: &Harness, kind: &str) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for event in h.events_of(kind) {
        let (status, reply) = h.webhook(&event.to_string(), now, WEBHOOK_SECRET).await;
        assert_eq!(status, 200, "{kind}: {reply}");
    }
}

/// A store on the harness's table whose DynamoDB traffic crosses a fault-injecting proxy.
async fn throttled_store(h: &Harness) -> (Proxy, Arc<dyn Store>) {
    // AWS_ENDPOINT_URL is the serialising proxy in front of moto (see hostile.rs).
    let moto = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let proxy = Proxy::start(&moto).await;
    let (store, _) = h.store_through(&proxy, 3).await;
    (proxy, Arc::new(store))
}

async fn faults(h: &Harness, switches: Value) {
    let reply = h
        .shop
        .http
        .post(format!("{}/sandbox-psp/_faults", h.shop.base))
        .json(&switches)
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success());
}

#[tokio::test]
async fn a_throttled_webhook_commit_moves_nothing_and_the_redelivery_applies_it_once() {
    let h = harness(false).await;
    let (token, payment) = paid(&h).await;
    let (ddb, store) = throttled_store(&h).await;
    let webhooks = HandleWebhook::new(store, h.providers(), Arc::new(SystemClock));
    let event = h.events_of("payment_intent.amount_capturable_updated")[0].to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(&event, now, WEBHOOK_SECRET);

    // Reads throttled twice (the SDK's retries absorb it), the commit on all three attempts.
    ddb.inject("Query", 2, Fault::Throttling);
    ddb.inject(
        "TransactWriteItems",
        3,
        Fault::ProvisionedThroughputExceeded,
    );
    let first = webhooks
        .handle("stripe", &stripe_notification(&event, &signature))
        .await;
    assert!(
        matches!(first, Err(WebhookFailure::Store(StoreError::Throttled))),
        "{first:?}"
    );
    assert_eq!(ddb.injected(), 5);
    let seen = h
        .shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["status"], "created", "nothing half-written");
    assert!(h.outbox_ids().await.is_empty());

    // Stripe redelivers (the HTTP answer was a 503); DynamoDB is slow now, not throttled.
    ddb.inject("Query", 2, Fault::Delay(300));
    let second = webhooks
        .handle("stripe", &stripe_notification(&event, &signature))
        .await;
    assert!(matches!(second, Ok(WebhookOutcome::Applied)), "{second:?}");
    let third = webhooks
        .handle("stripe", &stripe_notification(&event, &signature))
        .await;
    assert!(matches!(third, Ok(WebhookOutcome::NoChange)), "{third:?}");
    let seen = h
        .shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["status"], "authorised");
    assert_eq!(h.outbox_ids().await.len(), 1);
    assert_eq!(h.settled_emails(1).await.len(), 1);
}

#[tokio::test]
async fn a_capture_whose_commit_is_throttled_is_captured_once_on_retry() {
    let h = harness(false).await;
    let (token, payment) = paid(&h).await;
    deliver_all(&h, "payment_intent.amount_capturable_updated").await;
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    let (ddb, store) = throttled_store(&h).await;
    let capture = CaptureOnShipment::new(store, h.providers(), Arc::new(SystemClock));
    let message = || ShipmentMessage {
        reference: "ORD-10042".into(),
        shipment_id: "parcel-1".into(),
        amount: None,
        last_parcel: false,
    };

    // The PSP captures, then our commit is throttled on every SDK attempt.
    ddb.inject(
        "TransactWriteItems",
        3,
        Fault::ProvisionedThroughputExceeded,
    );
    let first = capture.capture_message(message()).await;
    assert!(
        matches!(&first, Err(e @ CaptureError::Store(StoreError::Throttled)) if e.is_transient()),
        "{first:?}"
    );
    assert_eq!(h.psp.forwarded("POST", "/capture"), 1);
    let seen = h
        .shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["captured_amount"], "0.00", "not recorded yet");

    // SQS redelivers the message: the same Idempotency-Key at the PSP, which replays.
    let done = capture
        .capture_message(message())
        .await
        .expect("captured on retry");
    assert_eq!(done.status, 202);
    assert_eq!(h.psp.forwarded("POST", "/capture"), 2);
    let captured = h.events_of("payment_intent.succeeded");
    assert_eq!(captured.len(), 1, "the PSP moved the money once");
    assert_eq!(captured[0]["data"]["object"]["amount_received"], 292200);
    let seen = h
        .shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(
        (seen["status"].as_str(), seen["captured_amount"].as_str()),
        (Some("captured"), Some("2922.00"))
    );
    // The PSP's late event changes nothing more.
    deliver_all(&h, "payment_intent.succeeded").await;
    assert_eq!(h.outbox_ids().await.len(), 3, "received, debited, invoice");
}

#[tokio::test]
async fn a_full_refund_retried_after_its_commit_failed_and_its_webhook_landed_is_not_refused() {
    let h = harness(false).await;
    let (token, payment) = paid(&h).await;
    deliver_all(&h, "payment_intent.amount_capturable_updated").await;
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    let (status, _) = h
        .shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "all"}),
        )
        .await;
    assert_eq!(status, 202);
    let (ddb, store) = throttled_store(&h).await;
    let refunds = RefundPayment::new(store, h.providers(), Arc::new(SystemClock));
    let reference = Reference::parse("ORD-10042").unwrap();
    let body = json!({"amount": "2922.00"}).to_string();
    let refund = || {
        let until = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);
        refunds.refund(
            &reference,
            "refund-all",
            body.as_bytes(),
            RefundCommand {
                amount: "2922.00".into(),
                reason: None,
                to: None,
            },
            until,
        )
    };

    // The PSP is down past the connector's retries: nothing refunded, the key is free again.
    faults(&h, json!({"fail_next": 10})).await;
    let down = refund().await;
    assert!(matches!(down, Err(RefundError::Provider(_))), "{down:?}");
    assert!(h.events_of("charge.refunded").is_empty());
    faults(&h, json!({"fail_next": 0})).await;

    // The PSP refunds; our commit is throttled; the PSP's webhook then records the refund.
    ddb.inject(
        "TransactWriteItems",
        3,
        Fault::ProvisionedThroughputExceeded,
    );
    let throttled = refund().await;
    assert!(
        matches!(throttled, Err(RefundError::Store(StoreError::Throttled))),
        "{throttled:?}"
    );
    deliver_all(&h, "charge.refunded").await;
    let seen = h
        .shop
        .payment_reaches("ORD-10042", &payment, &token, "refunded")
        .await;
    assert_eq!(seen["refunded_amount"], "2922.00");

    // The caller retries with the same key: the PSP replays the refund, the caller gets its
    // 201 (before the fix: 409 nothing-to-refund, though the money had gone back).
    let done = refund().await.expect("the refund's answer");
    assert_eq!(done.status, 201);
    let again = refund().await.expect("replayed");
    assert_eq!(again, done);
    let refunded = h.events_of("charge.refunded");
    assert_eq!(refunded.len(), 1, "one refund at the PSP");
    assert_eq!(refunded[0]["data"]["object"]["amount_refunded"], 292200);
}

#[tokio::test]
async fn a_flaky_slow_psp_through_a_whole_journey_moves_each_amount_once() {
    let h = harness(true).await;
    // Every second PSP call fails with a 500, the first two with 429, each answer takes 50 ms:
    // the connector's retries (same Idempotency-Key) and redeliveries must absorb it all.
    faults(
        &h,
        json!({"error_rate": 0.5, "rate_limit_next": 2, "latency_ms": 50}),
    )
    .await;
    let token = h.shop.token("ORD-10042", "83000").await;
    let body = first_order_body(&h.shop.base);
    let mut started = Value::Null;
    for _ in 0..5 {
        let (status, reply) = h.shop.start("ORD-10042", &token, "pay-1", &body).await;
        if status == 201 {
            started = reply;
            break;
        }
        assert_eq!(status, 503, "{reply}");
    }
    let page = started["next_action"]["url"].as_str().expect("started");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    h.shop
        .pay(page, "4242424242424242")
        .await
        .expect("redirect");
    for _ in 0..3 {
        // Webhook re-fetches that failed come back with the sandbox's retries (1 s, 2 s…).
        let seen = h
            .shop
            .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
            .await;
        if seen["status"] == "authorised" {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;

    // Two parcels, each sent until accepted (SQS redelivery), one of them twice at once.
    for (parcel, amount) in [
        ("p1", Some("1000.00")),
        ("p1", Some("1000.00")),
        ("p2", None),
    ] {
        let body = match amount {
            Some(a) => json!({"shipment_id": parcel, "amount": a}),
            None => json!({"shipment_id": parcel}),
        };
        let mut accepted = false;
        for _ in 0..10 {
            let (status, reply) = h
                .shop
                .admin_post("/v1/admin/orders/ORD-10042/shipments", None, &body)
                .await;
            if status == 202 {
                accepted = true;
                break;
            }
            assert!(status == 503 || status == 409, "{status} {reply}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(accepted, "{parcel} never accepted");
    }
    let refund = json!({"amount": "22.00"});
    let mut refunded = false;
    for _ in 0..10 {
        let (status, reply) = h
            .shop
            .admin_post("/v1/admin/orders/ORD-10042/refunds", Some("r-1"), &refund)
            .await;
        if status == 201 {
            refunded = true;
            break;
        }
        assert!(status == 503 || status == 409, "{status} {reply}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refunded);
    faults(&h, json!({"error_rate": 0.0, "latency_ms": 0})).await;

    let seen = h
        .shop
        .payment_reaches("ORD-10042", &payment, &token, "partially_refunded")
        .await;
    assert_eq!(
        (
            seen["captured_amount"].as_str(),
            seen["refunded_amount"].as_str()
        ),
        (Some("2922.00"), Some("22.00"))
    );
    // At the PSP: one session, two captures (1000 + 1922), one refund.
    assert_eq!(h.events_of("checkout.session.completed").len(), 1);
    let amounts: Vec<Value> = h
        .events_of("payment_intent.amount_capturable_updated")
        .into_iter()
        .chain(h.events_of("payment_intent.succeeded"))
        .map(|e| e["data"]["object"]["amount_received"].clone())
        .collect();
    assert_eq!(amounts, [json!(0), json!(100000), json!(292200)]);
    assert_eq!(h.events_of("charge.refunded").len(), 1);
    // Received, debited ×2, invoice, refund: each once.
    let emails = h.settled_emails(5).await;
    assert_eq!(emails.len(), 5, "{emails:?}");
}

/// The PSP captured but our commit failed, and the PSP's webhook recorded the capture before
/// SQS redelivered the message: the retry asks the PSP the same thing under the same key, is
/// replayed, and succeeds (it used to end in the dead-letter queue although the money moved).
#[tokio::test]
async fn a_capture_retried_after_its_webhook_landed_answers_like_the_first() {
    let h = harness(false).await;
    let (token, payment) = paid(&h).await;
    deliver_all(&h, "payment_intent.amount_capturable_updated").await;
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    let (ddb, store) = throttled_store(&h).await;
    let capture = CaptureOnShipment::new(store, h.providers(), Arc::new(SystemClock));
    let message = || ShipmentMessage {
        reference: "ORD-10042".into(),
        shipment_id: "parcel-1".into(),
        amount: None,
        last_parcel: false,
    };
    ddb.inject(
        "TransactWriteItems",
        3,
        Fault::ProvisionedThroughputExceeded,
    );
    assert!(capture.capture_message(message()).await.is_err());
    deliver_all(&h, "payment_intent.succeeded").await;
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    let retried = capture.capture_message(message()).await;
    assert!(matches!(&retried, Ok(r) if r.status == 202), "{retried:?}");
}

/// ORD-10042 paid with `card` and its authorisation recorded (its webhook delivered).
async fn authorised_with(h: &Harness, card: &str) -> (String, String) {
    let (token, payment) = paid_with(h, card).await;
    deliver_all(h, "payment_intent.amount_capturable_updated").await;
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    (token, payment)
}

/// A shipment whose PSP capture went through but whose commit failed (throttled), its webhook
/// recorded first, then SQS redelivering it.
async fn captured_then_webhook_then_retried(
    h: &Harness,
    message: ShipmentMessage,
    webhook: &str,
) -> (Value, Value) {
    let (ddb, store) = throttled_store(h).await;
    let capture = CaptureOnShipment::new(store, h.providers(), Arc::new(SystemClock));
    ddb.inject(
        "TransactWriteItems",
        3,
        Fault::ProvisionedThroughputExceeded,
    );
    assert!(capture.capture_message(message.clone()).await.is_err());
    deliver_all(h, webhook).await;
    let token = h.shop.token("ORD-10042", "83000").await;
    let between = h.shop.get("/v1/orders/ORD-10042", &token).await;
    let retried = capture
        .capture_message(message)
        .await
        .expect("answered on retry");
    assert_eq!(retried.status, 202);
    (between, serde_json::from_str(&retried.body).unwrap())
}

/// Bug 2 of the simulation: the webhook of a last parcel's capture, landing before the
/// capture's own commit, read the released rest as owed (the order awaiting a payment the
/// shopper did not owe). The reason now travels with the capture to the PSP.
#[tokio::test]
async fn a_last_parcel_recorded_by_its_webhook_first_leaves_nothing_owed() {
    let h = harness(false).await;
    authorised_with(&h, "4242424242424242").await;
    let message = ShipmentMessage {
        reference: "ORD-10042".into(),
        shipment_id: "only".into(),
        amount: Some("1482.00".into()),
        last_parcel: true,
    };
    let (between, answer) =
        captured_then_webhook_then_retried(&h, message, "payment_intent.succeeded").await;
    assert_eq!(
        (between["status"].as_str(), between["amount_due"].as_str()),
        (Some("captured"), Some("0.00")),
        "{between}"
    );
    assert_eq!(answer["captured"], "1482.00");
    let intent = &h.events_of("payment_intent.succeeded")[0]["data"]["object"];
    assert_eq!(intent["metadata"]["encaisse_release"], "last_parcel");
    // Announced paid once; nobody asked to pay the rest.
    let emails = h.settled_emails(3).await;
    assert_eq!(count(&emails, "Paiement reçu"), 1, "{emails:?}");
    assert_eq!(count(&emails, "Action requise"), 0, "{emails:?}");
    assert_eq!(count(&emails, "Votre facture"), 1, "{emails:?}");
}

/// A card that cannot be captured twice: its part is captured as final and the rest taken
/// over by a renewal. With the capture's webhook recorded first, the rest still counts as
/// covered until the renewal is, never as owed.
#[tokio::test]
async fn a_single_capture_card_recorded_by_its_webhook_first_keeps_the_rest_covered() {
    let h = harness(false).await;
    let (token, _) = authorised_with(&h, "4000009900000004").await;
    let message = ShipmentMessage {
        reference: "ORD-10042".into(),
        shipment_id: "first".into(),
        amount: Some("1000.00".into()),
        last_parcel: false,
    };
    let (between, answer) =
        captured_then_webhook_then_retried(&h, message, "payment_intent.succeeded").await;
    assert_eq!(
        (between["status"].as_str(), between["amount_due"].as_str()),
        (Some("partially_captured"), Some("0.00")),
        "{between}"
    );
    assert_eq!(answer["captured"], "1000.00");
    let order = h.shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "partially_captured", "{order}");
    assert_eq!(order["amount_due"], "0.00");
    let payments = order["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 2, "renewed on the saved card: {order}");
    assert_eq!(payments[1]["amount"], "1922.00");
}

/// Bug 4: "the rest" retried after its webhook recorded the capture answered the payment's
/// total; it answers what it took.
#[tokio::test]
async fn the_rest_retried_after_its_webhook_answers_what_it_took() {
    let h = harness(false).await;
    authorised_with(&h, "4242424242424242").await;
    let capture =
        CaptureOnShipment::new(h.shop.store.clone(), h.providers(), Arc::new(SystemClock));
    let first = capture
        .capture_message(ShipmentMessage {
            reference: "ORD-10042".into(),
            shipment_id: "first".into(),
            amount: Some("1000.00".into()),
            last_parcel: false,
        })
        .await
        .unwrap();
    assert_eq!(first.status, 202);
    let rest = ShipmentMessage {
        reference: "ORD-10042".into(),
        shipment_id: "rest".into(),
        amount: None,
        last_parcel: false,
    };
    let (_, answer) =
        captured_then_webhook_then_retried(&h, rest, "payment_intent.succeeded").await;
    assert_eq!(
        (
            answer["captured"].as_str(),
            answer["captured_total"].as_str()
        ),
        (Some("1922.00"), Some("2922.00"))
    );
}
