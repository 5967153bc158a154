//! The web channel's payment modes (`WEB_PAYMENT_MODES`), over HTTP against moto: the
//! billing route lists only the modes configured, under the seller's public names, and drops
//! what is not (transfer instructions, wallets, instalment plans); the checkout refuses a
//! method or a tender the channel has no mode for, naming the field, and writes nothing.

use encaisse::domain::payment_modes::ChannelModes;
use integration::shop::{body_with, shop_with_modes};
use serde_json::json;

const MODES: &str = r#"[
    {"code": "CBWEB", "type": "card", "internal_name": "FR * CB WEB",
     "public_name": {"fr": "Carte bancaire ou Visa", "en": "Card or Visa"}},
    {"code": "CHQ", "type": "cheque", "internal_name": "Chèques reçus",
     "public_name": {"fr": "Chèque à l'ordre du vendeur", "en": "Cheque"}},
    {"code": "BONWEB", "type": "voucher", "internal_name": "Bons web",
     "public_name": {"fr": "Bon cadeau", "en": "Gift voucher"}}
]"#;

#[tokio::test]
async fn the_checkout_offers_and_takes_only_the_modes_of_the_web_channel() {
    let shop = shop_with_modes(ChannelModes::parse(MODES).unwrap()).await;
    let token = shop.token("ORD-10042", "83000").await;

    let offer = shop.get("/v1/orders/ORD-10042/billing", &token).await;
    assert_eq!(
        offer["payment_modes"],
        json!([
            {"code": "CBWEB", "type": "card",
             "name": {"fr": "Carte bancaire ou Visa", "en": "Card or Visa"}},
            {"code": "CHQ", "type": "cheque",
             "name": {"fr": "Chèque à l'ordre du vendeur", "en": "Cheque"}},
            {"code": "BONWEB", "type": "voucher",
             "name": {"fr": "Bon cadeau", "en": "Gift voucher"}}
        ]),
        "{offer}"
    );
    // The internal names stay with the seller's staff.
    assert!(!offer.to_string().contains("FR * CB WEB"), "{offer}");
    let offline: Vec<&str> = offer["offline_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        offline,
        ["cheque"],
        "the shop takes transfers, not on the web"
    );
    assert_eq!(offer["wallets_offered"], json!([]));
    assert_eq!(offer["instalment_plans"], json!([]));
    assert_eq!(offer["saved_cards_payable"], false);

    let refusals = [
        (json!({"method": "bank_transfer"}), "method"),
        (json!({"method": "instalments", "instalments": 3}), "method"),
        (json!({"method": "wallet", "wallet": "paypal"}), "method"),
        (
            json!({"method": "card", "promo_code": "BIENVENUE10"}),
            "promo_code",
        ),
        (
            json!({"method": "card", "use_credit_balance": true}),
            "use_credit_balance",
        ),
    ];
    for (i, (extra, field)) in refusals.into_iter().enumerate() {
        let body = body_with(&shop, extra.clone());
        let (status, problem) = shop
            .start("ORD-10042", &token, &format!("refused-{i}"), &body)
            .await;
        assert_eq!(status, 422, "{extra}: {problem}");
        assert_eq!(problem["field"], field, "{extra}: {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("offers card, cheque, voucher"),
            "{problem}"
        );
    }
    // Nothing was written: the order was never tried.
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"], json!([]), "{order}");
    assert_eq!(order["status"], "awaiting_payment");

    // What the channel has is taken: a cheque.
    let body = body_with(&shop, json!({"method": "cheque"}));
    let (status, started) = shop.start("ORD-10042", &token, "cheque-1", &body).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["next_action"]["type"], "cheque");
}
