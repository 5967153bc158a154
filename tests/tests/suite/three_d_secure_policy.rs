//! The seller's 3-D Secure policy over real HTTP (devserver app on moto, sandbox PSP): asked
//! for on every page when the policy says so, so even a card that needs none is challenged;
//! left to the PSP otherwise.

use encaisse::domain::three_d_secure::ThreeDSecurePolicy;
use integration::shop::{first_order_body, shop_with, Shop};

/// Starts paying ORD-10042 and pays with 4242; where the PSP's page sends the shopper.
async fn pay_with_a_frictionless_card(shop: &Shop) -> (String, String, String) {
    let token = shop.token("ORD-10042", "83000").await;
    let (status, started) = shop
        .start("ORD-10042", &token, "pay-1", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 201, "{started}");
    let page = started["next_action"]["url"].as_str().unwrap().to_string();
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    let next = shop
        .pay(&page, "4242 4242 4242 4242")
        .await
        .expect("redirect");
    (token, payment, next)
}

#[tokio::test]
async fn always_challenges_even_a_card_that_needs_no_authentication() {
    let shop = shop_with(true, ThreeDSecurePolicy::Always).await;
    let (token, payment, next) = pay_with_a_frictionless_card(&shop).await;
    assert!(next.starts_with("/sandbox-psp/3ds/pi_"), "{next}");
    let challenge = shop.absolute(&next);
    let code = shop.three_ds_code(&challenge).await;
    assert!(shop.answer_3ds(&challenge, &code).await.is_some());
    shop.payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
}

#[tokio::test]
async fn an_event_far_away_leaves_it_to_the_psp() {
    // The demo order has no event date: nothing to protect, the card goes through at once.
    let shop = shop_with(true, ThreeDSecurePolicy::EventWithinDays(7)).await;
    let (token, payment, next) = pay_with_a_frictionless_card(&shop).await;
    assert!(next.contains("/return?reference=ORD-10042"), "{next}");
    shop.payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
}

#[tokio::test]
async fn an_event_within_the_window_asks_for_it() {
    let shop = shop_with(true, ThreeDSecurePolicy::EventWithinDays(7)).await;
    // A quote for an event in 3 days (Paris calendar): 3-D Secure is asked for.
    let event = (time::OffsetDateTime::now_utc() + time::Duration::days(3)).date();
    let (status, order) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &serde_json::json!({
                "reference": "ORD-20001",
                "customer": {"email": "jeanne.martin@example.fr", "name": "Jeanne Martin"},
                "currency": "EUR",
                "lines": [{"sku": "TKT-1", "description": "Billet", "quantity": 1,
                           "unit_price": "45.00", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "0.00", "tax_rate": "20",
                             "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus",
                                         "postcode": "83000", "city": "Toulon", "country": "FR"}},
                "event_date": event.to_string(),
            }),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let token = shop.token("ORD-20001", "83000").await;
    let (status, started) = shop
        .start("ORD-20001", &token, "pay-1", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 201, "{started}");
    let page = started["next_action"]["url"].as_str().unwrap();
    let next = shop
        .pay(page, "4242 4242 4242 4242")
        .await
        .expect("redirect");
    assert!(next.starts_with("/sandbox-psp/3ds/pi_"), "{next}");
}
