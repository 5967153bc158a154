//! Shipments after the capture window (4 days 18 hours): the lapsed authorisation is renewed
//! off-session on the saved card, or released and the shopper emailed a pay link. Against moto
//! and the sandbox PSP over HTTP; time passes by ageing the stored authorisation.

use integration::journey::{age_authorisation, count, emailed, pay_with_3ds, psp_intent, ship};
use integration::shop::{first_order_body, shop};
use serde_json::json;

#[tokio::test]
async fn a_lapsed_authorisation_is_renewed_on_the_saved_card_then_captured() {
    let shop = shop().await;
    let (token, first) = shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    let old_pi = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{first}"), &token)
        .await["provider_reference"]
        .as_str()
        .unwrap()
        .to_string();
    age_authorisation(&shop, "ORD-10042", &first).await;

    let (status, captured) = ship(
        &shop,
        "ORD-10042",
        json!({"shipment_id": "parcel-1", "amount": "1000.00"}),
    )
    .await;
    assert_eq!(status, 202, "{captured}");
    let renewal = captured["payment_id"].as_str().unwrap().to_string();
    assert_ne!(renewal, first, "captured from a new authorisation");
    assert_eq!(captured["captured"], "1000.00");

    // At the PSP: the old authorisation released, the new one partly captured.
    assert_eq!(psp_intent(&shop, &old_pi).await["status"], "canceled");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "partially_captured", "{order}");
    assert_eq!(order["amount_due"], "0.00");
    let payments = order["payments"].as_array().unwrap();
    let by_id = |id: &str| payments.iter().find(|p| p["id"] == id).unwrap().clone();
    assert_eq!(by_id(&first)["status"], "cancelled");
    let renewed = by_id(&renewal);
    assert_eq!(renewed["status"], "partially_captured");
    assert_eq!(renewed["amount"], "2922.00");
    assert_eq!(renewed["captured_amount"], "1000.00");
    let new_pi = renewed["provider_reference"].as_str().unwrap();
    assert_ne!(new_pi, old_pi);
    let intent = psp_intent(&shop, new_pi).await;
    assert_eq!(intent["status"], "requires_capture");
    assert_eq!(intent["amount_received"], 100000);

    // The same shipment again: the same answer, nothing renewed or captured twice.
    let (status, again) = ship(
        &shop,
        "ORD-10042",
        json!({"shipment_id": "parcel-1", "amount": "1000.00"}),
    )
    .await;
    assert_eq!((status, &again), (202, &captured));
    // The rest ships: captured from the renewal, the invoice follows.
    let (status, rest) = ship(&shop, "ORD-10042", json!({"shipment_id": "parcel-2"})).await;
    assert_eq!(status, 202, "{rest}");
    assert_eq!(rest["payment_id"], renewal.as_str());
    assert_eq!(rest["captured_total"], "2922.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured");

    let all = emailed(&shop, "Votre facture", 1).await;
    assert_eq!(
        count(&all, "Paiement reçu"),
        1,
        "no second 'payment received'"
    );
    assert_eq!(count(&all, "Votre carte a été débitée"), 2);
    assert_eq!(count(&all, "Action requise"), 0);
}

#[tokio::test]
async fn without_a_usable_saved_card_the_shopper_pays_again_through_the_link() {
    let shop = shop().await;
    // The 3-D Secure card: an off-session renewal needs the shopper, so it fails.
    let token = shop.token("ORD-10043", "75011").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "paul.durand@example.fr".into();
    let (status, started) = shop.start("ORD-10043", &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    let first = started["payment"]["id"].as_str().unwrap().to_string();
    pay_with_3ds(&shop, started["next_action"]["url"].as_str().unwrap()).await;
    let authorised = shop
        .payment_reaches("ORD-10043", &first, &token, "authorised")
        .await;
    let old_pi = authorised["provider_reference"]
        .as_str()
        .unwrap()
        .to_string();
    let total = authorised["amount"].as_str().unwrap().to_string();
    age_authorisation(&shop, "ORD-10043", &first).await;

    let (status, problem) = ship(&shop, "ORD-10043", json!({"shipment_id": "box-1"})).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(
        problem["type"],
        "https://encaisse.dev/problems/requires-reauthorisation"
    );
    assert_eq!(psp_intent(&shop, &old_pi).await["status"], "canceled");
    let order = shop.get("/v1/orders/ORD-10043", &token).await;
    assert_eq!(order["status"], "requires_reauthorisation", "{order}");
    assert_eq!(order["amount_due"], total.as_str());
    assert_eq!(order["payments"][0]["status"], "cancelled");
    // Nothing authorised any more: the same shipment cannot be captured yet.
    let (status, problem) = ship(&shop, "ORD-10043", json!({"shipment_id": "box-1"})).await;
    assert_eq!(status, 409);
    assert_eq!(
        problem["type"],
        "https://encaisse.dev/problems/nothing-to-capture"
    );

    // The email carries the pay link with the reference.
    let all = emailed(&shop, "Action requise – commande ORD-10043", 1).await;
    let email = all
        .iter()
        .find(|e| e["subject"].as_str().unwrap().starts_with("Action requise"))
        .unwrap();
    assert_eq!(email["to"], "paul.durand@example.fr");
    let link = format!("{}/pay?ref=ORD-10043", shop.base);
    assert!(email["text"].as_str().unwrap().contains(&link), "{email}");

    // The shopper follows it and pays again, with another card.
    let token = shop.token("ORD-10043", "75011").await;
    let (status, again) = shop.start("ORD-10043", &token, "pay-2", &body).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["payment"]["amount"], total.as_str());
    let second = again["payment"]["id"].as_str().unwrap().to_string();
    shop.pay(
        again["next_action"]["url"].as_str().unwrap(),
        "4242424242424242",
    )
    .await
    .expect("redirect back");
    shop.payment_reaches("ORD-10043", &second, &token, "authorised")
        .await;
    let order = shop.get("/v1/orders/ORD-10043", &token).await;
    assert_eq!(order["status"], "authorised");
    assert_eq!(order["amount_due"], "0.00");

    // Shipped again: captured from the new authorisation.
    let (status, captured) = ship(&shop, "ORD-10043", json!({"shipment_id": "box-1"})).await;
    assert_eq!(status, 202, "{captured}");
    assert_eq!(captured["payment_id"], second.as_str());
    assert_eq!(captured["captured_total"], total.as_str());
    let all = emailed(&shop, "Votre facture", 1).await;
    assert_eq!(count(&all, "Action requise"), 1);
    assert_eq!(count(&all, "Paiement reçu"), 2, "one per authorisation");
}
