//! Disputes (chargebacks and inquiries) over real HTTP: the devserver app on moto, the sandbox
//! PSP disputing a dispute test card's charge once captured and delivering `charge.dispute.*`
//! webhooks; the order records the dispute, shows what is withheld, the seller is emailed, and
//! the outcome (won, lost, escalated) follows.

use integration::journey::{count, emailed, ship, SANDBOX_KEY};
use integration::shop::{first_order_body, shop, Shop};
use serde_json::{json, Value};

const SELLER: &str = "seller@atelier-demo.example";

/// Pays `reference` with `card` on the hosted page and ships it whole (the capture is what the
/// dispute test cards wait for).
async fn paid_and_shipped(shop: &Shop, reference: &str, postcode: &str, card: &str) -> String {
    let token = shop.token(reference, postcode).await;
    let body = first_order_body(&shop.base);
    let (status, started) = shop.start(reference, &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    let page = started["next_action"]["url"].as_str().unwrap().to_string();
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    shop.pay(&page, card).await.expect("redirect back");
    shop.payment_reaches(reference, &payment, &token, "authorised")
        .await;
    let (status, shipped) = ship(shop, reference, json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(status, 202, "{shipped}");
    token
}

/// Waits until the order's first payment's dispute reaches `status`; returns the order.
async fn dispute_reaches(shop: &Shop, reference: &str, token: &str, status: &str) -> Value {
    for _ in 0..100 {
        let order = shop.get(&format!("/v1/orders/{reference}"), token).await;
        if order["payments"][0]["dispute"]["status"] == status {
            return order;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "dispute never became {status}: {}",
        shop.get(&format!("/v1/orders/{reference}"), token).await
    );
}

/// The sandbox's dispute of a PaymentIntent, as the seller's dashboard would show it.
async fn psp_dispute(shop: &Shop, payment_intent: &str) -> Value {
    let listed: Value = shop
        .http
        .get(format!("{}/sandbox-psp/v1/disputes", shop.base))
        .query(&[("payment_intent", payment_intent)])
        .bearer_auth(SANDBOX_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["data"][0].clone()
}

/// The seller answers at the PSP (`/close` to accept, or evidence).
async fn answer(shop: &Shop, dispute: &str, path: &str, form: &[(&str, &str)]) -> Value {
    let reply = shop
        .http
        .post(format!(
            "{}/sandbox-psp/v1/disputes/{dispute}{path}",
            shop.base
        ))
        .bearer_auth(SANDBOX_KEY)
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

fn to_seller(emails: &[Value], subject_start: &str) -> Vec<Value> {
    emails
        .iter()
        .filter(|e| e["subject"].as_str().unwrap().starts_with(subject_start))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_chargeback_is_recorded_withheld_emailed_to_the_seller_and_followed_until_lost() {
    let shop = shop().await;
    let token = paid_and_shipped(&shop, "ORD-10042", "83000", "4000 0000 0000 0259").await;

    let order = dispute_reaches(&shop, "ORD-10042", &token, "needs_response").await;
    assert_eq!(order["status"], "disputed", "{order}");
    assert_eq!(order["amounts"]["captured"], "2922.00");
    assert_eq!(order["amounts"]["disputed"], "2922.00");
    assert_eq!(
        order["amount_due"], "0.00",
        "a chargeback is not a new debt"
    );
    let payment = &order["payments"][0];
    assert_eq!(payment["status"], "captured");
    let dispute = &payment["dispute"];
    assert_eq!(dispute["kind"], "chargeback");
    assert_eq!(dispute["reason"], "fraudulent");
    assert_eq!(dispute["amount"], "2922.00");
    assert_eq!(dispute["withdrawn"], "2922.00");
    assert!(dispute["respond_by"].is_string(), "{dispute}");

    let all = emailed(&shop, "Litige ouvert", 1).await;
    let opened = to_seller(&all, "Litige ouvert");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["to"], SELLER);
    let text = opened[0]["text"].as_str().unwrap();
    assert!(text.contains("ORD-10042") && text.contains("2\u{202f}922,00\u{a0}€"));
    assert!(text.contains("paiement frauduleux"), "{text}");
    assert!(!text.contains("dp_") && !text.contains("pi_"), "no PSP ids");

    // The bank holds the money: the seller cannot refund it meanwhile.
    let (status, problem) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("refund-1"),
            &json!({"amount": "100.00"}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(
        problem["type"],
        "https://encaisse.dev/problems/payment-disputed"
    );

    // The seller accepts the dispute at the PSP: lost, and the order says so.
    let pi = payment["provider_reference"].as_str().unwrap();
    let at_psp = psp_dispute(&shop, pi).await;
    let closed = answer(&shop, at_psp["id"].as_str().unwrap(), "/close", &[]).await;
    assert_eq!(closed["status"], "lost");
    let order = dispute_reaches(&shop, "ORD-10042", &token, "lost").await;
    assert_eq!(order["status"], "disputed");
    assert_eq!(order["amounts"]["disputed"], "2922.00");
    assert_eq!(order["payments"][0]["dispute"]["respond_by"], Value::Null);

    let all = emailed(&shop, "Litige perdu", 1).await;
    assert_eq!(to_seller(&all, "Litige perdu")[0]["to"], SELLER);
    assert_eq!(count(&all, "Litige ouvert"), 1, "opened once");
    // The dispute never re-announces the payment to the shopper.
    assert_eq!(count(&all, "Paiement reçu"), 1);
    assert_eq!(count(&all, "Votre carte a été débitée"), 1);
}

#[tokio::test]
async fn a_won_chargeback_gives_the_money_and_the_status_back() {
    let shop = shop().await;
    let token = paid_and_shipped(&shop, "ORD-10042", "83000", "4000 0000 0000 2685").await;
    let order = dispute_reaches(&shop, "ORD-10042", &token, "needs_response").await;
    assert_eq!(
        order["payments"][0]["dispute"]["reason"],
        "product_not_received"
    );
    let pi = order["payments"][0]["provider_reference"].as_str().unwrap();
    let at_psp = psp_dispute(&shop, pi).await;

    // Stripe's test evidence that wins.
    let decided = answer(
        &shop,
        at_psp["id"].as_str().unwrap(),
        "",
        &[
            ("evidence[uncategorized_text]", "winning_evidence"),
            ("evidence[shipping_tracking_number]", "6A12345678901"),
        ],
    )
    .await;
    assert_eq!(decided["status"], "won");
    let order = dispute_reaches(&shop, "ORD-10042", &token, "won").await;
    assert_eq!(order["status"], "captured", "{order}");
    assert_eq!(order["amounts"]["disputed"], "0.00");
    assert_eq!(order["payments"][0]["dispute"]["withdrawn"], "0.00");

    let all = emailed(&shop, "Litige gagné", 1).await;
    assert_eq!(count(&all, "Litige ouvert"), 1);
    // Won: nothing re-announced, no second invoice; refunds are possible again.
    emailed(&shop, "Votre facture", 1).await;
    let all = shop.emails().await;
    assert_eq!(count(&all, "Paiement reçu"), 1);
    assert_eq!(count(&all, "Votre facture"), 1);
    let (status, refund) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("refund-after-win"),
            &json!({"amount": "100.00"}),
        )
        .await;
    assert_eq!(status, 201, "{refund}");
}

#[tokio::test]
async fn an_inquiry_withholds_nothing_and_can_become_a_chargeback() {
    let shop = shop().await;
    let token = paid_and_shipped(&shop, "ORD-10042", "83000", "4000 0000 0000 1976").await;
    let order = dispute_reaches(&shop, "ORD-10042", &token, "needs_response").await;
    assert_eq!(order["status"], "disputed");
    assert_eq!(order["payments"][0]["dispute"]["kind"], "inquiry");
    assert_eq!(
        order["amounts"]["disputed"], "0.00",
        "an inquiry withholds nothing"
    );
    let all = emailed(&shop, "Demande d'information", 1).await;
    assert_eq!(to_seller(&all, "Demande d'information")[0]["to"], SELLER);

    // An answer that does not satisfy the bank: the inquiry becomes a chargeback.
    let pi = order["payments"][0]["provider_reference"].as_str().unwrap();
    let at_psp = psp_dispute(&shop, pi).await;
    let escalated = answer(
        &shop,
        at_psp["id"].as_str().unwrap(),
        "",
        &[("evidence[uncategorized_text]", "losing_evidence")],
    )
    .await;
    assert_eq!(escalated["status"], "needs_response");
    for _ in 0..100 {
        let order = shop.get("/v1/orders/ORD-10042", &token).await;
        if order["payments"][0]["dispute"]["kind"] == "chargeback" {
            assert_eq!(order["amounts"]["disputed"], "2922.00");
            assert_eq!(order["status"], "disputed");
            let all = emailed(&shop, "Litige ouvert", 1).await;
            assert_eq!(count(&all, "Demande d'information"), 1);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the inquiry never became a chargeback");
}
