//! Least privilege on the table for the SEPA flows (see `integration::iam`): adding a mandate
//! and reading the standing (shopper-account), paying by SEPA (initiate-payment), the month's
//! close, announcement and debit (monthly-direct-debit), the debit's outcome and its late
//! return (psp-webhook), the seller's views and settlement (back-office), and the month's
//! emails (notifier): every partition each function touched must be allowed by
//! its statements in template.yaml.

use std::collections::BTreeMap;

use encaisse::app::direct_debit::month_event;
use encaisse::domain::sepa::MonthId;
use encaisse::domain::OutboxKind;
use integration::account::signed_in;
use integration::iam::{assert_allowed, touched, RecordedShop, Touched};
use integration::sepa::{
    add_mandate, admin, by_sepa, close_month, first_of_next, me, quote, JEANNE,
};
use integration::shop::{Shop, WEBHOOK_SECRET};
use serde_json::json;

/// Delivers every event the sandbox made (again: a re-delivery is deduplicated), signed.
async fn deliver_events(shop: &Shop, sandbox: &encaisse_dev::SandboxPsp) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for event in sandbox.events() {
        let (status, reply) = shop.webhook(&event.to_string(), now, WEBHOOK_SECRET).await;
        assert_eq!(status, 200, "{reply}");
    }
}

/// The month's debit, once the sandbox says it succeeded (it settles ~2 s after submission).
async fn succeeded_debit(sandbox: &encaisse_dev::SandboxPsp) -> String {
    for _ in 0..100 {
        if let Some(event) = sandbox
            .events()
            .into_iter()
            .find(|e| e["type"] == "payment_intent.succeeded")
        {
            return event["data"]["object"]["id"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the debit never succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_partition_a_sepa_flow_touches_is_allowed_by_its_leading_keys() {
    let recorded = RecordedShop::start().await;
    let (shop, counter, sandbox, table) = (
        recorded.shop,
        recorded.counter,
        recorded.sandbox,
        recorded.table,
    );
    let mut functions: BTreeMap<&str, Touched> = BTreeMap::new();
    let tokens = [
        ("ORD-24001", quote(&shop, "ORD-24001", "14.50").await),
        ("ORD-24002", quote(&shop, "ORD-24002", "40.00").await),
    ];

    // shopper-account: signed in, a mandate added on the PSP's page, listed (refreshed from
    // the PSP), the standing.
    counter.reset();
    let session = signed_in(&shop, JEANNE).await;
    add_mandate(&shop, &session, "DE89370400440532013000").await;
    let (status, mandates) = me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    assert_eq!(status, 200, "{mandates}");
    let (status, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(status, 200, "{sepa}");
    let month = sepa["month"].as_str().unwrap().to_string();
    touched(
        &counter,
        functions.entry("ShopperAccountFunction").or_default(),
    );

    // initiate-payment: two purchases by SEPA.
    for (reference, token) in &tokens {
        let (status, started) = shop
            .start(reference, token, reference, &by_sepa(&shop))
            .await;
        assert_eq!(status, 201, "{started}");
    }
    touched(
        &counter,
        functions.entry("InitiatePaymentFunction").or_default(),
    );

    // monthly-direct-debit: the fan-out and the jobs, closing then submitting the month.
    let closed = close_month(&shop, &month, &first_of_next(&month)).await;
    assert_eq!(closed["advanced"]["announced"], 1, "{closed}");
    touched(
        &counter,
        functions.entry("MonthlyDirectDebitFunction").or_default(),
    );
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    counter.reset();
    let collection_on = sepa["months"][0]["collection_on"].as_str().unwrap();
    let due = close_month(&shop, &month, collection_on).await;
    assert_eq!(due["failed"], 0, "{due}");
    touched(
        &counter,
        functions.entry("MonthlyDirectDebitFunction").or_default(),
    );

    // psp-webhook: the mandate's and the debit's events, then its late return.
    let intent = succeeded_debit(&sandbox).await;
    deliver_events(&shop, &sandbox).await;
    let reply = shop
        .http
        .post(format!("{}/sandbox-psp/_sepa/{intent}/return", shop.base))
        .json(&json!({"reason": "debit_not_authorized"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    counter.reset();
    deliver_events(&shop, &sandbox).await;
    touched(&counter, functions.entry("PspWebhookFunction").or_default());
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(sepa["months"][0]["status"], "disputed", "{sepa}");

    // back-office: the standing, a change, the month's overview, another settlement.
    counter.reset();
    let customer = encaisse::domain::customer_id(JEANNE);
    let standing = format!("/v1/admin/customers/{customer}/sepa");
    let calls = [
        (reqwest::Method::GET, standing.clone(), None),
        (
            reqwest::Method::PATCH,
            standing.clone(),
            Some(json!({"state": "active", "cap": "300.00"})),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/admin/sepa/months/{month}"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("{standing}/months/{month}/settlement"),
            Some(json!({"method": "cheque", "reference": "CHQ 0042", "amount": "81.96"})),
        ),
    ];
    for (method, path, body) in calls {
        let (status, reply) = admin(&shop, method, &path, body).await;
        assert_eq!(status, 200, "{path}: {reply}");
    }
    touched(&counter, functions.entry("BackOfficeFunction").or_default());

    // notifier: the month's announcement and return (psp-webhook published them at once, as
    // the relay would), on a store of its own over the same table, recorded the same way.
    let stored = shop
        .store
        .get_debit_month(&customer, MonthId::parse(&month).unwrap())
        .await
        .unwrap()
        .expect("the month");
    let now = time::OffsetDateTime::now_utc();
    let published: Vec<_> = [
        OutboxKind::DirectDebitAnnounced,
        OutboxKind::DirectDebitReturned,
    ]
    .into_iter()
    .map(|kind| month_event(&stored.value, kind, now).unwrap())
    .collect();
    let notifier = integration::iam::recorded_notifier(&counter, &table, &shop.base).await;
    counter.reset();
    for event in &published {
        notifier.handle(event).await.expect("notified");
    }
    touched(&counter, functions.entry("NotifierFunction").or_default());

    assert_allowed(&functions);
}
