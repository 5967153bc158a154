//! The defects of the single-payment model, each against moto and the sandbox PSP over HTTP:
//! a refund between two partial captures, a PSP that cancels an uncaptured authorisation by
//! itself, a short fulfilment (last parcel), a card without multicapture, failed attempts, and
//! invoices that bill what was captured with the billing details the order was paid with.

use encaisse::domain::emails::format_amount;
use encaisse::domain::{customer_id, Currency, Locale, Reference};
use encaisse::ports::Write;
use integration::journey::{count, emailed, pay_with_3ds, psp_intent, ship, SANDBOX_KEY};
use integration::shop::{first_order_body, shop, Shop};
use rust_decimal::Decimal;
use serde_json::{json, Value};

async fn admin_order(shop: &Shop, reference: &str) -> Value {
    shop.http
        .get(format!("{}/v1/admin/orders/{reference}", shop.base))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn refund(shop: &Shop, reference: &str, key: &str, amount: &str) -> (u16, Value) {
    let reply = shop
        .http
        .post(format!("{}/v1/admin/orders/{reference}/refunds", shop.base))
        .bearer_auth("admin")
        .header("idempotency-key", key)
        .json(&json!({"amount": amount}))
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

/// An amount as the French emails print it.
fn fr(cents: i64) -> String {
    format_amount(Decimal::new(cents, 2), Currency::EUR, Locale::Fr)
}

/// The text of the (first) invoice email.
async fn invoice_text(shop: &Shop) -> String {
    let all = emailed(shop, "Votre facture", 1).await;
    let invoice = all
        .iter()
        .find(|e| e["subject"].as_str().unwrap().starts_with("Votre facture"))
        .unwrap();
    invoice["text"].as_str().unwrap().to_string()
}

/// Pays ORD-10042 (2,922.00) with `card` on the hosted page; returns (token, payment id).
async fn paid_with(shop: &Shop, card: &str) -> (String, String) {
    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start("ORD-10042", &token, "pay-1", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 201, "{started}");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    shop.pay(started["next_action"]["url"].as_str().unwrap(), card)
        .await
        .expect("redirect back");
    shop.payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    (token, payment)
}

#[tokio::test]
async fn a_refund_between_two_partial_captures_does_not_block_the_next_capture() {
    let shop = shop().await;
    let (token, payment) = paid_with(&shop, "4242424242424242").await;
    let (status, first) = ship(
        &shop,
        "ORD-10042",
        json!({"shipment_id": "p1", "amount": "1000.00"}),
    )
    .await;
    assert_eq!(status, 202, "{first}");
    shop.payment_reaches("ORD-10042", &payment, &token, "partially_captured")
        .await;
    let (status, refunded) = refund(&shop, "ORD-10042", "r-1", "100.00").await;
    assert_eq!(status, 201, "{refunded}");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    // Still waiting for the rest to ship: the refund does not end the captures.
    assert_eq!(order["status"], "partially_captured", "{order}");

    let (status, rest) = ship(&shop, "ORD-10042", json!({"shipment_id": "p2"})).await;
    assert_eq!(status, 202, "{rest}");
    assert_eq!(rest["captured_total"], "2922.00");
    let all = emailed(&shop, "Votre facture", 1).await;
    assert_eq!(count(&all, "Votre carte a été débitée"), 2, "{all:?}");
    // The invoice bills what was captured less the refund made before it: no credit note.
    let text = invoice_text(&shop).await;
    assert!(
        text.contains(&format!("Total TTC: {}", fr(282_200))),
        "{text}"
    );
    let refund_email = all
        .iter()
        .find(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("Remboursement effectué")
        })
        .unwrap();
    assert!(!refund_email["text"].as_str().unwrap().contains("Avoir"));
    let order = admin_order(&shop, "ORD-10042").await;
    assert_eq!(order["status"], "partially_refunded", "{order}");
    assert_eq!(order["amount_due"], "0.00");
}

#[tokio::test]
async fn the_last_parcel_captures_what_it_names_releases_the_rest_and_the_invoice_bills_it() {
    let shop = shop().await;
    let (token, payment) = paid_with(&shop, "4242424242424242").await;
    let (status, first) = ship(
        &shop,
        "ORD-10042",
        json!({"shipment_id": "only", "amount": "1482.00", "last_parcel": true}),
    )
    .await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["captured_total"], "1482.00");
    let seen = shop
        .payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    assert_eq!(seen["captured_amount"], "1482.00");
    let pi = psp_intent(&shop, seen["provider_reference"].as_str().unwrap()).await;
    assert_eq!(pi["status"], "succeeded", "the rest is released at the PSP");
    assert_eq!(pi["amount_capturable"], 0);
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured", "{order}");
    assert_eq!(order["amount_due"], "0.00", "the rest is not owed");
    // Nothing left to ship against.
    let (status, _) = ship(&shop, "ORD-10042", json!({"shipment_id": "late"})).await;
    assert_eq!(status, 409);

    let text = invoice_text(&shop).await;
    assert!(text.contains("Non facturé"), "{text}");
    assert!(
        text.contains(&format!("Total TTC: {}", fr(148_200))),
        "{text}"
    );
}

#[tokio::test]
async fn an_authorisation_the_psp_cancels_by_itself_is_renewed_before_the_shipment() {
    let shop = shop().await;
    let (token, payment) = paid_with(&shop, "4242424242424242").await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    let pi = order["payments"][0]["provider_reference"]
        .as_str()
        .unwrap()
        .to_string();
    // Stripe cancels an authorisation left uncaptured for 7 days.
    let reply = shop
        .http
        .post(format!(
            "{}/sandbox-psp/_expire_authorisation/{pi}",
            shop.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    // The webhook takes the lapsed-authorisation path: renewed on the saved card.
    let mut renewed = Value::Null;
    for _ in 0..100 {
        let order = shop.get("/v1/orders/ORD-10042", &token).await;
        if order["payments"].as_array().unwrap().len() == 2 {
            renewed = order;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(renewed["status"], "authorised", "{renewed}");
    assert_eq!(renewed["amount_due"], "0.00");
    let old = &renewed["payments"][0];
    assert_eq!(
        (old["id"].as_str(), old["status"].as_str()),
        (Some(payment.as_str()), Some("cancelled"))
    );
    assert_eq!(renewed["payments"][1]["status"], "authorised");
    // The shipment captures from the renewal.
    let (status, captured) = ship(&shop, "ORD-10042", json!({"shipment_id": "box"})).await;
    assert_eq!(status, 202, "{captured}");
    assert_eq!(captured["payment_id"], renewed["payments"][1]["id"]);
    assert_eq!(captured["captured_total"], "2922.00");
}

#[tokio::test]
async fn a_card_without_multicapture_captures_its_part_and_renews_the_rest() {
    let shop = shop().await;
    let (token, payment) = paid_with(&shop, "4000009900000004").await;
    let (status, first) = ship(
        &shop,
        "ORD-10042",
        json!({"shipment_id": "p1", "amount": "1000.00"}),
    )
    .await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["captured"], "1000.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    let payments = order["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 2, "{order}");
    let old = payments
        .iter()
        .find(|p| p["id"] == payment.as_str())
        .unwrap();
    assert_eq!(old["status"], "captured");
    assert_eq!(old["captured_amount"], "1000.00", "never captured in full");
    let pi = psp_intent(&shop, old["provider_reference"].as_str().unwrap()).await;
    assert_eq!(pi["amount_received"], 100_000);
    let renewal = payments
        .iter()
        .find(|p| p["id"] != payment.as_str())
        .unwrap();
    assert_eq!(
        (renewal["status"].as_str(), renewal["amount"].as_str()),
        (Some("authorised"), Some("1922.00"))
    );
    assert_eq!(order["status"], "partially_captured");
    assert_eq!(order["amount_due"], "0.00");
    // The same shipment again: the same answer, nothing captured twice.
    let (status, again) = ship(
        &shop,
        "ORD-10042",
        json!({"shipment_id": "p1", "amount": "1000.00"}),
    )
    .await;
    assert_eq!((status, &again), (202, &first));
    // The rest ships from the renewal; one invoice for the whole order.
    let (status, rest) = ship(&shop, "ORD-10042", json!({"shipment_id": "p2"})).await;
    assert_eq!(status, 202, "{rest}");
    assert_eq!(rest["payment_id"], renewal["id"]);
    let text = invoice_text(&shop).await;
    assert!(
        text.contains(&format!("Total TTC: {}", fr(292_200))),
        "{text}"
    );
    assert!(!text.contains("Non facturé"), "{text}");
}

#[tokio::test]
async fn three_failed_challenges_fail_the_attempt_and_free_the_order() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start("ORD-10042", &token, "pay-1", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 201, "{started}");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    let challenge = shop
        .pay(
            started["next_action"]["url"].as_str().unwrap(),
            "4000 0027 6000 3184",
        )
        .await
        .expect("3DS challenge");
    let challenge = shop.absolute(&challenge);
    for _ in 0..3 {
        shop.answer_3ds(&challenge, "000000").await;
    }
    let failed = shop
        .payment_reaches("ORD-10042", &payment, &token, "failed")
        .await;
    assert_eq!(
        failed["failure_reason"], "authentication_failed",
        "{failed}"
    );
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "awaiting_payment", "{order}");
    // The failed attempt's page is closed at the PSP.
    let session = psp_session(&shop, &payment).await;
    assert_eq!(session["status"], "expired", "{session}");
    // Paid again with another card.
    let (status, again) = shop
        .start("ORD-10042", &token, "pay-2", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 201, "{again}");
    pay_with_3ds(&shop, again["next_action"]["url"].as_str().unwrap()).await;
    let second = again["payment"]["id"].as_str().unwrap();
    shop.payment_reaches("ORD-10042", second, &token, "authorised")
        .await;
}

/// The Checkout Session of our payment, found through the sandbox's events.
async fn psp_session(shop: &Shop, payment: &str) -> Value {
    let events = shop.sandbox_events().await;
    let session = events
        .iter()
        .filter_map(|e| e["data"]["object"].as_object())
        .find(|o| o["object"] == "checkout.session" && o["metadata"]["payment_id"] == payment)
        .map(|o| o["id"].as_str().unwrap().to_string())
        .expect("a session event");
    shop.http
        .get(format!(
            "{}/sandbox-psp/v1/checkout/sessions/{session}",
            shop.base
        ))
        .bearer_auth(SANDBOX_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_invoice_keeps_the_billing_details_the_order_was_paid_with() {
    let shop = shop().await;
    paid_with(&shop, "4242424242424242").await;
    // Then the customer's billing details on file change (another order paid with new ones).
    let id = customer_id("jeanne.martin@example.fr");
    let profile = shop.store.get_customer(&id).await.unwrap().unwrap();
    let mut changed = profile.value.clone();
    let billing = changed.billing.as_mut().unwrap();
    billing.name = "Nouveau Nom".into();
    billing.company = Some("Nouvelle Société".into());
    shop.store
        .transact(vec![Write::PutCustomer {
            customer: changed,
            expected_version: Some(profile.version),
        }])
        .await
        .unwrap();
    let (status, _) = ship(&shop, "ORD-10042", json!({"shipment_id": "all"})).await;
    assert_eq!(status, 202);
    let text = invoice_text(&shop).await;
    assert!(text.contains("Atelier Martin"), "{text}");
    assert!(!text.contains("Nouvelle Société"), "{text}");
    // The order itself was never touched by the profile change.
    let reference = Reference::parse("ORD-10042").unwrap();
    let order = shop
        .store
        .get_order_with_payments(&reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        order.payments[0].value.billing.as_ref().unwrap().name,
        "Jeanne Martin"
    );
}

#[tokio::test]
async fn a_refund_after_the_invoice_gets_a_credit_note_referencing_it() {
    let shop = shop().await;
    paid_with(&shop, "4242424242424242").await;
    let (status, _) = ship(&shop, "ORD-10042", json!({"shipment_id": "all"})).await;
    assert_eq!(status, 202);
    let invoice = invoice_text(&shop).await;
    let number = invoice
        .split_whitespace()
        .find(|w| w.starts_with("F-"))
        .unwrap()
        .to_string();
    let (status, refunded) = refund(&shop, "ORD-10042", "r-after", "120.00").await;
    assert_eq!(status, 201, "{refunded}");
    let all = emailed(&shop, "Remboursement effectué", 1).await;
    let email = all
        .iter()
        .find(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("Remboursement effectué")
        })
        .unwrap();
    let text = email["text"].as_str().unwrap();
    assert!(text.contains("Avoir A-"), "{text}");
    assert!(
        text.contains(&format!("Avoir sur la facture {number}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("Total TTC: {}", fr(12_000))),
        "{text}"
    );
    assert!(
        !text.contains("Livraison"),
        "a credit note lists no shipping: {text}"
    );
}
