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

/// Moves a seeded order in the store (what the back office cannot do: an expiry in the past).
async fn edit_order(
    shop: &integration::shop::Shop,
    reference: &str,
    edit: impl FnOnce(&mut encaisse::domain::Order),
) {
    let reference = encaisse::domain::Reference::parse(reference).unwrap();
    let stored = shop.store.get_order(&reference).await.unwrap().unwrap();
    let mut order = stored.value;
    edit(&mut order);
    shop.store
        .transact(vec![encaisse::ports::Write::UpdateOrder {
            order,
            expected_version: stored.version,
        }])
        .await
        .unwrap();
}

/// A quote past its `expires_at` opened no PSP page and was paid all the same; now 409.
#[tokio::test]
async fn a_quote_past_its_expiry_is_refused_with_409_and_opens_no_page() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    edit_order(&shop, "ORD-10042", |o| {
        o.expires_at = Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
    })
    .await;
    let (status, reply) = shop
        .start("ORD-10042", &token, "late", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["type"], "https://encaisse.dev/problems/order-expired");
    assert!(reply["detail"].as_str().unwrap().contains("expired"));
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert!(order["payments"].as_array().unwrap().is_empty(), "{order}");
    // Still readable: the page says why it cannot be paid.
    assert_eq!(order["status"], "awaiting_payment");
    assert!(order["expires_at"].is_string());
}

/// Each attempt opens a PSP page: an order gets MAX_PAYMENT_ATTEMPTS, then 429.
#[tokio::test]
async fn payment_attempts_per_order_are_capped() {
    use encaisse::app::start_payment::MAX_PAYMENT_ATTEMPTS;
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    edit_order(&shop, "ORD-10042", |o| {
        o.payment_attempts = MAX_PAYMENT_ATTEMPTS - 1;
    })
    .await;
    let body = first_order_body(&shop.base);
    let (status, last) = shop.start("ORD-10042", &token, "last", &body).await;
    assert_eq!(status, 201, "{last}");
    let (status, refused) = shop.start("ORD-10042", &token, "one-more", &body).await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(
        refused["type"],
        "https://encaisse.dev/problems/too-many-payment-attempts"
    );
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"].as_array().unwrap().len(), 1, "{order}");
}

/// The page's expiry was computed when the request arrived and truncated to the second, so a
/// slow PSP received less than Stripe's 30-minute minimum (the sandbox now enforces it exactly)
/// and refused the page. It is computed at the call, with a margin.
#[tokio::test]
async fn a_slow_psp_still_gets_a_page_expiry_above_its_minimum() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let faults = shop
        .http
        .post(format!("{}/sandbox-psp/_faults", shop.base))
        .json(&json!({"latency_ms": 1200}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    // A first order: the PSP customer is created first, then the page.
    let (status, started) = shop
        .start("ORD-10042", &token, "slow", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 201, "{started}");
    let expires = time::OffsetDateTime::parse(
        started["payment"]["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left >= time::Duration::minutes(30) && left <= time::Duration::minutes(32),
        "{left}"
    );
}

/// The back office gives each order its "Pay now" link; the link's pay token opens the order
/// on the lookup without a postcode.
#[tokio::test]
async fn the_pay_link_of_a_new_order_opens_it_without_a_postcode() {
    let shop = shop().await;
    let (status, created) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &json!({
                "customer": {"email": "lea@example.fr", "name": "Léa", "locale": "fr"},
                "currency": "EUR",
                "lines": [{"sku": "X", "description": "X", "quantity": 1, "unit_price": "10.00", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "0.00", "tax_rate": "20",
                             "address": {"name": "Léa", "line1": "1 rue X", "postcode": "69001",
                                         "city": "Lyon", "country": "FR"}}
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap();
    let pay_url = created["pay_url"].as_str().unwrap();
    assert!(
        pay_url.starts_with(&format!("{}/pay?ref={reference}&t=", shop.base)),
        "{pay_url}"
    );
    let token = pay_url.split("&t=").nth(1).unwrap();
    let reply = shop
        .http
        .post(format!("{}/v1/order-lookups", shop.base))
        .json(&json!({"pay_token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["order"]["reference"], reference);
    assert!(body["access_token"].is_string());
    // The admin view gives the same link again.
    let view: serde_json::Value = shop
        .http
        .get(format!("{}/v1/admin/orders/{reference}", shop.base))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["pay_url"], pay_url);
}
