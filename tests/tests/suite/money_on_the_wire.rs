//! Each PSP's own rules for amounts on the wire, against moto and the sandbox PSP over HTTP:
//! Stripe takes ISK as two-decimal (5 ISK is `500`) though ISO gives it no decimals, so an ISK
//! order was charged a hundredth of its price; orders the PSP cannot charge (below its
//! minimum, above its eight digits, three-decimal amounts not ending in 0) are refused at
//! creation with a 422 naming the field.

use integration::journey::psp_intent;
use integration::shop::{shop, Shop};
use serde_json::{json, Value};

fn quote(reference: &str, currency: &str, unit_price: &str, shipping: &str) -> Value {
    json!({
        "reference": reference,
        "customer": {"email": "sigrun@example.is", "name": "Sigrún Jónsdóttir", "locale": "en"},
        "currency": currency,
        "lines": [{"sku": "LAMP-1", "description": "Lamp", "quantity": 1, "unit_price": unit_price, "tax_rate": "0"}],
        "shipping": {"method": "carrier", "amount": shipping, "tax_rate": "0",
                     "address": {"name": "Sigrún Jónsdóttir", "line1": "Laugavegur 1", "postcode": "101",
                                 "city": "Reykjavík", "country": "IS"}}
    })
}

async fn create(shop: &Shop, body: &Value) -> (u16, Value) {
    shop.admin_post("/v1/admin/orders", None, body).await
}

#[tokio::test]
async fn an_isk_order_is_charged_its_price_not_a_hundredth_of_it() {
    let shop = shop().await;
    let (status, order) = create(&shop, &quote("ORD-40001", "ISK", "14900", "1000")).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["totals"]["gross"], "15900");
    let (token, payment) = shop
        .authorised_order("ORD-40001", "101", "sigrun@example.is")
        .await;
    let seen = shop
        .get(&format!("/v1/orders/ORD-40001/payments/{payment}"), &token)
        .await;
    assert_eq!(
        (seen["amount"].as_str(), seen["currency"].as_str()),
        (Some("15900"), Some("ISK"))
    );
    let intent = psp_intent(&shop, seen["provider_reference"].as_str().unwrap()).await;
    assert_eq!(
        (intent["amount"].as_i64(), intent["currency"].as_str()),
        (Some(1_590_000), Some("isk")),
        "Stripe reads ISK amounts as two-decimal: 15,900 ISK is 1590000"
    );
}

#[tokio::test]
async fn orders_the_psp_cannot_charge_are_refused_at_creation_naming_the_field() {
    let shop = shop().await;
    let refused = [
        // Below Stripe's minimum charge (0.50 EUR).
        quote("ORD-40002", "EUR", "0.20", "0.20"),
        // Above its eight digits (999,999.99 EUR).
        quote("ORD-40003", "EUR", "999999.00", "1.00"),
        // Three decimals whose last digit is not 0.
        quote("ORD-40004", "KWD", "5.124", "1.000"),
    ];
    for body in &refused {
        let (status, problem) = create(&shop, body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["field"], "lines", "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("the order total"),
            "{problem}"
        );
    }
    // Nothing was written: the references are still free.
    for reference in ["ORD-40002", "ORD-40003", "ORD-40004"] {
        let reply = shop
            .http
            .get(format!("{}/v1/admin/orders/{reference}", shop.base))
            .bearer_auth("admin")
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 404);
    }
    // At the limits, accepted.
    for body in [
        quote("ORD-40005", "EUR", "0.30", "0.20"),
        quote("ORD-40006", "KWD", "5.120", "1.000"),
    ] {
        let (status, created) = create(&shop, &body).await;
        assert_eq!(status, 201, "{created}");
    }
}
