//! One payment from many sources, over HTTP against moto and the sandbox PSP: vouchers issued
//! by the back office, the credit balance and on account as tenders, the card for the rest;
//! reservations taken when the card is authorised and given back when it is dropped; an order
//! its tenders pay whole; the limits held under concurrency; wrong codes counted.

use encaisse::domain::customer_id;
use integration::journey::{emailed, ship};
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

async fn admin_patch(shop: &Shop, path: &str, body: &Value) -> (u16, Value) {
    let reply = shop
        .http
        .patch(format!("{}{path}", shop.base))
        .bearer_auth("admin")
        .json(body)
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

/// Issues a voucher of `amount` EUR; returns (id, code).
async fn voucher(shop: &Shop, key: &str, amount: &str) -> (String, String) {
    let (status, issued) = shop
        .admin_post(
            "/v1/admin/vouchers",
            Some(key),
            &json!({"amount": amount, "currency": "EUR", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let code = issued["code"].as_str().unwrap().to_string();
    assert!(code.replace('-', "").len() >= 16, "{code}");
    (issued["id"].as_str().unwrap().into(), code)
}

async fn voucher_balance(shop: &Shop, id: &str) -> String {
    admin_get(shop, &format!("/v1/admin/vouchers/{id}")).await["balance"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_voucher_with_the_card_is_taken_when_the_card_is_authorised_and_given_back_when_dropped()
{
    let shop = shop().await;
    let (id, code) = voucher(&shop, "v-1", "500.00").await;
    // The replay of the issue answers the same voucher, without its code (never kept).
    let (status, replay) = shop
        .admin_post(
            "/v1/admin/vouchers",
            Some("v-1"),
            &json!({"amount": "500.00", "currency": "EUR", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!((status, replay["id"].as_str()), (201, Some(id.as_str())));
    assert_eq!(replay["code"], Value::Null);

    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &body_with(&shop, json!({"voucher_codes": [code.to_lowercase()]})),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["amount"], "2422.00");
    assert_eq!(started["tenders"][0]["method"], "voucher");
    assert_eq!(started["tenders"][0]["amount"], "500.00");
    assert_eq!(started["tenders"][0]["status"], "processing");
    assert_eq!(voucher_balance(&shop, &id).await, "0.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["amount_due"], "2422.00", "{order}");

    // The shopper comes back and pays again with the same code: the first attempt's hold is
    // given back and taken anew in one transaction (not a used-up code).
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1b",
            &body_with(&shop, json!({"voucher_codes": [code.clone()]})),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["tenders"][0]["amount"], "500.00");
    assert_eq!(voucher_balance(&shop, &id).await, "0.00");

    // The shopper drops the card attempt: the voucher is given back whole.
    let card = started["payment"]["id"].as_str().unwrap();
    let dropped = shop
        .http
        .delete(format!("{}/v1/orders/ORD-10042/payments/{card}", shop.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(dropped.status().is_success(), "{}", dropped.status());
    assert_eq!(voucher_balance(&shop, &id).await, "500.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["amount_due"], "2922.00", "{order}");
    let tender = started["tenders"][0]["id"].as_str().unwrap();
    let released = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{tender}"), &token)
        .await;
    assert_eq!(released["status"], "cancelled");

    // Again, paid this time: the voucher is taken with the authorisation.
    let (status, started) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-2",
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
    let tender = started["tenders"][0]["id"].as_str().unwrap();
    let taken = shop
        .payment_reaches("ORD-10042", tender, &token, "captured")
        .await;
    assert_eq!(taken["captured_amount"], "500.00");
    assert_eq!(voucher_balance(&shop, &id).await, "0.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(
        (order["status"].as_str(), order["amount_due"].as_str()),
        (Some("partially_captured"), Some("0.00")),
        "{order}"
    );
    // The shipment captures the card's part only.
    let (status, shipped) = ship(&shop, "ORD-10042", json!({"shipment_id": "p1"})).await;
    assert_eq!(status, 202, "{shipped}");
    assert_eq!(shipped["captured"], "2422.00");
    // A refund goes to the card, never to a tender payment (which has no PSP).
    let (status, refunded) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("r-1"),
            &json!({"amount": "100.00"}),
        )
        .await;
    assert_eq!(status, 201, "{refunded}");
    assert_eq!(
        refunded["refund"]["payment_id"].as_str(),
        Some(card.as_str()),
        "{refunded}"
    );
}

#[tokio::test]
async fn an_order_paid_by_voucher_alone_needs_no_psp_and_ships_and_is_invoiced() {
    let shop = shop().await;
    let (id, code) = voucher(&shop, "v-2", "3000.00").await;
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
    assert_eq!(started["next_action"], Value::Null);
    assert_eq!(started["payment"]["method"], "voucher");
    assert_eq!(started["payment"]["status"], "captured");
    assert_eq!(started["payment"]["amount"], "2922.00");
    assert_eq!(voucher_balance(&shop, &id).await, "78.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured", "{order}");
    // Nothing went to the PSP.
    let events = shop.sandbox_events().await;
    assert!(events.is_empty(), "{events:?}");
    let (status, shipped) = ship(&shop, "ORD-10042", json!({"shipment_id": "p1"})).await;
    assert_eq!(status, 202, "{shipped}");
    assert_eq!(shipped["collected_by"], "tenders");
    emailed(&shop, "Votre facture", 1).await;
}

#[tokio::test]
async fn one_voucher_in_twenty_concurrent_checkouts_spends_at_most_its_balance() {
    let shop = shop().await;
    let (id, code) = voucher(&shop, "v-3", "500.00").await;
    let mut references = Vec::new();
    for i in 0..20 {
        let reference = format!("ORD-3{i:04}");
        let (status, created) = shop
            .admin_post(
                "/v1/admin/orders",
                None,
                &json!({
                    "reference": reference,
                    "customer": {"email": format!("buyer{i}@example.fr"), "name": "Buyer"},
                    "currency": "EUR",
                    "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": "50.00", "tax_rate": "20"}],
                    "shipping": {"method": "carrier", "amount": "0.00", "tax_rate": "20",
                                 "address": {"name": "Buyer", "line1": "1 rue", "postcode": "83000", "city": "Toulon", "country": "FR"}}
                }),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        references.push(reference);
    }
    let mut tasks = Vec::new();
    for reference in references.clone() {
        let (shop, code) = (shop.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let token = shop.token(&reference, "83000").await;
            let body = body_with(&shop, json!({"voucher_codes": [code]}));
            shop.start(&reference, &token, "pay-1", &body).await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    // What each order's tenders took, from the orders themselves.
    let mut spent = rust_decimal::Decimal::ZERO;
    for reference in &references {
        let order = admin_get(&shop, &format!("/v1/admin/orders/{reference}")).await;
        for payment in order["payments"].as_array().unwrap() {
            if payment["method"] == "voucher" && payment["status"] != "cancelled" {
                spent += payment["amount"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap();
            }
        }
    }
    let left: rust_decimal::Decimal = voucher_balance(&shop, &id).await.parse().unwrap();
    assert!(left >= rust_decimal::Decimal::ZERO);
    assert_eq!(spent + left, "500.00".parse().unwrap(), "{answers:?}");
    // 60.00 an order: eight paid whole by it, the ninth in part, the rest refused or retried.
    let whole = answers
        .iter()
        .filter(|(s, a)| *s == 201 && a["next_action"].is_null())
        .count();
    assert!(whole <= 8, "{answers:?}");
    for (status, answer) in &answers {
        assert!([201, 409, 422].contains(status), "{status} {answer}");
    }
}

#[tokio::test]
async fn on_account_up_to_its_maximum_then_settled_by_a_recorded_payment() {
    let shop = shop().await;
    let customer = customer_id(JEANNE);
    let path = format!("/v1/admin/customers/{customer}/balance");
    let token = shop.token("ORD-10042", "83000").await;
    let body = body_with(&shop, json!({"method": "on_account"}));
    // Not open to her yet.
    let (status, problem) = shop.start("ORD-10042", &token, "pay-0", &body).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("method")),
        "{problem}"
    );

    let (status, changed) = admin_patch(
        &shop,
        &path,
        &json!({"currency": "EUR", "on_account": {"allowed": true, "maximum": "2000.00"}}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    // 2,922.00 due, 2,000.00 of room: refused, naming the method, nothing written.
    let (status, problem) = shop.start("ORD-10042", &token, "pay-1", &body).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("method")),
        "{problem}"
    );
    assert_eq!(
        admin_get(&shop, &path).await["on_account"]["outstanding"],
        "0.00"
    );

    admin_patch(
        &shop,
        &path,
        &json!({"currency": "EUR", "on_account": {"maximum": "5000.00"}, "credit_balance": "100.00"}),
    )
    .await;
    // The credit first, the rest on account.
    let body = body_with(
        &shop,
        json!({"method": "on_account", "use_credit_balance": true}),
    );
    let (status, started) = shop.start("ORD-10042", &token, "pay-2", &body).await;
    assert_eq!(status, 201, "{started}");
    let methods: Vec<&str> = started["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["credit_balance", "on_account"]);
    assert_eq!(started["tenders"][1]["amount"], "2822.00");
    let balance = admin_get(&shop, &path).await;
    assert_eq!(balance["credit_balance"], "0.00");
    assert_eq!(balance["on_account"]["outstanding"], "2822.00");
    assert_eq!(balance["on_account"]["available"], "2178.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured", "{order}");

    // The seller records a transfer against what she owes, once per key.
    let transfer = json!({"currency": "EUR", "amount": "1000.00", "method": "bank_transfer",
                          "reference": "VIR-2026-118", "received_on": "2026-12-01"});
    let payments = format!("{path}/on-account-payments");
    let (status, after) = shop.admin_post(&payments, Some("t-1"), &transfer).await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(after["on_account"]["outstanding"], "1822.00");
    let (status, again) = shop.admin_post(&payments, Some("t-1"), &transfer).await;
    assert_eq!((status, &again), (201, &after));
    let balance = admin_get(&shop, &path).await;
    assert_eq!(balance["on_account"]["outstanding"], "1822.00");
    let actions: Vec<&str> = balance["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "on_account_payment_recorded",
            "balance_changed",
            "balance_changed"
        ]
    );
    assert_eq!(balance["audit"][0]["by"], "api-key");
    // More than she owes: refused.
    let mut too_much = transfer.clone();
    too_much["amount"] = "1822.01".into();
    let (status, problem) = shop.admin_post(&payments, Some("t-2"), &too_much).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("amount")));
}

#[tokio::test]
async fn wrong_codes_get_one_uniform_answer_and_count_against_the_order() {
    let shop = shop().await;
    let (id, code) = voucher(&shop, "v-4", "10.00").await;
    // Voided: its code is as wrong as an unknown one.
    let (status, voided) = shop
        .admin_post(&format!("/v1/admin/vouchers/{id}/void"), None, &json!({}))
        .await;
    assert_eq!((status, voided["status"].as_str()), (200, Some("void")));
    let token = shop.token("ORD-10042", "83000").await;
    let mut details = Vec::new();
    for (i, tried) in [code.as_str(), "AAAA-BBBB-CCCC-DDDD", "short"]
        .iter()
        .enumerate()
    {
        let (status, problem) = shop
            .start(
                "ORD-10042",
                &token,
                &format!("w-{i}"),
                &body_with(&shop, json!({"voucher_codes": [tried]})),
            )
            .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("voucher_codes"))
        );
        details.push(problem["detail"].as_str().unwrap().to_string());
    }
    assert!(details.windows(2).all(|w| w[0] == w[1]), "{details:?}");
    for i in 0..10 {
        shop.start(
            "ORD-10042",
            &token,
            &format!("x-{i}"),
            &body_with(&shop, json!({"voucher_codes": ["AAAA-BBBB-CCCC-EEEE"]})),
        )
        .await;
    }
    let (status, problem) = shop
        .start(
            "ORD-10042",
            &token,
            "x-last",
            &body_with(&shop, json!({"voucher_codes": ["AAAA-BBBB-CCCC-FFFF"]})),
        )
        .await;
    assert_eq!(status, 429, "{problem}");
    // Without codes the order can still be paid.
    let (status, _) = shop
        .start("ORD-10042", &token, "card", &body_with(&shop, json!({})))
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_mixed_tender_checkout_reserves_everything_in_one_transaction() {
    let shop = shop().await;
    let (_, first) = voucher(&shop, "v-5", "100.00").await;
    let (_, second) = voucher(&shop, "v-6", "50.00").await;
    let customer = customer_id(JEANNE);
    admin_patch(
        &shop,
        &format!("/v1/admin/customers/{customer}/balance"),
        &json!({"currency": "EUR", "credit_balance": "25.00"}),
    )
    .await;
    let (status, _) = shop
        .admin_post(
            "/v1/admin/promo-codes",
            None,
            &json!({"code": "MIXED5", "label": "Cinq euros", "currency": "EUR",
                    "amount_off": "5.00", "valid_from": "2020-01-01", "valid_until": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201);
    let token = shop.token("ORD-10042", "83000").await;
    let body = body_with(
        &shop,
        json!({"voucher_codes": [first, second], "use_credit_balance": true, "promo_code": "MIXED5"}),
    );
    // Let the notifier and relay of the admin calls settle, then count this request only.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    shop.requests.reset();
    let (status, started) = shop.start("ORD-10042", &token, "mixed", &body).await;
    assert_eq!(status, 201, "{started}");
    // 2922.00 less the promo code's 5.00, the vouchers' 150.00 and the credit's 25.00.
    assert_eq!(started["payment"]["amount"], "2742.00");
    assert_eq!(started["tenders"].as_array().unwrap().len(), 3);
    // The devserver's own relay polls the pending outbox (a Query on GSI1) meanwhile: not
    // this request's.
    let mut counted = std::collections::BTreeMap::<String, u64>::new();
    for exchange in shop.requests.exchanges() {
        if exchange.request.get("IndexName").is_none() {
            *counted.entry(exchange.operation.clone()).or_default() += 1;
        }
    }
    println!("mixed-tender checkout with a promo code: {counted:?}");
    assert_eq!(counted.get("TransactWriteItems"), Some(&1), "{counted:?}");
    let items = shop
        .requests
        .exchanges()
        .iter()
        .find(|e| e.operation == "TransactWriteItems")
        .and_then(|e| e.request["TransactItems"].as_array().map(Vec::len));
    assert_eq!(items, Some(13), "3 tenders, the card, the order, 2 vouchers, the balance, 2 promo counters, the client's room for wrong codes, the customer, the claim");
    assert_eq!(counted.get("BatchGetItem"), Some(&1), "{counted:?}");
    assert_eq!(counted.values().sum::<u64>(), 5, "{counted:?}");
}
