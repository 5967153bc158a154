//! Wallets on the hosted page, as Stripe's test mode offers them: PayPal (authorised, captured
//! later), Alipay (captured at once; no manual capture), Apple Pay and Google Pay on a card
//! session (a card charge with `card.wallet`). Objects checked against Stripe's schemas.

use reqwest::StatusCode;
use serde_json::Value;

use crate::schema_check::Schemas;
use crate::support::*;

async fn pay_wallet(sb: &Sandbox, cs: &Value, choice: &str) -> reqwest::Response {
    sb.submit(cs["url"].as_str().unwrap(), &[("wallet", choice)])
        .await
}

fn check_objects(schemas: &Schemas, cs: &Value, pi: &Value) {
    schemas.assert_valid("checkout.session", cs);
    schemas.assert_valid("payment_intent", pi);
}

#[tokio::test]
async fn paypal_is_authorised_for_a_later_capture_and_can_fail() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let cs = sb.session(&[("payment_method_types[0]", "paypal")]).await;
    assert_eq!(cs["payment_method_types"], serde_json::json!(["paypal"]));
    let (s, page) = sb.page(cs["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Pay 125.00 EUR with PayPal") && page.contains("Authorize test payment"));
    assert!(!page.contains("cc-number"), "no card form");

    // A card typed anyway is refused: the page shows the wallet again.
    let typed = sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    assert_eq!(typed.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let failed = pay_wallet(&sb, &cs, "fail").await;
    assert_eq!(failed.status(), StatusCode::OK);
    assert!(failed.text().await.unwrap().contains("role=\"alert\""));
    let paid = pay_wallet(&sb, &cs, "authorize").await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    let (cs, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    check_objects(&schemas, &cs, &pi);
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["payment_method_types"], serde_json::json!(["paypal"]));
    let (_, charge) = sb
        .get(&format!(
            "/v1/payment_intents/{}?expand[]=latest_charge",
            pi["id"].as_str().unwrap()
        ))
        .await;
    let charge = &charge["latest_charge"];
    schemas.assert_valid("charge", charge);
    assert_eq!(charge["payment_method_details"]["type"], "paypal");
    assert_eq!(
        charge["payment_method_details"]["paypal"]["payer_id"],
        "SANDBOXPAYER1"
    );
    let (_, pm) = sb
        .get(&format!(
            "/v1/payment_methods/{}",
            pi["payment_method"].as_str().unwrap()
        ))
        .await;
    if pm.get("error").is_none() {
        schemas.assert_valid("payment_method", &pm);
    }
}

#[tokio::test]
async fn alipay_is_captured_at_once_and_refuses_a_manual_capture() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let mut form = vec![
        ("mode", "payment"),
        ("success_url", "https://shop.example/done"),
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][price_data][unit_amount]", "12500"),
        (
            "line_items[0][price_data][product_data][name]",
            "Order ORD-10042",
        ),
        ("line_items[0][quantity]", "1"),
        ("payment_method_types[0]", "alipay"),
        ("payment_intent_data[capture_method]", "manual"),
    ];
    let (s, err) = sb.post("/v1/checkout/sessions", &form).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["param"], "payment_intent_data[capture_method]");
    form.pop();
    form.push(("payment_intent_data[capture_method]", "automatic"));
    let (s, cs) = sb.post("/v1/checkout/sessions", &form).await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    assert_eq!(
        pay_wallet(&sb, &cs, "authorize").await.status(),
        StatusCode::SEE_OTHER
    );
    let (cs, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    check_objects(&schemas, &cs, &pi);
    assert_eq!(
        (pi["status"].as_str(), pi["amount_received"].as_i64()),
        (Some("succeeded"), Some(12500))
    );
}

#[tokio::test]
async fn apple_pay_and_google_pay_are_card_charges_through_the_wallet() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    for wallet in ["apple_pay", "google_pay"] {
        let cs = sb.session(&[]).await;
        let (_, page) = sb.page(cs["url"].as_str().unwrap()).await;
        assert!(page.contains("Apple Pay (test)") && page.contains("Google Pay (test)"));
        assert_eq!(
            pay_wallet(&sb, &cs, wallet).await.status(),
            StatusCode::SEE_OTHER
        );
        let (cs, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
        check_objects(&schemas, &cs, &pi);
        assert_eq!(pi["status"], "requires_capture");
        let (_, expanded) = sb
            .get(&format!(
                "/v1/payment_intents/{}?expand[]=latest_charge",
                pi["id"].as_str().unwrap()
            ))
            .await;
        let card = &expanded["latest_charge"]["payment_method_details"]["card"];
        schemas.assert_valid("charge", &expanded["latest_charge"]);
        assert_eq!(card["wallet"]["type"], wallet);
    }
}
