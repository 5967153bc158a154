//! Paying with a saved card over real HTTP (devserver app on moto, sandbox PSP): the card is
//! one of the customer's, the shopper types its security code on the PSP's page (never sent to
//! us), 3-D Secure follows when the seller's policy asks, and the webhook authorises the order.

use encaisse::domain::three_d_secure::ThreeDSecurePolicy;
use integration::account::signed_in;
use integration::shop::{shop, shop_with, Shop};
use serde_json::{json, Value};

const JEANNE: &str = "jeanne.martin@example.fr";

/// A second quote for Jeanne (her first, ORD-10042, saved her card).
async fn second_quote(shop: &Shop, reference: &str) -> String {
    let (status, order) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &json!({
                "reference": reference,
                "customer": {"email": JEANNE, "name": "Jeanne Martin"},
                "currency": "EUR",
                "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": "14.50", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "6.90", "tax_rate": "20",
                             "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                         "city": "Toulon", "country": "FR"}}
            }),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    shop.token(reference, "83000").await
}

/// Jeanne's saved card, as her account lists it.
async fn saved_card(shop: &Shop) -> Value {
    let session = signed_in(shop, JEANNE).await;
    let cards: Value = shop
        .http
        .get(format!("{}/v1/me/cards", shop.base))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    cards["cards"][0].clone()
}

fn pay_with(card: &str, return_base: &str) -> Value {
    json!({"method": "saved_card", "saved_card_id": card, "return_url": format!("{return_base}/return")})
}

/// Posts the security code on the PSP's confirmation page; returns the status and where it
/// sends the shopper.
async fn confirm_with_cvc(shop: &Shop, page: &str, cvc: &str) -> (u16, Option<String>, String) {
    let (path, query) = page.split_once('?').unwrap();
    let mut form: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    form.push(("cvc".into(), cvc.into()));
    let reply = shop.http.post(path).form(&form).send().await.unwrap();
    let status = reply.status().as_u16();
    let location = reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, reply.text().await.unwrap())
}

#[tokio::test]
async fn a_saved_card_pays_the_next_order_after_its_security_code_is_typed_at_the_psp() {
    let shop = shop().await;
    shop.authorised_order("ORD-10042", "83000", JEANNE).await;
    let card = saved_card(&shop).await;
    let card_id = card["id"].as_str().unwrap().to_string();
    let token = second_quote(&shop, "ORD-20001").await;

    let (status, started) = shop
        .start(
            "ORD-20001",
            &token,
            "saved-1",
            &pay_with(&card_id, &shop.base),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["method"], "saved_card");
    assert_eq!(started["payment"]["status"], "created");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    let page = started["next_action"]["url"].as_str().unwrap().to_string();
    assert!(page.contains("/sandbox-psp/confirm/pi_"), "{page}");

    // Nothing is charged before the shopper confirms.
    let intent_id = page
        .split("/confirm/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let intent = integration::journey::psp_intent(&shop, intent_id).await;
    assert_eq!(intent["status"], "requires_confirmation");
    assert_eq!(
        intent["payment_method_options"]["card"]["require_cvc_recollection"],
        true
    );

    // The PSP's page shows the card and asks its security code; a wrong one is refused there.
    let shown = shop
        .http
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("•••• 4242") && shown.contains("autocomplete=\"cc-csc\""));
    let (status, _, _) = confirm_with_cvc(&shop, &page, "12").await;
    assert_eq!(status, 422);
    let (status, back, _) = confirm_with_cvc(&shop, &page, "123").await;
    assert_eq!(status, 303);
    let back = back.unwrap();
    assert!(
        back.starts_with(&format!(
            "{}/return?reference=ORD-20001&payment={payment}&outcome=returned",
            shop.base
        )) && back.contains("redirect_status=succeeded"),
        "{back}"
    );
    shop.payment_reaches("ORD-20001", &payment, &token, "authorised")
        .await;
    let order = shop.get("/v1/orders/ORD-20001", &token).await;
    assert_eq!(order["status"], "authorised", "{order}");
}

#[tokio::test]
async fn a_card_that_is_not_the_customers_is_refused_and_nothing_is_written() {
    let shop = shop().await;
    // Paul's card, tried on Jeanne's order.
    shop.authorised_order("ORD-10043", "75011", "paul.durand@example.fr")
        .await;
    let paul = signed_in(&shop, "paul.durand@example.fr").await;
    let cards: Value = shop
        .http
        .get(format!("{}/v1/me/cards", shop.base))
        .bearer_auth(&paul)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pauls = cards["cards"][0]["id"].as_str().unwrap().to_string();
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = integration::shop::first_order_body(&shop.base);
    body["method"] = "saved_card".into();
    body["save_card"] = false.into();
    for (card, key, field) in [
        (json!(pauls), "k-1", "saved_card_id"),
        (json!("pm_unknown"), "k-2", "saved_card_id"),
        (json!("pm <script>"), "k-3", "saved_card_id"),
        (Value::Null, "k-4", "saved_card_id"),
    ] {
        body["saved_card_id"] = card;
        let (status, refused) = shop.start("ORD-10042", &token, key, &body).await;
        assert_eq!(
            (status, refused["field"].as_str()),
            (422, Some(field)),
            "{refused}"
        );
    }
    body["saved_card_id"] = pauls.into();
    body["save_card"] = true.into();
    let (status, refused) = shop.start("ORD-10042", &token, "k-5", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("save_card"))
    );
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"], json!([]), "nothing written");
}

#[tokio::test]
async fn with_three_d_secure_asked_the_saved_card_goes_through_the_challenge_after_its_code() {
    let shop = shop_with(true, ThreeDSecurePolicy::Always).await;
    // The first payment (new card) is challenged too under this policy.
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = integration::shop::first_order_body(&shop.base);
    body["billing"]["email"] = JEANNE.into();
    let (status, started) = shop.start("ORD-10042", &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    let first = started["payment"]["id"].as_str().unwrap().to_string();
    let challenge = shop
        .pay(
            started["next_action"]["url"].as_str().unwrap(),
            "4242424242424242",
        )
        .await
        .unwrap();
    let challenge = shop.absolute(&challenge);
    let code = shop.three_ds_code(&challenge).await;
    shop.answer_3ds(&challenge, &code).await.unwrap();
    shop.payment_reaches("ORD-10042", &first, &token, "authorised")
        .await;

    let card = saved_card(&shop).await;
    let token = second_quote(&shop, "ORD-20002").await;
    let (status, started) = shop
        .start(
            "ORD-20002",
            &token,
            "saved-1",
            &pay_with(card["id"].as_str().unwrap(), &shop.base),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    let page = started["next_action"]["url"].as_str().unwrap();
    let (status, challenge, _) = confirm_with_cvc(&shop, page, "123").await;
    assert_eq!(status, 303);
    let challenge = shop.absolute(&challenge.unwrap());
    assert!(challenge.contains("/sandbox-psp/3ds/"), "{challenge}");
    let code = shop.three_ds_code(&challenge).await;
    let back = shop.answer_3ds(&challenge, &code).await.unwrap();
    assert!(back.contains("outcome=returned"), "{back}");
    shop.payment_reaches("ORD-20002", &payment, &token, "authorised")
        .await;
}

#[tokio::test]
async fn a_second_start_closes_the_unconfirmed_saved_card_payment() {
    let shop = shop().await;
    shop.authorised_order("ORD-10042", "83000", JEANNE).await;
    let card = saved_card(&shop).await;
    let token = second_quote(&shop, "ORD-20003").await;
    let body = pay_with(card["id"].as_str().unwrap(), &shop.base);
    let (_, first) = shop.start("ORD-20003", &token, "saved-1", &body).await;
    let first_page = first["next_action"]["url"].as_str().unwrap().to_string();
    let (status, second) = shop.start("ORD-20003", &token, "saved-2", &body).await;
    assert_eq!(status, 201, "{second}");
    // The first one can no longer be paid: its PaymentIntent was cancelled.
    let (status, _, text) = confirm_with_cvc(&shop, &first_page, "123").await;
    assert_eq!(status, 409, "{text}");
    let order = shop.get("/v1/orders/ORD-20003", &token).await;
    let statuses: Vec<&str> = order["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["cancelled", "created"], "{order}");
}
