//! Duplicate storms against DynamoDB on moto and the sandbox PSP over HTTP: 50 concurrent copies
//! of one signed webhook, of one payment request (one Idempotency-Key), of one shipment message.
//! PSP calls are counted where they arrive (the proxy in front of the sandbox), outbox items in
//! the table, emails at the mailer.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::SqsEvent;
use encaisse::app::capture_on_shipment::CaptureOnShipment;
use integration::hostile::{harness, Harness};
use integration::shop::{first_order_body, WEBHOOK_SECRET};
use serde_json::{json, Value};

const STORM: usize = 50;

/// Looks the order up, starts a card payment and pays it on the hosted page.
async fn paid(h: &Harness, reference: &str, postcode: &str) -> (String, String) {
    let token = h.shop.token(reference, postcode).await;
    let (status, started) = h
        .shop
        .start(reference, &token, "pay-1", &first_order_body(&h.shop.base))
        .await;
    assert_eq!(status, 201, "{started}");
    let page = started["next_action"]["url"].as_str().unwrap();
    h.shop
        .pay(page, "4242424242424242")
        .await
        .expect("redirect back");
    (
        token,
        started["payment"]["id"].as_str().unwrap().to_string(),
    )
}

fn tally<K: Ord>(items: impl IntoIterator<Item = K>) -> BTreeMap<K, usize> {
    let mut counts = BTreeMap::new();
    for k in items {
        *counts.entry(k).or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn fifty_identical_webhooks_make_one_transition_one_outbox_event_one_email() {
    let h = harness(false).await;
    let (token, payment) = paid(&h, "ORD-10042", "83000").await;
    let authorised = h.events_of("payment_intent.amount_capturable_updated");
    assert_eq!(authorised.len(), 1);
    let payload = authorised[0].to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Not delivered yet: the payment waits.
    let seen = h
        .shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["status"], "created");

    let tasks: Vec<_> = (0..STORM)
        .map(|_| {
            let (shop_base, http, payload) =
                (h.shop.base.clone(), h.shop.http.clone(), payload.clone());
            let signature = integration::shop::sign(&payload, now, WEBHOOK_SECRET);
            tokio::spawn(async move {
                let reply = http
                    .post(format!("{shop_base}/v1/webhooks/stripe"))
                    .header("content-type", "application/json")
                    .header("stripe-signature", signature)
                    .body(payload)
                    .send()
                    .await
                    .unwrap();
                let status = reply.status().as_u16();
                let body: Value = reply.json().await.unwrap_or(Value::Null);
                (status, body["outcome"].as_str().unwrap_or("").to_string())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let outcomes = tally(answers.iter().cloned());
    eprintln!("webhook storm answers: {outcomes:?}");
    // One copy moved the payment; every other one was recognised as the same event. A 503
    // (contention) would be retried by the PSP; none may have applied anything.
    assert_eq!(
        outcomes.get(&(200, "applied".to_string())),
        Some(&1),
        "{outcomes:?}"
    );
    assert!(
        answers.iter().all(|a| *a == (200, "applied".into())
            || *a == (200, "no_change".into())
            || a.0 == 503),
        "{outcomes:?}"
    );
    let seen = h
        .shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    assert_eq!(seen["captured_amount"], "0.00");
    assert_eq!(
        h.shop.get("/v1/orders/ORD-10042", &token).await["status"],
        "authorised"
    );
    let outbox = h.outbox_ids().await;
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert!(
        outbox[0].starts_with("OUTBOX#PaymentReceived#"),
        "{outbox:?}"
    );

    // The other event about the same change, in a storm of its own: nothing more.
    let completed = h.events_of("checkout.session.completed")[0].to_string();
    let storm: Vec<_> = (0..STORM)
        .map(|_| h.webhook(&completed, now, WEBHOOK_SECRET))
        .collect();
    for (status, body) in futures_join(storm).await {
        assert!(status == 200 || status == 503, "{status} {body}");
        assert_ne!(body["outcome"], "applied");
    }
    assert_eq!(h.outbox_ids().await.len(), 1);
    let emails = h.settled_emails(1).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["to"], "jeanne.martin@example.fr");
}

/// Runs the futures concurrently (on this task) and keeps their order.
async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outputs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("ready")).collect()
}

#[tokio::test]
async fn fifty_payment_posts_with_one_key_open_one_checkout_session() {
    let h = harness(true).await;
    let token = h.shop.token("ORD-10043", "75011").await;
    let mut body = first_order_body(&h.shop.base);
    body["billing"]["email"] = "paul.durand@example.fr".into();
    // A slow PSP keeps the first request in flight while the copies arrive.
    let faults = h
        .shop
        .http
        .post(format!("{}/sandbox-psp/_faults", h.shop.base))
        .json(&json!({"latency_ms": 300}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    let storm: Vec<_> = (0..STORM)
        .map(|_| h.shop.start("ORD-10043", &token, "one-key", &body))
        .collect();
    let answers = futures_join(storm).await;
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    for (status, reply) in &answers {
        assert!(
            *status == 201
                || (*status == 409
                    && reply["type"] == "https://encaisse.dev/problems/request-in-progress"),
            "{status} {reply}"
        );
    }
    assert!(!created.is_empty());
    eprintln!(
        "payment storm: {} × 201, {} × 409 in progress",
        created.len(),
        answers.len() - created.len()
    );
    assert!(
        created.iter().all(|c| *c == created[0]),
        "one answer for one key"
    );
    // Counted where they arrive: one customer, one Checkout Session.
    assert_eq!(
        h.psp.forwarded("POST", "/sandbox-psp/v1/checkout/sessions"),
        1
    );
    assert_eq!(h.psp.forwarded("POST", "/sandbox-psp/v1/customers"), 1);
    // Later copies get the first answer.
    let (status, replay) = h.shop.start("ORD-10043", &token, "one-key", &body).await;
    assert_eq!((status, &replay), (201, created[0]));
    assert_eq!(
        h.psp.forwarded("POST", "/sandbox-psp/v1/checkout/sessions"),
        1
    );
    let order = h.shop.get("/v1/orders/ORD-10043", &token).await;
    assert_eq!(order["payments"].as_array().unwrap().len(), 1);
}

fn shipment_batch(copies: usize, batch: usize) -> SqsEvent {
    let records: Vec<Value> = (0..copies)
        .map(|i| {
            json!({
                "messageId": format!("m-{batch}-{i}"),
                "body": json!({"reference": "ORD-10042", "shipment_id": "parcel-1"}).to_string(),
                "eventSource": "aws:sqs",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn fifty_shipment_messages_for_one_parcel_capture_once() {
    let h = harness(true).await;
    let (token, payment) = paid(&h, "ORD-10042", "83000").await;
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    let capture = std::sync::Arc::new(CaptureOnShipment::new(
        h.shop.store.clone(),
        h.providers(),
        std::sync::Arc::new(encaisse::ports::SystemClock),
    ));
    // Five consumers at once, each with a batch of ten copies (the queue's batch size);
    // failed copies come back until every one is done, as SQS redelivers them.
    let mut batches: Vec<SqsEvent> = (0..5).map(|b| shipment_batch(10, b)).collect();
    let mut rounds = 0;
    while !batches.is_empty() {
        rounds += 1;
        assert!(rounds <= 20, "copies still failing after 20 redeliveries");
        let runs: Vec<_> = batches
            .drain(..)
            .map(|batch| {
                let capture = capture.clone();
                tokio::spawn(async move {
                    let failed =
                        encaisse::consumers::shipments::capture_shipments(&capture, batch.clone())
                            .await
                            .batch_item_failures
                            .into_iter()
                            .map(|f| f.item_identifier)
                            .collect::<Vec<_>>();
                    let mut again = batch;
                    again
                        .records
                        .retain(|r| failed.contains(r.message_id.as_ref().unwrap()));
                    again
                })
            })
            .collect();
        for run in runs {
            let again = run.await.unwrap();
            if !again.records.is_empty() {
                batches.push(again);
            }
        }
    }
    eprintln!("shipment storm: settled after {rounds} delivery rounds");
    assert_eq!(
        h.psp.forwarded("POST", "/capture"),
        1,
        "one capture request reached the PSP"
    );
    let captures = h.events_of("payment_intent.succeeded");
    assert_eq!(captures.len(), 1);
    assert_eq!(captures[0]["data"]["object"]["amount_received"], 292200);
    let seen = h
        .shop
        .payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    assert_eq!(seen["captured_amount"], "2922.00");
    // Payment received, amount debited, invoice: once each.
    let emails = h.settled_emails(3).await;
    let subjects = tally(
        emails
            .iter()
            .map(|e| e["subject"].as_str().unwrap().to_string()),
    );
    assert_eq!(emails.len(), 3, "{subjects:?}");
    assert!(subjects.values().all(|n| *n == 1), "{subjects:?}");
}
