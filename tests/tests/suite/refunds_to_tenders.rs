//! Refunds the seller sends back to the tenders or to the credit balance, over HTTP against
//! moto and the sandbox PSP: a voucher + card order refunded to its voucher (restored), to the
//! customer's credit balance (credited, none at the PSP), then to the card; an order its
//! voucher paid alone refunded by default to the voucher; on account owed less; every refund
//! counted on the order, and no more than was paid refunded.

use encaisse::domain::customer_id;
use integration::journey::ship;
use integration::shop::{body_with, shop, Shop};
use serde_json::{json, Value};

const JEANNE: &str = "jeanne.martin@example.fr";

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

async fn voucher(shop: &Shop, key: &str, amount: &str) -> (String, String) {
    let (status, issued) = shop
        .admin_post(
            "/v1/admin/vouchers",
            Some(key),
            &json!({"amount": amount, "currency": "EUR", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    (
        issued["id"].as_str().unwrap().into(),
        issued["code"].as_str().unwrap().into(),
    )
}

async fn voucher_balance(shop: &Shop, id: &str) -> String {
    admin_get(shop, &format!("/v1/admin/vouchers/{id}")).await["balance"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn balance(shop: &Shop) -> Value {
    let customer = customer_id(JEANNE);
    admin_get(
        shop,
        &format!("/v1/admin/customers/{customer}/balance?currency=EUR"),
    )
    .await
}

async fn refund(shop: &Shop, key: &str, body: Value) -> (u16, Value) {
    shop.admin_post("/v1/admin/orders/ORD-10042/refunds", Some(key), &body)
        .await
}

#[tokio::test]
async fn a_voucher_and_card_order_refunded_to_its_voucher_to_the_credit_balance_then_the_card() {
    let shop = shop().await;
    let (id, code) = voucher(&shop, "v-1", "922.00").await;
    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &body_with(&shop, json!({"voucher_codes": [code]})),
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
    let (status, shipped) = ship(&shop, "ORD-10042", json!({"shipment_id": "p1"})).await;
    assert_eq!(status, 202, "{shipped}");
    assert_eq!(voucher_balance(&shop, &id).await, "0.00");

    // An unknown destination is refused naming the field; nothing moves.
    let (status, problem) = refund(&shop, "r-0", json!({"amount": "10.00", "to": "cash"})).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("to")),
        "{problem}"
    );

    // To the tenders: the voucher gets 500.00 back, nothing asked of the PSP.
    let before = shop.sandbox_events().await.len();
    let (status, back) = refund(&shop, "r-1", json!({"amount": "500.00", "to": "tenders"})).await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(back["refund"]["to"], "tenders");
    assert_eq!(back["refund"]["status"], "succeeded");
    assert_eq!(voucher_balance(&shop, &id).await, "500.00");
    let (status, again) = refund(&shop, "r-1", json!({"amount": "500.00", "to": "tenders"})).await;
    assert_eq!((status, &again), (201, &back), "the same key refunds once");
    assert_eq!(voucher_balance(&shop, &id).await, "500.00");
    // What the voucher has left to give back is its own limit.
    let (status, problem) =
        refund(&shop, "r-2", json!({"amount": "422.01", "to": "tenders"})).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("amount")),
        "{problem}"
    );

    // To the credit balance: from the newest payment (the card), credited, not sent to the PSP.
    let (status, credited) = refund(
        &shop,
        "r-3",
        json!({"amount": "300.00", "to": "credit_balance", "reason": "geste commercial"}),
    )
    .await;
    assert_eq!(status, 201, "{credited}");
    assert_eq!(
        credited["refund"]["payment_id"].as_str(),
        Some(card.as_str())
    );
    assert_eq!(balance(&shop).await["credit_balance"], "300.00");
    assert_eq!(
        shop.sandbox_events().await.len(),
        before,
        "nothing at the PSP"
    );

    // The default goes to the card, at most what was not credited from it: 2000.00 − 300.00.
    let (status, problem) = refund(&shop, "r-4", json!({"amount": "1700.01"})).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("amount")),
        "{problem}"
    );
    let (status, to_card) = refund(&shop, "r-5", json!({"amount": "1700.00"})).await;
    assert_eq!(status, 201, "{to_card}");
    assert_eq!(to_card["refund"]["to"], "original");
    assert_eq!(
        to_card["refund"]["payment_id"].as_str(),
        Some(card.as_str())
    );
    // The PSP refunded 1700.00 of its 2000.00: partially refunded there; the rest was credited.
    let card_now = shop
        .payment_reaches("ORD-10042", &card, &token, "partially_refunded")
        .await;
    assert_eq!(card_now["refunded_amount"], "1700.00", "{card_now}");
    assert_eq!(card_now["credited_amount"], "300.00", "{card_now}");

    // What is left: the voucher's 422.00, to the tenders; then the order is refunded whole.
    let (status, _) = refund(&shop, "r-6", json!({"amount": "422.00", "to": "tenders"})).await;
    assert_eq!(status, 201);
    assert_eq!(voucher_balance(&shop, &id).await, "922.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "refunded", "{order}");
    assert_eq!(order["amounts"]["refunded"], "2922.00", "{order}");
    let (status, problem) = refund(
        &shop,
        "r-7",
        json!({"amount": "1.00", "to": "credit_balance"}),
    )
    .await;
    assert_eq!(status, 409, "{problem}");
}

#[tokio::test]
async fn an_order_its_voucher_paid_alone_is_refunded_to_the_voucher_by_default_and_on_account_owed_less(
) {
    let shop = shop().await;
    let (id, code) = voucher(&shop, "v-1", "2000.00").await;
    let customer = customer_id(JEANNE);
    let (status, _) = shop
        .http
        .patch(format!(
            "{}/v1/admin/customers/{customer}/balance",
            shop.base
        ))
        .bearer_auth("admin")
        .json(&json!({"currency": "EUR", "on_account": {"allowed": true, "maximum": "5000.00"}}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);
    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &body_with(
                &shop,
                json!({"voucher_codes": [code], "method": "on_account"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(balance(&shop).await["on_account"]["outstanding"], "922.00");
    // No PSP was paid: the default is the tenders, newest first (the same checkout: both).
    let (status, back) = refund(&shop, "r-1", json!({"amount": "2922.00"})).await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(back["refund"]["to"], "original");
    assert_eq!(voucher_balance(&shop, &id).await, "2000.00");
    assert_eq!(balance(&shop).await["on_account"]["outstanding"], "0.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "refunded", "{order}");
}

#[tokio::test]
async fn a_credit_refund_spread_over_the_card_and_the_voucher_is_one_write_to_the_balance() {
    let shop = shop().await;
    let (_, code) = voucher(&shop, "v-1", "500.00").await;
    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &body_with(&shop, json!({"voucher_codes": [code]})),
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
    let (status, _) = ship(&shop, "ORD-10042", json!({"shipment_id": "p1"})).await;
    assert_eq!(status, 202);
    // 2500.00: the card's 2422.00, then 78.00 of the voucher, both to the one balance.
    let (status, credited) = refund(
        &shop,
        "r-1",
        json!({"amount": "2500.00", "to": "credit_balance"}),
    )
    .await;
    assert_eq!(status, 201, "{credited}");
    assert_eq!(
        credited["refund"]["payment_ids"].as_array().unwrap().len(),
        2,
        "{credited}"
    );
    assert_eq!(balance(&shop).await["credit_balance"], "2500.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["amounts"]["refunded"], "2500.00", "{order}");
    assert_eq!(order["status"], "partially_refunded");
}
