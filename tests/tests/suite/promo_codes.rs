//! Promo codes over HTTP against moto and the sandbox PSP: created by the back office; applied
//! at checkout as a discount on each VAT rate (the VAT recomputed, the order's total lowered,
//! shown as its own line); dropped with its use given back when the card attempt is dropped,
//! kept once the card is authorised; its window, minimum order, per-customer and total limits
//! held, the last under concurrency; wrong codes one uniform answer; the invoice's allowance.

use integration::journey::{emailed, ship};
use integration::shop::{body_with, shop, Shop};
use serde_json::{json, Value};

async fn admin_get(shop: &Shop, path: &str) -> Value {
    shop.http
        .get(format!("{}{path}", shop.base))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn in_days(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

async fn create(shop: &Shop, body: Value) -> (u16, Value) {
    shop.admin_post("/v1/admin/promo-codes", None, &body).await
}

fn promo(code: &str, extra: Value) -> Value {
    let mut body = json!({
        "code": code, "label": "Nouveaux venus", "currency": "EUR", "percent_off": "10",
        "valid_from": in_days(-1), "valid_until": in_days(30), "minimum_order": "50.00",
        "total_limit": 100, "per_customer_limit": 1,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// An order of 50.00 + 10.00 shipping (both 20 %) for `email`.
async fn order_for(shop: &Shop, reference: &str, email: &str) {
    let (status, created) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &json!({
                "reference": reference,
                "customer": {"email": email, "name": "Buyer"},
                "currency": "EUR",
                "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": "50.00", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "10.00", "tax_rate": "20",
                             "address": {"name": "Buyer", "line1": "1 rue", "postcode": "83000", "city": "Toulon", "country": "FR"}}
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test]
async fn ten_percent_off_lowers_each_rates_base_is_given_back_when_dropped_and_kept_when_paid() {
    let shop = shop().await;
    let (status, created) = create(&shop, promo("bienvenue-10", json!({}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["code"], "BIENVENUE10");
    let (status, _) = create(&shop, promo("BIENVENUE10", json!({}))).await;
    assert_eq!(status, 200, "the same settings again: the code as it is");
    let (status, problem) = create(&shop, promo("BIENVENUE10", json!({"percent_off": "20"}))).await;
    assert_eq!(status, 409, "{problem}");
    let (status, problem) = create(&shop, promo("ZERO", json!({"percent_off": "0"}))).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("percent_off"))
    );

    // ORD-10042: 2 × 1200.00 + 35.00 shipping, all at 20 %: 2922.00. Ten percent off the
    // 2435.00 base: 2191.50, VAT 438.30, 2629.80 to pay.
    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &body_with(&shop, json!({"promo_code": " bienvenue10 "})),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["amount"], "2629.80");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["totals"]["gross"], "2629.80", "{order}");
    assert_eq!(order["totals"]["tax"], "438.30");
    assert_eq!(order["discount"]["label"], "Nouveaux venus");
    assert_eq!(order["discount"]["amount"], "292.20");
    assert_eq!(order["discount"]["gross_before"], "2922.00");
    assert_eq!(order["amount_due"], "2629.80");
    let held = admin_get(&shop, "/v1/admin/promo-codes/BIENVENUE10").await;
    assert_eq!(held["uses"], 1, "{held}");
    // Resumed with the same code (its per-customer limit is 1): the held use is given back
    // and taken again in one transaction, not refused as used up.
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1b",
            &body_with(&shop, json!({"promo_code": "BIENVENUE10"})),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["amount"], "2629.80");
    assert_eq!(
        admin_get(&shop, "/v1/admin/promo-codes/BIENVENUE10").await["uses"],
        1
    );

    // Dropped: the discount goes with it and its use is given back.
    let card = started["payment"]["id"].as_str().unwrap();
    let dropped = shop
        .http
        .delete(format!("{}/v1/orders/ORD-10042/payments/{card}", shop.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(dropped.status().is_success());
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["amount_due"], "2922.00", "{order}");
    assert!(order.get("discount").is_none(), "{order}");
    assert_eq!(
        admin_get(&shop, "/v1/admin/promo-codes/BIENVENUE10").await["uses"],
        0
    );

    // Paid with it: kept, counted once; the customer's limit (1) then refuses it elsewhere.
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-2",
            &body_with(&shop, json!({"promo_code": "BIENVENUE10"})),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let card = started["payment"]["id"].as_str().unwrap().to_string();
    shop.pay(
        started["next_action"]["url"].as_str().unwrap(),
        "4242424242424242",
    )
    .await
    .expect("redirect back");
    shop.payment_reaches("ORD-10042", &card, &token, "authorised")
        .await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["totals"]["gross"], "2629.80", "{order}");
    assert_eq!(order["amount_due"], "0.00");
    let (status, shipped) = ship(&shop, "ORD-10042", json!({"shipment_id": "p1"})).await;
    assert_eq!(status, 202, "{shipped}");
    assert_eq!(shipped["captured"], "2629.80");
    emailed(&shop, "Votre facture", 1).await;
    assert_eq!(
        admin_get(&shop, "/v1/admin/promo-codes/BIENVENUE10").await["uses"],
        1
    );

    // A second order of the same customer: used up for them, one uniform answer.
    order_for(&shop, "ORD-20001", "jeanne.martin@example.fr").await;
    let token = shop.token("ORD-20001", "83000").await;
    let (status, problem) = shop
        .start(
            "ORD-20001",
            &token,
            "pay-1",
            &body_with(&shop, json!({"promo_code": "BIENVENUE10"})),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("promo_code")),
        "{problem}"
    );
    let uniform = problem["detail"].as_str().unwrap().to_string();
    let (_, unknown) = shop
        .start(
            "ORD-20001",
            &token,
            "pay-2",
            &body_with(&shop, json!({"promo_code": "NOSUCHCODE"})),
        )
        .await;
    assert_eq!(unknown["detail"].as_str(), Some(uniform.as_str()));
    // The window and the minimum: not yet open is the same answer; under the minimum says so.
    create(
        &shop,
        promo(
            "LATER",
            json!({"valid_from": in_days(2), "per_customer_limit": null}),
        ),
    )
    .await;
    let (_, later) = shop
        .start(
            "ORD-20001",
            &token,
            "pay-3",
            &body_with(&shop, json!({"promo_code": "LATER"})),
        )
        .await;
    assert_eq!(later["detail"].as_str(), Some(uniform.as_str()), "{later}");
    create(
        &shop,
        promo(
            "BIG",
            json!({"minimum_order": "100.00", "per_customer_limit": null}),
        ),
    )
    .await;
    let (status, big) = shop
        .start(
            "ORD-20001",
            &token,
            "pay-4",
            &body_with(&shop, json!({"promo_code": "BIG"})),
        )
        .await;
    assert_eq!(
        (status, big["field"].as_str()),
        (422, Some("promo_code")),
        "{big}"
    );
    assert!(big["detail"].as_str().unwrap().contains("100.00"), "{big}");
    // An amount off the whole total would leave nothing to pay: refused, named.
    create(&shop, promo("ALLOFF", json!({"amount_off": "500.00", "percent_off": null, "minimum_order": null, "per_customer_limit": null}))).await;
    let (status, free) = shop
        .start(
            "ORD-20001",
            &token,
            "pay-free",
            &body_with(&shop, json!({"promo_code": "ALLOFF"})),
        )
        .await;
    assert_eq!(
        (status, free["field"].as_str()),
        (422, Some("promo_code")),
        "{free}"
    );
    assert!(
        free["detail"].as_str().unwrap().contains("nothing to pay"),
        "{free}"
    );
    // Void: refused from now on.
    let voided = shop
        .admin_post("/v1/admin/promo-codes/BIG/void", None, &json!({}))
        .await;
    assert_eq!(voided.1["status"], "void");
    let (_, after_void) = shop
        .start(
            "ORD-20001",
            &token,
            "pay-5",
            &body_with(&shop, json!({"promo_code": "BIG"})),
        )
        .await;
    assert_eq!(
        after_void["detail"].as_str(),
        Some(uniform.as_str()),
        "{after_void}"
    );
}

#[tokio::test]
async fn a_total_limit_of_three_holds_under_ten_concurrent_checkouts() {
    let shop = shop().await;
    let (status, _) = create(
        &shop,
        promo(
            "FLASH",
            json!({"amount_off": "5.00", "percent_off": null, "total_limit": 3}),
        ),
    )
    .await;
    assert_eq!(status, 201);
    let mut references = Vec::new();
    for i in 0..10 {
        let reference = format!("ORD-4{i:04}");
        order_for(&shop, &reference, &format!("flash{i}@example.fr")).await;
        references.push(reference);
    }
    let mut tasks = Vec::new();
    for reference in references.clone() {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            let token = shop.token(&reference, "83000").await;
            let body = body_with(&shop, json!({"promo_code": "FLASH"}));
            shop.start(&reference, &token, "pay-1", &body).await
        }));
    }
    let mut applied = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        match status {
            // 72.00 less 5.00, VAT included: 67.00 (the base 60.00 less 4.17, VAT 11.17).
            201 => {
                assert_eq!(answer["payment"]["amount"], "67.00", "{answer}");
                applied += 1;
            }
            422 => assert_eq!(answer["field"], "promo_code", "{answer}"),
            // Its last use taken between the read and the commit, after the PSP page opened:
            // the page closed, the shopper asked again.
            409 => assert_eq!(
                answer["type"], "https://encaisse.dev/problems/tenders-changed",
                "{answer}"
            ),
            other => panic!("{other}: {answer}"),
        }
    }
    assert_eq!(applied, 3);
    assert_eq!(
        admin_get(&shop, "/v1/admin/promo-codes/FLASH").await["uses"],
        3
    );
}
