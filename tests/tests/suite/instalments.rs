//! Paying in instalments over real HTTP (devserver app on moto, sandbox PSP in Stripe's test
//! mode): the checkout's plans, the first instalment on the PSP's page with the card kept, the
//! others charged off-session by the daily collection run on their dates; a refused
//! instalment retried with a pay link emailed; one that needs the shopper (authentication)
//! sent to the pay link at once; bad requests refused with nothing written.

use integration::journey::{emailed, pay_with_3ds, psp_intent};
use integration::shop::{first_order_body, shop, Shop};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// Starts ORD-10042 in `count` instalments; returns the token and the started payment.
async fn start(shop: &Shop, count: u32) -> (String, Value) {
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = first_order_body(&shop.base);
    body["method"] = "instalments".into();
    body["instalments"] = count.into();
    body["save_card"] = false.into();
    let (status, started) = shop.start("ORD-10042", &token, "plan-1", &body).await;
    assert_eq!(status, 201, "{started}");
    (token, started)
}

/// Runs the daily collection as of `day` (`YYYY-MM-DD`).
async fn collect(shop: &Shop, day: &str) -> Value {
    let reply = shop
        .http
        .post(format!("{}/dev/collect-instalments?as_of={day}", shop.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

fn amount(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

fn due_on(v: &Value) -> String {
    v["instalment"]["due_on"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_plan_in_three_is_paid_on_the_page_then_collected_on_its_dates() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    let gross = amount(&order["amount_due"]);

    // The checkout's offer: 3 or 4, each schedule summing exactly to what is due.
    let offer = shop.get("/v1/orders/ORD-10042/billing", &token).await;
    let plans = offer["instalment_plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2, "{offer}");
    for plan in plans {
        let parts = plan["instalments"].as_array().unwrap();
        assert_eq!(parts.len() as u64, plan["count"].as_u64().unwrap());
        assert_eq!(
            parts.iter().map(|p| amount(&p["amount"])).sum::<Decimal>(),
            gross
        );
    }

    let (token, started) = start(&shop, 3).await;
    let first = &started["payment"];
    assert_eq!(first["method"], "instalments");
    assert_eq!(first["capture"], "at_once");
    assert_eq!(first["instalment"]["index"], 1);
    assert_eq!(first["instalment"]["count"], 3);
    let scheduled = started["instalments"].as_array().unwrap().clone();
    assert_eq!(scheduled.len(), 2);
    assert!(scheduled.iter().all(|p| p["status"] == "scheduled"));
    let total: Decimal = amount(&first["amount"])
        + scheduled
            .iter()
            .map(|p| amount(&p["amount"]))
            .sum::<Decimal>();
    assert_eq!(total, gross, "the plan sums exactly to the order");
    assert_eq!(plans[0]["instalments"][1]["due_on"], due_on(&scheduled[0]));

    // The first, on the PSP's page: taken at once, the card kept for the rest.
    let first_id = first["id"].as_str().unwrap().to_string();
    let page = started["next_action"]["url"].as_str().unwrap();
    assert!(shop.pay(page, "4242 4242 4242 4242").await.is_some());
    let paid = shop
        .payment_reaches("ORD-10042", &first_id, &token, "captured")
        .await;
    let intent = psp_intent(&shop, paid["provider_reference"].as_str().unwrap()).await;
    assert_eq!(intent["capture_method"], "automatic");
    assert_eq!(intent["setup_future_usage"], "off_session");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "partially_captured", "{order}");
    assert_eq!(amount(&order["amount_due"]), Decimal::ZERO);
    let emails = emailed(&shop, "Échéance 1/3 payée – commande ORD-10042", 1).await;
    let taken = emails
        .iter()
        .find(|e| e["subject"] == "Échéance 1/3 payée – commande ORD-10042")
        .unwrap();
    assert!(
        taken["text"]
            .as_str()
            .unwrap()
            .contains("Prochaines échéances"),
        "{taken}"
    );

    // Nothing is due today yet.
    let today = collect(&shop, &time::OffsetDateTime::now_utc().date().to_string()).await;
    assert_eq!(today["charged"], 0, "{today}");

    // The second on its date: off-session, taken at once.
    let second_id = scheduled[0]["id"].as_str().unwrap();
    let run = collect(&shop, &due_on(&scheduled[0])).await;
    assert_eq!(
        (run["due"].as_u64(), run["charged"].as_u64()),
        (Some(1), Some(1)),
        "{run}"
    );
    let second = shop
        .payment_reaches("ORD-10042", second_id, &token, "captured")
        .await;
    let intent = psp_intent(&shop, second["provider_reference"].as_str().unwrap()).await;
    assert_eq!(intent["capture_method"], "automatic");
    assert_eq!(intent["metadata"]["payment_id"], second_id);
    emailed(&shop, "Échéance 2/3 payée – commande ORD-10042", 1).await;

    // The same day again: nothing charged twice.
    let again = collect(&shop, &due_on(&scheduled[0])).await;
    assert_eq!(again["due"], 0, "{again}");

    // The last: the order is captured in full and invoiced.
    let third_id = scheduled[1]["id"].as_str().unwrap();
    collect(&shop, &due_on(&scheduled[1])).await;
    shop.payment_reaches("ORD-10042", third_id, &token, "captured")
        .await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured", "{order}");
    emailed(&shop, "Votre facture", 1).await;
}

/// A plan whose first instalment was paid with `card`; returns the token and the scheduled.
async fn plan_paid_with(shop: &Shop, card: &str) -> (String, Vec<Value>) {
    let (token, started) = start(shop, 3).await;
    let first = started["payment"]["id"].as_str().unwrap().to_string();
    let page = started["next_action"]["url"].as_str().unwrap();
    if card == "3ds" {
        pay_with_3ds(shop, page).await;
    } else {
        assert!(shop.pay(page, card).await.is_some());
    }
    shop.payment_reaches("ORD-10042", &first, &token, "captured")
        .await;
    (token, started["instalments"].as_array().unwrap().clone())
}

#[tokio::test]
async fn a_refused_instalment_is_retried_and_the_shopper_can_pay_it_with_the_link() {
    let shop = shop().await;
    // Authorised on the page; every later off-session payment declined (sandbox card).
    let (token, scheduled) = plan_paid_with(&shop, "4000 0099 0000 0012").await;
    let second = scheduled[0]["id"].as_str().unwrap();
    let run = collect(&shop, &due_on(&scheduled[0])).await;
    assert_eq!(run["refused"], 1, "{run}");
    let refused = shop
        .payment_reaches("ORD-10042", second, &token, "failed")
        .await;
    assert_eq!(refused["failure_reason"], "bank_refused");

    // Its retry is scheduled; the order owes the instalment meanwhile.
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "awaiting_payment", "{order}");
    assert_eq!(order["amount_due"], scheduled[0]["amount"]);
    let retry = order["payments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["instalment"]["index"] == 2 && p["instalment"]["retry"] == 1)
        .cloned()
        .expect("a retry of instalment 2");
    assert_eq!(retry["status"], "scheduled");
    let emails = emailed(&shop, "Échéance 2/3 non débitée – commande ORD-10042", 1).await;
    let told = emails
        .iter()
        .find(|e| e["subject"] == "Échéance 2/3 non débitée – commande ORD-10042")
        .unwrap();
    let text = told["text"].as_str().unwrap();
    assert!(text.contains("Nous essaierons à nouveau le"), "{text}");
    assert!(text.contains("/pay?ref=ORD-10042"), "{text}");

    // The retry refused too: a last one is scheduled.
    let run = collect(&shop, &due_on(&retry)).await;
    assert_eq!(run["refused"], 1, "{run}");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    let last = order["payments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["instalment"]["index"] == 2 && p["instalment"]["retry"] == 2)
        .cloned()
        .expect("a second retry");

    // The shopper pays what is owed with the pay link (a card on the PSP's page)...
    let mut body = first_order_body(&shop.base);
    body["save_card"] = false.into();
    let (status, started) = shop.start("ORD-10042", &token, "pay-link", &body).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["amount"], scheduled[0]["amount"]);
    let page = started["next_action"]["url"].as_str().unwrap();
    assert!(shop.pay(page, "4242 4242 4242 4242").await.is_some());
    shop.payment_reaches(
        "ORD-10042",
        started["payment"]["id"].as_str().unwrap(),
        &token,
        "authorised",
    )
    .await;
    // ... so the last retry is not charged; the third instalment still is, on its date.
    let run = collect(&shop, &due_on(&last)).await;
    assert_eq!(run["cancelled"], 1, "{run}");
    assert_eq!(run["charged"], 0, "{run}");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(amount(&order["amount_due"]), Decimal::ZERO, "{order}");
}

#[tokio::test]
async fn an_instalment_that_needs_authentication_goes_to_the_pay_link_at_once() {
    let shop = shop().await;
    // The 3-D Secure card: authenticated on the page, refused off-session
    // (`authentication_required`), as Stripe's 3184 card is.
    let (token, scheduled) = plan_paid_with(&shop, "3ds").await;
    let second = scheduled[0]["id"].as_str().unwrap();
    let run = collect(&shop, &due_on(&scheduled[0])).await;
    assert_eq!(run["needs_shopper"], 1, "{run}");
    let failed = shop
        .payment_reaches("ORD-10042", second, &token, "failed")
        .await;
    assert_eq!(failed["failure_reason"], "authentication_failed");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "awaiting_payment");
    assert!(
        !order["payments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["instalment"]["retry"] == 1),
        "not retried: {order}"
    );
    let emails = emailed(&shop, "Échéance 2/3 non débitée – commande ORD-10042", 1).await;
    let told = emails
        .iter()
        .find(|e| e["subject"] == "Échéance 2/3 non débitée – commande ORD-10042")
        .unwrap();
    let text = told["text"].as_str().unwrap();
    assert!(text.contains("Votre banque demande"), "{text}");
    assert!(text.contains("/pay?ref=ORD-10042"), "{text}");
}

#[tokio::test]
async fn a_plan_the_shop_does_not_offer_is_refused_and_nothing_is_written() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let base = first_order_body(&shop.base);
    for (changes, field) in [
        (
            json!({"method": "instalments", "instalments": 5, "save_card": false}),
            "instalments",
        ),
        (
            json!({"method": "instalments", "save_card": false}),
            "instalments",
        ),
        (
            json!({"method": "instalments", "instalments": 3}),
            "save_card",
        ),
        (json!({"method": "card", "instalments": 3}), "instalments"),
    ] {
        let mut body = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        let key = format!("bad-{field}-{}", uuid::Uuid::new_v4().simple());
        let (status, problem) = shop.start("ORD-10042", &token, &key, &body).await;
        assert_eq!(status, 422, "{body} → {problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"], json!([]), "{order}");
    assert_eq!(order["status"], "awaiting_payment");
}
