//! Starting payments under concurrency and across orders: one PSP call per Idempotency-Key,
//! and billing details given once, reused for the customer's next order.

use integration::shop::{first_order_body, shop};
use serde_json::json;

#[tokio::test]
async fn concurrent_duplicates_make_one_psp_call() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "jeanne.martin@example.fr".into();
    // A slow PSP keeps the first request in flight while the duplicates arrive.
    let faults = shop
        .http
        .post(format!("{}/sandbox-psp/_faults", shop.base))
        .json(&json!({"latency_ms": 400}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (shop, token, body) = (shop.clone(), token.clone(), body.clone());
            tokio::spawn(async move { shop.start("ORD-10042", &token, "same-key", &body).await })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        let (status, reply) = task.await.unwrap();
        match status {
            201 => created.push(reply),
            409 => assert_eq!(
                reply["type"],
                "https://encaisse.dev/problems/request-in-progress"
            ),
            other => panic!("{other}: {reply}"),
        }
    }
    assert_eq!(created.len(), 1, "only the first request reached the PSP");
    // Once done, the duplicates get the first answer.
    let (status, replay) = shop.start("ORD-10042", &token, "same-key", &body).await;
    assert_eq!((status, &replay), (201, &created[0]));
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn billing_details_given_once_serve_the_next_order() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "jeanne.martin@example.fr".into();
    let (status, _) = shop.start("ORD-10042", &token, "first", &body).await;
    assert_eq!(status, 201);

    // A second quote for the same customer, paid without billing details.
    let (status, order) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &json!({
                "reference": "ORD-20001",
                "customer": {"email": "Jeanne.Martin@example.fr", "name": "Jeanne Martin"},
                "currency": "EUR",
                "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": "14.50", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "6.90", "tax_rate": "20",
                             "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                         "city": "Toulon", "country": "FR"}}
            }),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let token = shop.token("ORD-20001", "83000").await;
    let mut without_billing = body.clone();
    without_billing.as_object_mut().unwrap().remove("billing");
    let (status, started) = shop
        .start("ORD-20001", &token, "second", &without_billing)
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["amount"], "25.68");
}
