//! Fraud review over real HTTP (devserver app on moto, sandbox PSP with Stripe's Radar test
//! cards): the seller's default rules put risky and foreign first orders under review, no
//! capture until approved, a rejection releases the authorisation and tells the shopper.

use integration::journey::{emailed, psp_intent, ship};
use integration::shop::{first_order_body, shop, Shop};
use serde_json::{json, Value};

const JEANNE: &str = "jeanne.martin@example.fr";

/// Pays ORD-10042 with `card` and `billing_country`; returns the token and our payment id once
/// authorised.
async fn pay(shop: &Shop, reference: &str, card: &str, billing_country: &str) -> (String, String) {
    let token = shop.token(reference, "83000").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = JEANNE.into();
    body["billing"]["address"]["country"] = billing_country.into();
    let (status, started) = shop.start(reference, &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    shop.pay(started["next_action"]["url"].as_str().unwrap(), card)
        .await
        .expect("authorised");
    shop.payment_reaches(reference, &payment, &token, "authorised")
        .await;
    (token, payment)
}

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

async fn decide(shop: &Shop, reference: &str, decision: &str) -> (u16, Value) {
    shop.admin_post(
        &format!("/v1/admin/orders/{reference}/review"),
        None,
        &json!({ "decision": decision }),
    )
    .await
}

#[tokio::test]
async fn an_elevated_risk_payment_waits_for_approval_before_any_capture() {
    let shop = shop().await;
    let (token, payment) = pay(&shop, "ORD-10042", "4000 0000 0000 9235", "FR").await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "under_review", "{order}");

    let listed = admin_get(&shop, "/v1/admin/reviews").await;
    assert_eq!(
        listed["reviews"],
        json!([{
            "reference": "ORD-10042",
            "payment_id": payment,
            "amount": listed["reviews"][0]["amount"],
            "currency": "EUR",
            "reasons": ["risk_elevated"],
            "opened_at": listed["reviews"][0]["opened_at"],
        }]),
        "{listed}"
    );
    let (status, refused) = ship(&shop, "ORD-10042", json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(
        (status, refused["type"].as_str().unwrap_or_default()),
        (409, "https://encaisse.dev/problems/order-under-review"),
        "{refused}"
    );
    for (bad, expected) in [
        (json!({"decision": "maybe"}), 422),
        (json!({"verdict": "approve"}), 400),
    ] {
        let (status, problem) = shop
            .admin_post("/v1/admin/orders/ORD-10042/review", None, &bad)
            .await;
        assert_eq!(status, expected, "{problem}");
    }

    let (status, approved) = decide(&shop, "ORD-10042", "approve").await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "authorised");
    assert_eq!(approved["payments"][0]["review"]["status"], "approved");
    assert_eq!(
        approved["payments"][0]["review"]["reasons"],
        json!(["risk_elevated"])
    );
    let (status, again) = decide(&shop, "ORD-10042", "approve").await;
    assert_eq!((status, &again["status"]), (200, &json!("authorised")));
    let (status, _) = decide(&shop, "ORD-10042", "reject").await;
    assert_eq!(status, 409, "decided: it cannot change");
    assert_eq!(
        admin_get(&shop, "/v1/admin/reviews").await,
        json!({"reviews": []})
    );
    let (status, shipped) = ship(&shop, "ORD-10042", json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(status, 202, "{shipped}");
}

#[tokio::test]
async fn a_rejected_review_releases_the_authorisation_and_tells_the_shopper() {
    let shop = shop().await;
    let (token, payment) = pay(&shop, "ORD-10042", "4000 0000 0000 4954", "FR").await;
    let listed = admin_get(&shop, "/v1/admin/reviews").await;
    assert_eq!(listed["reviews"][0]["reasons"], json!(["risk_highest"]));

    let (status, rejected) = decide(&shop, "ORD-10042", "reject").await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "cancelled");
    let ours = &rejected["payments"][0];
    assert_eq!(ours["status"], "cancelled", "{rejected}");
    let intent = psp_intent(&shop, ours["provider_reference"].as_str().unwrap()).await;
    assert_eq!(intent["status"], "canceled", "released at the PSP");

    let emails = emailed(&shop, "Commande ORD-10042 non acceptée", 1).await;
    let email = emails
        .iter()
        .find(|e| e["subject"] == "Commande ORD-10042 non acceptée")
        .unwrap();
    assert_eq!(email["to"], JEANNE);
    assert!(email["text"]
        .as_str()
        .unwrap()
        .contains("rien ne vous sera débité"));

    // The PSP's cancellation notice arrives too: it renews nothing and changes nothing.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["payments"].as_array().unwrap().len(), 1, "{order}");
    let seen = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{payment}"), &token)
        .await;
    assert_eq!(seen["status"], "cancelled");
    // Deciding again: the same answer; the other way: refused.
    let (status, again) = decide(&shop, "ORD-10042", "reject").await;
    assert_eq!((status, &again["status"]), (200, &json!("cancelled")));
    let (status, _) = decide(&shop, "ORD-10042", "approve").await;
    assert_eq!(status, 409);
    let (status, _) = ship(&shop, "ORD-10042", json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn billing_abroad_is_reviewed_on_a_first_order_only() {
    let shop = shop().await;
    let (token, _) = pay(&shop, "ORD-10042", "4242 4242 4242 4242", "BE").await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "under_review");
    let listed = admin_get(&shop, "/v1/admin/reviews").await;
    assert_eq!(
        listed["reviews"][0]["reasons"],
        json!(["countries_differ_on_first_order"])
    );
    decide(&shop, "ORD-10042", "approve").await;

    // Her next order, billed to Belgium again: not her first any more.
    let (status, created) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &json!({
                "reference": "ORD-20001",
                "customer": {"email": JEANNE, "name": "Jeanne Martin"},
                "currency": "EUR",
                "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": "14.50", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "6.90", "tax_rate": "20",
                             "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                         "city": "Toulon", "country": "FR"}}
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (token, _) = pay(&shop, "ORD-20001", "4242 4242 4242 4242", "BE").await;
    let order = shop.get("/v1/orders/ORD-20001", &token).await;
    assert_eq!(order["status"], "authorised", "{order}");
}

#[tokio::test]
async fn a_normal_payment_is_not_reviewed_and_radars_blocked_card_is_declined() {
    let shop = shop().await;
    let (token, _) = pay(&shop, "ORD-10042", "4242 4242 4242 4242", "FR").await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "authorised");
    let (status, problem) = decide(&shop, "ORD-10042", "approve").await;
    assert_eq!(
        (status, problem["type"].as_str().unwrap_or_default()),
        (409, "https://encaisse.dev/problems/no-review")
    );
    let (status, _) = decide(&shop, "ORD-99999", "approve").await;
    assert_eq!(status, 404);

    // 4100 0000 0000 0019: blocked by Radar whatever the rules, the page says declined.
    let token = shop.token("ORD-10043", "75011").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "paul.durand@example.fr".into();
    let (_, started) = shop.start("ORD-10043", &token, "pay-1", &body).await;
    let back = shop
        .pay(
            started["next_action"]["url"].as_str().unwrap(),
            "4100 0000 0000 0019",
        )
        .await;
    assert_eq!(back, None, "stays on the PSP's page with the decline");
}
