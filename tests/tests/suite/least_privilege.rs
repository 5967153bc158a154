//! Least privilege on the table, checked against what the code does: each function's flows run
//! through the devserver app on moto, every DynamoDB request recorded (`RequestCounter`), and
//! the partition keys each function touched must all be allowed by the
//! `dynamodb:LeadingKeys` condition of that function's statements in template.yaml (reads and
//! writes separately). A flow that starts touching a new partition fails here before it fails
//! in AWS with AccessDenied.

use std::collections::BTreeMap;
use std::sync::Arc;

use encaisse::adapters::memory::event_queue::MemoryEventQueue;
use encaisse::app::capture_on_shipment::{CaptureOnShipment, ShipmentMessage};
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::ports::SystemClock;
use integration::iam::{touched, Touched};
use integration::shop::{first_order_body, Shop, WEBHOOK_SECRET};
use serde_json::{json, Value};

async fn post(shop: &Shop, path: &str, body: Value, admin: Option<&str>) -> (u16, Value) {
    let mut request = shop.http.post(format!("{}{path}", shop.base)).json(&body);
    if let Some(key) = admin {
        request = request.bearer_auth("admin").header("idempotency-key", key);
    }
    let reply = request.send().await.unwrap();
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn every_partition_a_function_touches_is_allowed_by_its_leading_keys() {
    let recorded = integration::iam::RecordedShop::start().await;
    let (shop, counter, sandbox, table) = (
        recorded.shop,
        recorded.counter,
        recorded.sandbox,
        recorded.table,
    );
    let (store, base) = (shop.store.clone(), shop.base.clone());
    let mut functions: BTreeMap<&str, Touched> = BTreeMap::new();
    counter.reset();

    // order-lookup: a wrong and a right postcode, the order view, the billing on file.
    let (status, _) = post(
        &shop,
        "/v1/order-lookups",
        json!({"reference": "ORD-10042", "postcode": "00000"}),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let token = shop.token("ORD-10042", "83000").await;
    let plan_token = shop.token("ORD-10044", "69007").await;
    shop.get("/v1/orders/ORD-10042", &token).await;
    shop.get("/v1/orders/ORD-10042/billing", &token).await;
    touched(
        &counter,
        functions.entry("OrderLookupFunction").or_default(),
    );

    // initiate-payment: a first attempt, another that replaces it, its view. Billed abroad on
    // a first order: the webhook's fraud rules read the customer's orders (GSI1) and put it
    // under review, which the back office approves below.
    let mut body = first_order_body(&base);
    body["billing"]["address"]["country"] = "BE".into();
    let (status, _) = shop.start("ORD-10042", &token, "first", &body).await;
    assert_eq!(status, 201);
    let (status, started) = shop.start("ORD-10042", &token, "second", &body).await;
    assert_eq!(status, 201, "{started}");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    shop.get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    // Another order in three instalments: the first on the page, two scheduled.
    let mut plan_body = first_order_body(&base);
    plan_body["method"] = "instalments".into();
    plan_body["instalments"] = 3.into();
    plan_body["save_card"] = false.into();
    let (status, plan) = shop
        .start("ORD-10044", &plan_token, "plan", &plan_body)
        .await;
    assert_eq!(status, 201, "{plan}");
    touched(
        &counter,
        functions.entry("InitiatePaymentFunction").or_default(),
    );

    // The shopper pays on the PSP's page (no DynamoDB), then psp-webhook takes the events
    // (and publishes the outbox right after).
    shop.pay(
        started["next_action"]["url"].as_str().unwrap(),
        "4242424242424242",
    )
    .await
    .expect("redirect back");
    shop.pay(
        plan["next_action"]["url"].as_str().unwrap(),
        "4242424242424242",
    )
    .await
    .expect("redirect back");
    counter.reset();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for event in sandbox.events() {
        let (status, reply) = shop.webhook(&event.to_string(), now, WEBHOOK_SECRET).await;
        assert!(status == 200, "{status}: {reply}");
    }
    touched(&counter, functions.entry("PspWebhookFunction").or_default());

    // back-office: orders from quotes (given and generated references, with a key), a view,
    // a partial shipment, a refund.
    let quote = |reference: Option<&str>| {
        let mut q = json!({
            "customer": {"email": "lp@example.fr", "name": "L P", "locale": "fr"},
            "currency": "EUR",
            "lines": [{"sku": "X", "description": "X", "quantity": 1, "unit_price": "10.00", "tax_rate": "20"}],
            "shipping": {"method": "carrier", "amount": "0.00", "tax_rate": "20",
                         "address": {"name": "L P", "line1": "1 rue X", "postcode": "69001", "city": "Lyon", "country": "FR"}}
        });
        if let Some(r) = reference {
            q["reference"] = r.into();
        }
        q
    };
    assert_eq!(
        shop.admin_post("/v1/admin/orders", None, &quote(Some("ORD-50001")))
            .await
            .0,
        201
    );
    assert_eq!(
        shop.admin_post("/v1/admin/orders", Some("q-1"), &quote(None))
            .await
            .0,
        201
    );
    shop.http
        .get(format!("{base}/v1/admin/orders/ORD-10042"))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap();
    let reviews: Value = shop
        .http
        .get(format!("{base}/v1/admin/reviews"))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reviews["reviews"][0]["reference"], "ORD-10042", "{reviews}");
    let (status, approved) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/review",
            None,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    let (status, shipped) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "p1", "amount": "1000.00"}),
        )
        .await;
    assert_eq!(status, 202, "{shipped}");
    let (status, refunded) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("r-1"),
            &json!({"amount": "10.00"}),
        )
        .await;
    assert_eq!(status, 201, "{refunded}");
    touched(&counter, functions.entry("BackOfficeFunction").or_default());

    // capture-on-shipment: the rest, from the shipments queue.
    let capture = CaptureOnShipment::new(
        store.clone(),
        Arc::new(encaisse::ports::ProviderRegistry::single(
            sandbox_connector(&base),
        )),
        Arc::new(SystemClock),
    );
    capture
        .capture_message(ShipmentMessage {
            reference: "ORD-10042".into(),
            shipment_id: "p2".into(),
            amount: None,
            last_parcel: false,
        })
        .await
        .expect("captured");
    touched(
        &counter,
        functions.entry("CaptureOnShipmentFunction").or_default(),
    );

    // collect-instalments: the plan's two instalments, charged as of their due dates.
    let run = encaisse::app::collect_instalments::CollectInstalments::new(
        store.clone(),
        Arc::new(encaisse::ports::ProviderRegistry::single(
            sandbox_connector(&base),
        )),
        Arc::new(SystemClock),
    );
    let later = time::OffsetDateTime::now_utc().date() + time::Duration::days(100);
    let report = run.run_on(later).await.unwrap();
    assert_eq!(report.charged, 2, "{report:?}");
    touched(
        &counter,
        functions.entry("CollectInstalmentsFunction").or_default(),
    );

    // outbox-relay: what the back office and the capture left pending.
    let (queue, mut events) = MemoryEventQueue::new();
    let relay = OutboxRelay::new(store.clone(), Arc::new(queue));
    let published = relay.publish_pending(100).await.unwrap();
    assert!(published > 0);
    // Its daily sweep of invoices whose email was never confirmed (a day later).
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    relay
        .resend_undelivered_invoices(later, time::Duration::days(1), 100)
        .await
        .unwrap();
    touched(
        &counter,
        functions.entry("OutboxRelayFunction").or_default(),
    );

    // notifier: every event the relay published (debit, refund, the invoice), on a store of
    // its own over the same table, recorded the same way.
    let mut published_events = Vec::new();
    while let Ok(event) = events.try_recv() {
        published_events.push(event);
    }
    assert!(!published_events.is_empty());
    let notifier = integration::iam::recorded_notifier(&counter, &table, &base).await;
    counter.reset();
    for event in &published_events {
        notifier.handle(event).await.expect("notified");
    }
    touched(&counter, functions.entry("NotifierFunction").or_default());

    // shopper-account: a code asked and used, the profile and billing, my orders, an order's
    // access, cards and mandates, a deletion, signing out.
    counter.reset();
    let session = integration::account::signed_in(&shop, "jeanne.martin@example.fr").await;
    let me = |path: &str| format!("{base}{path}");
    for path in ["/v1/me", "/v1/me/orders", "/v1/me/cards", "/v1/me/mandates"] {
        let reply = shop
            .http
            .get(me(path))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{path}");
    }
    let billing = &first_order_body(&base)["billing"];
    let reply = shop
        .http
        .put(me("/v1/me/billing"))
        .bearer_auth(&session)
        .json(billing)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let reply = shop
        .http
        .post(me("/v1/me/orders/ORD-10042/access"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let reply = shop
        .http
        .delete(me("/v1/me/session"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 204);
    let paul = integration::account::signed_in(&shop, "paul.durand@example.fr").await;
    let reply = shop
        .http
        .delete(me("/v1/me/orders/ORD-10043"))
        .bearer_auth(&paul)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    touched(
        &counter,
        functions.entry("ShopperAccountFunction").or_default(),
    );

    // Tenders: the back office creates a promo code and issues a voucher.
    counter.reset();
    let (status, promo) = shop
        .admin_post(
            "/v1/admin/promo-codes",
            None,
            &json!({"code": "LP10", "label": "Dix", "currency": "EUR", "percent_off": "10",
                    "valid_from": "2020-01-01", "valid_until": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{promo}");
    let (status, voucher) = shop
        .admin_post(
            "/v1/admin/vouchers",
            Some("v-lp"),
            &json!({"amount": "5.00", "currency": "EUR", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{voucher}");
    touched(&counter, functions.entry("BackOfficeFunction").or_default());
    let lp_token = shop.token("ORD-50001", "69001").await;
    touched(
        &counter,
        functions.entry("OrderLookupFunction").or_default(),
    );
    // initiate-payment: ORD-50001 (12.00) with the promo code (10.80 left), the voucher (5.80)
    // and a bank transfer for the rest.
    let mut tenders_body = first_order_body(&base);
    tenders_body["method"] = "bank_transfer".into();
    tenders_body["save_card"] = false.into();
    tenders_body["promo_code"] = "LP10".into();
    tenders_body["voucher_codes"] = json!([voucher["code"]]);
    let (status, awaited) = shop
        .start("ORD-50001", &lp_token, "tenders", &tenders_body)
        .await;
    assert_eq!(status, 201, "{awaited}");
    assert_eq!(awaited["payment"]["amount"], "5.80", "{awaited}");
    touched(
        &counter,
        functions.entry("InitiatePaymentFunction").or_default(),
    );
    // back-office: the transfer recorded, a refund to the credit balance, one to the tenders.
    let (status, recorded) = shop
        .admin_post(
            "/v1/admin/orders/ORD-50001/offline-payments",
            Some("t-lp"),
            &json!({"method": "bank_transfer", "amount": "5.80", "currency": "EUR",
                    "received_on": "2026-11-30", "reference": "VIR LP"}),
        )
        .await;
    assert_eq!(status, 201, "{recorded}");
    for (key, to) in [("r-lp-1", "credit_balance"), ("r-lp-2", "tenders")] {
        let (status, refunded) = shop
            .admin_post(
                "/v1/admin/orders/ORD-50001/refunds",
                Some(key),
                &json!({"amount": "1.00", "to": to}),
            )
            .await;
        assert_eq!(status, 201, "{refunded}");
    }
    touched(&counter, functions.entry("BackOfficeFunction").or_default());

    integration::iam::assert_allowed(&functions);
}

fn sandbox_connector(base: &str) -> Arc<encaisse::adapters::stripe::StripeConnector> {
    let mut config = encaisse::adapters::stripe::StripeConfig::new(
        integration::journey::SANDBOX_KEY,
        vec![WEBHOOK_SECRET.into()],
    );
    config.api_base = format!("{base}/sandbox-psp");
    Arc::new(encaisse::adapters::stripe::StripeConnector::new(config).unwrap())
}
