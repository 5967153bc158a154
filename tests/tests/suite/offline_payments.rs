//! Bank transfer and cheque, over HTTP against moto: the checkout tells the shopper where to
//! send the money and what to quote, the order waits for it (a voucher reserved with it), the
//! seller records what arrives (in part, then the rest), and the order settles like any other
//! (the voucher taken, the paid email and the invoice). Another method chosen meanwhile
//! replaces the awaited payment; the seller's mistakes are refused naming the field.

use integration::journey::emailed;
use integration::shop::{body_with, shop, Shop};
use serde_json::{json, Value};

async fn record(shop: &Shop, key: &str, body: &Value) -> (u16, Value) {
    shop.admin_post(
        "/v1/admin/orders/ORD-10042/offline-payments",
        Some(key),
        body,
    )
    .await
}

fn transfer(amount: &str, reference: &str) -> Value {
    json!({"method": "bank_transfer", "amount": amount, "currency": "EUR",
           "received_on": "2026-11-30", "reference": reference})
}

#[tokio::test]
async fn a_transfer_with_a_voucher_is_awaited_recorded_in_part_then_whole_and_settles() {
    let shop = shop().await;
    let (status, issued) = shop
        .admin_post(
            "/v1/admin/vouchers",
            Some("v-1"),
            &json!({"amount": "922.00", "currency": "EUR", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let token = shop.token("ORD-10042", "83000").await;

    // The checkout offers both, with what is due and the reference to quote.
    let offer = shop.get("/v1/orders/ORD-10042/billing", &token).await;
    let offered: Vec<&str> = offer["offline_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["bank_transfer", "cheque"], "{offer}");
    assert_eq!(offer["offline_methods"][0]["amount"], "2922.00");

    let body = body_with(
        &shop,
        json!({"method": "bank_transfer", "voucher_codes": [issued["code"]]}),
    );
    let (status, started) = shop.start("ORD-10042", &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["method"], "bank_transfer");
    assert_eq!(started["payment"]["status"], "created");
    assert_eq!(started["payment"]["amount"], "2000.00");
    assert_eq!(started["tenders"][0]["status"], "processing");
    let told = &started["next_action"];
    assert_eq!(told["type"], "bank_transfer", "{told}");
    assert_eq!(told["instructions"]["reference"], "ORD-10042");
    assert_eq!(told["instructions"]["amount"], "2000.00");
    assert_eq!(
        told["instructions"]["bank_transfer"]["iban"],
        "FR76 3000 6000 0112 3456 7890 189"
    );
    assert_eq!(told["instructions"]["bank_transfer"]["bic"], "AGRIFRPPXXX");
    // A replay answers the same instructions; nothing is opened at the PSP.
    let (status, again) = shop.start("ORD-10042", &token, "pay-1", &body).await;
    assert_eq!((status, &again), (201, &started));
    assert!(shop.sandbox_events().await.is_empty());
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "payment_pending", "{order}");
    assert_eq!(order["amount_due"], "2000.00");

    // The seller's mistakes: more than owed, another currency, a date to come, no key.
    let (status, problem) = record(&shop, "t-0", &transfer("2000.01", "VIR-1")).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("amount")),
        "{problem}"
    );
    let mut usd = transfer("100.00", "VIR-1");
    usd["currency"] = "USD".into();
    let (status, problem) = record(&shop, "t-0b", &usd).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("currency")),
        "{problem}"
    );
    let mut later = transfer("100.00", "VIR-1");
    later["received_on"] = "2099-01-01".into();
    let (status, problem) = record(&shop, "t-0c", &later).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("received_on")),
        "{problem}"
    );
    let (status, _) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/offline-payments",
            None,
            &transfer("100.00", "VIR-1"),
        )
        .await;
    assert_eq!(status, 400);

    // Part of it: the awaited transfer waits for the rest.
    let (status, part) = record(&shop, "t-1", &transfer("500.00", "VIR-1")).await;
    assert_eq!(status, 201, "{part}");
    assert_eq!(part["payment"]["status"], "captured");
    assert_eq!(part["payment"]["amount"], "500.00");
    assert_eq!(part["order"]["amount_due"], "1500.00");
    let (status, replay) = record(&shop, "t-1", &transfer("500.00", "VIR-1")).await;
    assert_eq!((status, &replay), (201, &part), "the same key records once");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["amount_due"], "1500.00", "{order}");

    // The rest: the awaited transfer is captured and the voucher taken with it.
    let (status, rest) = record(&shop, "t-2", &transfer("1500.00", "VIR-2")).await;
    assert_eq!(status, 201, "{rest}");
    assert_eq!(rest["payment"]["id"], started["payment"]["id"]);
    assert_eq!(rest["order"]["status"], "captured");
    assert_eq!(rest["order"]["amount_due"], "0.00");
    let tender = started["tenders"][0]["id"].as_str().unwrap();
    let taken = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{tender}"), &token)
        .await;
    assert_eq!(taken["status"], "captured");
    emailed(&shop, "Votre facture", 1).await;
    // Nothing more is owed.
    let (status, problem) = record(&shop, "t-3", &transfer("1.00", "VIR-3")).await;
    assert_eq!(status, 409, "{problem}");
}

#[tokio::test]
async fn a_card_chosen_after_a_cheque_replaces_it_and_a_cheque_recorded_then_closes_the_card() {
    let shop = shop().await;
    let (_, issued) = shop
        .admin_post(
            "/v1/admin/vouchers",
            Some("v-1"),
            &json!({"amount": "922.00", "currency": "EUR", "expires_on": "2099-12-31"}),
        )
        .await;
    let token = shop.token("ORD-10042", "83000").await;
    let (status, cheque) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &body_with(&shop, json!({"method": "cheque"})),
        )
        .await;
    assert_eq!(status, 201, "{cheque}");
    assert_eq!(cheque["next_action"]["type"], "cheque");
    assert_eq!(
        cheque["next_action"]["instructions"]["cheque"]["payee"],
        "Atelier Lumen SAS"
    );
    let (status, card) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-2",
            &body_with(&shop, json!({"voucher_codes": [issued["code"]]})),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    assert_eq!(card["payment"]["amount"], "2000.00");
    let id = cheque["payment"]["id"].as_str().unwrap();
    let replaced = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{id}"), &token)
        .await;
    assert_eq!(replaced["status"], "cancelled");
    // The shopper posted the cheque anyway, for what the voucher leaves: the seller records
    // it, the card page still open is closed at the PSP (the order cannot be paid twice) and
    // the voucher it held is taken with the cheque.
    let cheque_in = json!({"method": "cheque", "amount": "2000.00", "currency": "EUR",
                           "received_on": "2026-11-30", "reference": "CHQ 0012345"});
    let (status, recorded) = record(&shop, "c-1", &cheque_in).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["payment"]["method"], "cheque");
    assert_ne!(recorded["payment"]["id"], cheque["payment"]["id"]);
    assert_eq!(recorded["order"]["status"], "captured", "{recorded}");
    let card_id = card["payment"]["id"].as_str().unwrap();
    let closed = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{card_id}"), &token)
        .await;
    assert_eq!(closed["status"], "cancelled", "{closed}");
    let tender = card["tenders"][0]["id"].as_str().unwrap();
    let taken = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{tender}"), &token)
        .await;
    assert_eq!(taken["status"], "captured", "{taken}");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["amount_due"], "0.00", "{order}");
}

#[tokio::test]
async fn a_transfer_recorded_while_a_card_page_holds_a_promo_code_keeps_the_discount() {
    let shop = shop().await;
    let (status, _) = shop
        .admin_post(
            "/v1/admin/promo-codes",
            None,
            &json!({"code": "DIX", "label": "Dix pour cent", "currency": "EUR", "percent_off": "10",
                    "valid_from": "2020-01-01", "valid_until": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201);
    let token = shop.token("ORD-10042", "83000").await;
    let (status, card) = shop
        .start(
            "ORD-10042",
            &token,
            "pay-1",
            &body_with(&shop, json!({"promo_code": "DIX"})),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    assert_eq!(card["payment"]["amount"], "2629.80");
    // The shopper paid by transfer after all; the card page is closed, the discount stays.
    let (status, recorded) = record(&shop, "t-1", &transfer("2629.80", "VIR-DIX")).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["order"]["status"], "captured", "{recorded}");
    assert_eq!(recorded["order"]["amount_due"], "0.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["discount"]["amount"], "292.20", "{order}");
    assert_eq!(order["totals"]["gross"], "2629.80");
    let promo: Value = shop
        .http
        .get(format!("{}/v1/admin/promo-codes/DIX", shop.base))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(promo["uses"], 1, "{promo}");
}
