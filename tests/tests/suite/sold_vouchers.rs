//! Gift vouchers sold as an order line, over HTTP against moto and the sandbox PSP: the
//! seller's quote sells two vouchers; paid by card, nothing waits for a carrier, so the card
//! is taken at once; the order's invoice is due, and each voucher is created and its code
//! emailed once; a code then pays part of another order. A voucher line with VAT is refused.

use integration::journey::emailed;
use integration::shop::{first_order_body, shop};
use serde_json::{json, Value};

const JEANNE: &str = "jeanne.martin@example.fr";

fn quote(reference: &str, lines: Value) -> Value {
    json!({
        "reference": reference,
        "customer": {"email": JEANNE, "name": "Jeanne Martin"},
        "currency": "EUR",
        "lines": lines,
        "shipping": {"method": "email", "amount": "0", "tax_rate": "0",
                     "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus",
                                 "postcode": "83000", "city": "Toulon", "country": "FR"}}
    })
}

#[tokio::test]
async fn vouchers_sold_as_a_line_are_issued_and_emailed_once_the_order_is_captured() {
    let shop = shop().await;
    // A voucher is outside the scope of VAT when sold: a rate is refused, naming the field.
    let (status, problem) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &quote(
                "ORD-30000",
                json!([{"sku": "BON-50", "description": "Bon cadeau 50 €", "quantity": 1,
                        "unit_price": "50.00", "tax_rate": "20", "kind": "voucher"}]),
            ),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["field"], "lines[0].tax_rate", "{problem}");

    let (status, created) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &quote(
                "ORD-30001",
                json!([{"sku": "BON-50", "description": "Bon cadeau 50 €", "quantity": 2,
                        "unit_price": "50.00", "tax_rate": "0", "kind": "voucher"}]),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["totals"]["gross"], "100.00");

    let (token, payment) = {
        let token = shop.token("ORD-30001", "83000").await;
        let mut body = first_order_body(&shop.base);
        body["save_card"] = false.into();
        let (status, started) = shop.start("ORD-30001", &token, "pay-1", &body).await;
        assert_eq!(status, 201, "{started}");
        let page = started["next_action"]["url"].as_str().unwrap().to_string();
        shop.pay(&page, "4242424242424242").await.expect("back");
        (
            token,
            started["payment"]["id"].as_str().unwrap().to_string(),
        )
    };
    // Nothing to ship: taken at once.
    let paid = shop
        .payment_reaches("ORD-30001", &payment, &token, "captured")
        .await;
    assert_eq!(paid["captured_amount"], "100.00", "{paid}");

    let emails = emailed(&shop, "Vos bons d'achat – commande ORD-30001", 1).await;
    let email = emails
        .iter()
        .find(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("Vos bons d'achat")
        })
        .unwrap();
    let text = email["text"].as_str().unwrap();
    let codes: Vec<String> = text
        .lines()
        .filter(|l| l.contains("valable jusqu'au"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 2, "{text}");
    assert_ne!(codes[0], codes[1]);
    assert!(text.contains("50,00"), "{text}");
    // The invoice was issued too; the voucher email went once.
    emailed(&shop, "Votre facture", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let again = shop.emails().await;
    let sent = again
        .iter()
        .filter(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("Vos bons d'achat")
        })
        .count();
    assert_eq!(sent, 1);

    // A code pays 50.00 of another order (ORD-10043: 121.90).
    let other = shop.token("ORD-10043", "75011").await;
    let mut body = first_order_body(&shop.base);
    body["save_card"] = false.into();
    body["billing"]["email"] = "paul.durand@example.fr".into();
    body["voucher_codes"] = json!([codes[0]]);
    let (status, started) = shop.start("ORD-10043", &other, "with-voucher", &body).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["tenders"][0]["amount"], "50.00", "{started}");
    assert_eq!(started["tenders"][0]["method"], "voucher", "{started}");
}
