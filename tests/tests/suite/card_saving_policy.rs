//! The seller's card-saving policy over real HTTP (devserver app on moto, sandbox PSP): the
//! checkout is told whether to offer "save this card", and a request to save one where the shop
//! does not keep cards is refused, nothing written.

use encaisse::domain::card_saving::CardSavingPolicy;
use integration::shop::{first_order_body, shop, shop_configured};

#[tokio::test]
async fn a_shop_that_keeps_no_cards_says_so_and_refuses_to_save_one() {
    let shop = shop_configured(true, Default::default(), CardSavingPolicy::NotOffered).await;
    let token = shop.token("ORD-10042", "83000").await;
    let billing = shop.get("/v1/orders/ORD-10042/billing", &token).await;
    assert_eq!(billing["save_card_offered"], false);

    let mut body = first_order_body(&shop.base);
    body["save_card"] = true.into();
    let (status, refused) = shop.start("ORD-10042", &token, "pay-1", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("save_card")),
        "{refused}"
    );
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"], serde_json::json!([]), "nothing written");

    body["save_card"] = false.into();
    let (status, started) = shop.start("ORD-10042", &token, "pay-2", &body).await;
    assert_eq!(status, 201, "{started}");
}

#[tokio::test]
async fn by_default_the_checkout_offers_it() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let billing = shop.get("/v1/orders/ORD-10042/billing", &token).await;
    assert_eq!(billing["save_card_offered"], true);
    // The sandbox serves the page where a saved card's security code is typed again.
    assert_eq!(billing["saved_cards_payable"], true);
}
