//! Wallets through the PSP's page over real HTTP (devserver app on moto, sandbox PSP in
//! Stripe's test mode): PayPal authorised now and captured at shipment, Alipay captured at once
//! (the payment and the order say so, the emails too), Apple Pay as a card wallet; what the
//! shop does not offer is refused, nothing written.

use integration::journey::{emailed, psp_intent, ship};
use integration::shop::{first_order_body, shop, Shop};
use serde_json::{json, Value};

/// Starts ORD-10042 with `wallet`; returns the token, our payment id and the page.
async fn start(shop: &Shop, wallet: &str) -> (String, String, String) {
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = first_order_body(&shop.base);
    body["method"] = "wallet".into();
    body["wallet"] = wallet.into();
    body["save_card"] = false.into();
    let (status, started) = shop.start("ORD-10042", &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["method"], "wallet");
    assert_eq!(started["payment"]["wallet"], wallet);
    (
        token,
        started["payment"]["id"].as_str().unwrap().to_string(),
        started["next_action"]["url"].as_str().unwrap().to_string(),
    )
}

async fn choose(shop: &Shop, page: &str, choice: &str) -> Option<String> {
    let reply = shop
        .http
        .post(page)
        .form(&[("wallet", choice)])
        .send()
        .await
        .unwrap();
    reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
}

#[tokio::test]
async fn paypal_is_authorised_now_and_captured_at_shipment() {
    let shop = shop().await;
    let (token, payment, page) = start(&shop, "paypal").await;
    let shown = shop
        .http
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("with PayPal"), "{shown}");
    assert!(choose(&shop, &page, "authorize").await.is_some());
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    assert_eq!(seen["capture"], "at_shipment");
    let intent = psp_intent(&shop, seen["provider_reference"].as_str().unwrap()).await;
    assert_eq!(intent["payment_method_types"], json!(["paypal"]));
    assert_eq!(intent["capture_method"], "manual");
    let (status, shipped) = ship(&shop, "ORD-10042", json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(status, 202, "{shipped}");
    shop.payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
}

#[tokio::test]
async fn alipay_is_captured_at_once_and_the_order_and_emails_say_so() {
    let shop = shop().await;
    let (token, payment, page) = start(&shop, "alipay").await;
    assert!(choose(&shop, &page, "authorize").await.is_some());
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    assert_eq!(seen["capture"], "at_once");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured", "{order}");
    let emails = emailed(&shop, "Paiement reçu – commande ORD-10042", 1).await;
    let received: Vec<&Value> = emails
        .iter()
        .filter(|e| e["subject"] == "Paiement reçu – commande ORD-10042")
        .collect();
    assert_eq!(received.len(), 1);
    assert!(
        received[0]["text"]
            .as_str()
            .unwrap()
            .contains("il est réglé"),
        "{}",
        received[0]["text"]
    );
    assert!(
        !emails.iter().any(|e| e["subject"]
            .as_str()
            .unwrap()
            .starts_with("Votre carte a été débitée")),
        "no 'card debited at shipment' email for a wallet taken at once"
    );
    // Nothing is left to capture when the parcel ships.
    let (status, _) = ship(&shop, "ORD-10042", json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn apple_pay_is_a_card_wallet_on_the_psps_card_page() {
    let shop = shop().await;
    let (token, payment, page) = start(&shop, "apple_pay").await;
    let shown = shop
        .http
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("Apple Pay (test)"), "{shown}");
    assert!(choose(&shop, &page, "apple_pay").await.is_some());
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    assert_eq!(seen["capture"], "at_shipment");
}

#[tokio::test]
async fn a_wallet_the_shop_does_not_offer_is_refused_and_nothing_is_written() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let base = first_order_body(&shop.base);
    for (changes, field) in [
        (
            json!({"method": "wallet", "wallet": "venmo", "save_card": false}),
            "wallet",
        ),
        (json!({"method": "wallet", "save_card": false}), "wallet"),
        (json!({"method": "card", "wallet": "paypal"}), "wallet"),
        (
            json!({"method": "wallet", "wallet": "paypal", "save_card": true}),
            "save_card",
        ),
        (
            json!({"method": "wallet", "wallet": "paypal", "save_card": false, "ui": "embedded"}),
            "ui",
        ),
    ] {
        let mut body = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, refused) = shop.start("ORD-10042", &token, "k", &body).await;
        assert_eq!(
            (status, refused["field"].as_str()),
            (422, Some(field)),
            "{changes}: {refused}"
        );
    }
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"], json!([]));
    let billing = shop.get("/v1/orders/ORD-10042/billing", &token).await;
    assert_eq!(
        billing["wallets_offered"],
        json!(["apple_pay", "google_pay", "paypal", "alipay"])
    );
}
