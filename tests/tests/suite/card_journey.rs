//! The card journey over real HTTP: the devserver app (every router, DynamoDB on moto server)
//! with its sandbox PSP, which the production Stripe connector talks to and which delivers
//! signed webhooks back to the app: lookup → start payment → hosted page → card → webhook →
//! authorised.

use integration::shop::{first_order_body, shop, sign, WEBHOOK_SECRET};
use serde_json::{json, Value};

#[tokio::test]
async fn card_payment_is_authorised_through_the_hosted_page_and_a_signed_webhook() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let body = first_order_body(&shop.base);

    let (status, started) = shop
        .start("ORD-10042", &token, "journey-key-1", &body)
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["status"], "created");
    assert_eq!(started["payment"]["amount"], "2922.00");
    assert_eq!(started["next_action"]["type"], "redirect");
    let page = started["next_action"]["url"].as_str().unwrap().to_string();
    assert!(
        page.starts_with(&format!("{}/sandbox-psp/checkout/cs_", shop.base)),
        "{page}"
    );
    let payment = started["payment"]["id"].as_str().unwrap().to_string();

    // Same key and body: the same answer; same key, other body: refused.
    let (again_status, again) = shop
        .start("ORD-10042", &token, "journey-key-1", &body)
        .await;
    assert_eq!((again_status, &again), (201, &started));
    let mut other = body.clone();
    other["save_card"] = false.into();
    let (reused, problem) = shop
        .start("ORD-10042", &token, "journey-key-1", &other)
        .await;
    assert_eq!(reused, 409);
    assert_eq!(
        problem["type"],
        "https://encaisse.dev/problems/idempotency-key-reused"
    );
    // Replayed after the order moved on, the first response is still the answer.
    let (replayed, again) = shop
        .start("ORD-10042", &token, "journey-key-1", &body)
        .await;
    assert_eq!((replayed, &again), (201, &started));

    // The shopper pays on the hosted page and comes back to the shop's return page.
    let back = shop
        .pay(&page, "4242 4242 4242 4242")
        .await
        .expect("redirect back");
    assert!(
        back.starts_with(&format!(
            "{}/return?reference=ORD-10042&payment={payment}",
            shop.base
        )),
        "{back}"
    );

    let authorised = shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    assert!(authorised["provider_reference"]
        .as_str()
        .unwrap()
        .starts_with("pi_"));
    assert_eq!(authorised["captured_amount"], "0.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "authorised");
    assert_eq!(order["amount_due"], "0.00");
    assert_eq!(order["payments"][0]["status"], "authorised");
}

#[tokio::test]
async fn webhooks_are_verified_deduplicated_and_only_hints() {
    let shop = shop().await;
    let token = shop.token("ORD-10043", "75011").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "paul.durand@example.fr".into();
    let (_, started) = shop.start("ORD-10043", &token, "hints-1", &body).await;
    let page = started["next_action"]["url"].as_str().unwrap().to_string();
    let payment = started["payment"]["id"].as_str().unwrap().to_string();

    // A declined card leaves the attempt open (the shopper may try another card).
    assert!(shop.pay(&page, "4000 0000 0000 0002").await.is_none());
    shop.pay(&page, "4242424242424242")
        .await
        .expect("redirect back");
    shop.payment_reaches("ORD-10043", &payment, &token, "authorised")
        .await;

    // Replaying the sandbox's last event, correctly signed: 200, nothing changes.
    let last = shop.sandbox_events().await.last().unwrap().to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let webhook = |payload: String, signature: String| {
        shop.http
            .post(format!("{}/v1/webhooks/stripe", shop.base))
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(payload)
            .send()
    };
    let replay = webhook(last.clone(), sign(&last, now, WEBHOOK_SECRET))
        .await
        .unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(
        replay.json::<Value>().await.unwrap()["outcome"],
        "no_change"
    );

    // Forged or stale: 400, nothing written.
    let forged = webhook(last.clone(), sign(&last, now, "whsec_wrong"))
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let stale = webhook(last.clone(), sign(&last, now - 301, WEBHOOK_SECRET))
        .await
        .unwrap();
    assert_eq!(stale.status(), 400);
    let unsigned = shop
        .http
        .post(format!("{}/v1/webhooks/stripe", shop.base))
        .body(last.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);

    // A forged "captured" claim inside a validly signed event is only a hint: the payment is
    // re-fetched from the PSP, which says it is authorised, not captured.
    let mut lie: Value = serde_json::from_str(&last).unwrap();
    lie["id"] = "evt_forged_claim".into();
    lie["type"] = "payment_intent.succeeded".into();
    lie["data"]["object"]["status"] = "succeeded".into();
    lie["data"]["object"]["amount_received"] = lie["data"]["object"]["amount"].clone();
    let lie = lie.to_string();
    let reply = webhook(lie.clone(), sign(&lie, now, WEBHOOK_SECRET))
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let seen = shop
        .get(&format!("/v1/orders/ORD-10043/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["status"], "authorised");
    assert_eq!(seen["captured_amount"], "0.00");
}

#[tokio::test]
async fn bad_payment_requests_are_refused_before_anything_is_written() {
    let shop = shop().await;
    let token = shop.token("ORD-10044", "69007").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "emma.smith@example.com".into();
    let cases = [
        ("return_url", json!("https://evil.example/steal")),
        ("method", json!("bitcoin")),
        ("instalments", json!(3)),
    ];
    for (field, value) in cases {
        let mut bad = body.clone();
        bad[field] = value;
        let (status, problem) = shop
            .start("ORD-10044", &token, &format!("bad-{field}"), &bad)
            .await;
        assert_eq!(status, 422, "{field}: {problem}");
        assert_eq!(problem["field"], field);
    }
    let mut no_billing = body.clone();
    no_billing.as_object_mut().unwrap().remove("billing");
    let (status, problem) = shop
        .start("ORD-10044", &token, "no-billing", &no_billing)
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("billing")));

    // No Idempotency-Key: 400.
    let reply = shop
        .http
        .post(format!("{}/v1/orders/ORD-10044/payments", shop.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    // Without a token: 401.
    let (status, _) = shop.start("ORD-10044", "not-a-token", "k", &body).await;
    assert_eq!(status, 401);

    // Nothing was started: the order is still awaiting payment, with no payment, and a valid
    // request still goes through with one of the keys used above.
    let order = shop.get("/v1/orders/ORD-10044", &token).await;
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(order["payments"], json!([]));
    let (status, started) = shop.start("ORD-10044", &token, "no-billing", &body).await;
    assert_eq!(status, 201, "{started}");
}

#[tokio::test]
async fn shipments_capture_once_each_and_refunds_go_back_to_the_card() {
    let shop = shop().await;
    let (token, payment) = shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    let ship = |id: &'static str, amount: Option<&'static str>| {
        let body = match amount {
            Some(a) => json!({"shipment_id": id, "amount": a}),
            None => json!({"shipment_id": id}),
        };
        let shop = shop.clone();
        async move {
            shop.admin_post("/v1/admin/orders/ORD-10042/shipments", None, &body)
                .await
        }
    };

    // First parcel: a partial capture.
    let (status, first) = ship("parcel-1", Some("1000.00")).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["captured"], "1000.00");
    assert_eq!(first["captured_total"], "1000.00");
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "partially_captured")
        .await;
    assert_eq!(seen["captured_amount"], "1000.00");
    // The same message again: the same answer, no second capture.
    let (status, again) = ship("parcel-1", Some("1000.00")).await;
    assert_eq!((status, &again), (202, &first));
    let (status, problem) = ship("parcel-1", Some("5.00")).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (409, Some("https://encaisse.dev/problems/shipment-reused"))
    );
    // More than is left: refused, nothing captured.
    let (status, problem) = ship("parcel-x", Some("5000.00")).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("amount")));

    // The last parcel arrives 20 times at once: one capture of the rest.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let shop = shop.clone();
            tokio::spawn(async move {
                shop.admin_post(
                    "/v1/admin/orders/ORD-10042/shipments",
                    None,
                    &json!({"shipment_id": "parcel-2"}),
                )
                .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let captured: Vec<&Value> = replies
        .iter()
        .filter(|(s, _)| *s == 202)
        .map(|(_, b)| b)
        .collect();
    assert!(!captured.is_empty());
    for (status, body) in &replies {
        assert!(
            *status == 202
                || (*status == 409
                    && body["type"] == "https://encaisse.dev/problems/request-in-progress"),
            "{status} {body}"
        );
    }
    for body in &captured {
        assert_eq!(body["captured"], "1922.00");
        assert_eq!(body["captured_total"], "2922.00");
    }
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    assert_eq!(seen["captured_amount"], "2922.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured");

    // Refunds: idempotent on the key, bounded by what was captured.
    let refund = json!({"amount": "100.00", "reason": "Damaged box"});
    let (status, first_refund) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("refund-1"),
            &refund,
        )
        .await;
    assert_eq!(status, 201, "{first_refund}");
    assert_eq!(first_refund["refund"]["amount"], "100.00");
    let (status, replay) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("refund-1"),
            &refund,
        )
        .await;
    assert_eq!((status, &replay), (201, &first_refund));
    let (status, _) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("refund-1"),
            &json!({"amount": "1.00"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = shop
        .admin_post("/v1/admin/orders/ORD-10042/refunds", None, &refund)
        .await;
    assert_eq!(status, 400);
    let (status, problem) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("refund-2"),
            &json!({"amount": "2900.00"}),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("amount")));
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "partially_refunded")
        .await;
    assert_eq!(seen["refunded_amount"], "100.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "partially_refunded");
}

#[tokio::test]
async fn the_shipments_queue_captures_once_and_reports_only_unreadable_messages() {
    use aws_lambda_events::event::sqs::SqsEvent;
    use encaisse::adapters::stripe::{StripeConfig, StripeConnector};
    use encaisse::app::capture_on_shipment::CaptureOnShipment;

    let shop = shop().await;
    let (token, payment) = shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    // The capture-on-shipment function's wiring, against the sandbox PSP.
    let mut config = StripeConfig::new("sk_test_queue", vec![WEBHOOK_SECRET.into()]);
    config.api_base = format!("{}/sandbox-psp", shop.base);
    let capture = CaptureOnShipment::new(
        shop.store.clone(),
        std::sync::Arc::new(encaisse::ports::ProviderRegistry::single(
            std::sync::Arc::new(StripeConnector::new(config).unwrap()),
        )),
        std::sync::Arc::new(encaisse::ports::SystemClock),
    );
    let event: SqsEvent = serde_json::from_value(integration::event(
        "capture-on-shipment/shipments-batch.json",
    ))
    .unwrap();
    let response = encaisse::consumers::shipments::capture_shipments(&capture, event).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["6f1c2a7e-0003-4c1e-9a51-2b6c0d9e4f11"]);
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "partially_captured")
        .await;
    assert_eq!(
        seen["captured_amount"], "1000.00",
        "two copies of one message capture once"
    );
}

async fn outbox(shop: &integration::shop::Shop) -> Vec<Value> {
    shop.emails().await
}

async fn outbox_reaches(shop: &integration::shop::Shop, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let emails = outbox(shop).await;
        if emails.len() >= count {
            return emails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("only {:?} emails", outbox(shop).await.len());
}

#[tokio::test]
async fn emails_and_the_invoice_go_out_once_each() {
    let shop = shop().await;
    let (token, payment) = shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    let emails = outbox_reaches(&shop, 1).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["to"], "jeanne.martin@example.fr");
    // French formatting: "2 922,00 €" with a no-break space as the thousands separator.
    let text: String = emails[0]["text"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(text.contains("2922,00€"), "{}", emails[0]["text"]);

    let (status, _) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "all"}),
        )
        .await;
    assert_eq!(status, 202);
    shop.payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    let emails = outbox_reaches(&shop, 3).await;
    let year = time::OffsetDateTime::now_utc().year();
    let invoice_number = format!("F-{year}-000001");
    assert!(
        emails
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains(&invoice_number)),
        "no invoice {invoice_number} in {emails:?}"
    );

    // Every event delivered again (duplicates): no email twice.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for event in shop.sandbox_events().await {
        let (status, _) = shop.webhook(&event.to_string(), now, WEBHOOK_SECRET).await;
        assert_eq!(status, 200);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let after = outbox(&shop).await;
    assert_eq!(after.len(), 3, "{after:?}");
}
