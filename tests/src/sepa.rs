//! SEPA helpers shared by the integration tests: Jeanne's quotes, her account's calls, a
//! mandate added through the sandbox PSP's SEPA page.

use serde_json::{json, Value};

use crate::shop::Shop;

pub const JEANNE: &str = "jeanne.martin@example.fr";

/// A quote for Jeanne of `price` + 6.90 shipping; its access token.
pub async fn quote(shop: &Shop, reference: &str, price: &str) -> String {
    let (status, order) = shop
        .admin_post(
            "/v1/admin/orders",
            None,
            &json!({
                "reference": reference,
                "customer": {"email": JEANNE, "name": "Jeanne Martin"},
                "currency": "EUR",
                "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": price, "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "6.90", "tax_rate": "20",
                             "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                         "city": "Toulon", "country": "FR"}}
            }),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    shop.token(reference, "83000").await
}

pub fn billing() -> Value {
    json!({"name": "Jeanne Martin", "email": JEANNE,
           "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}})
}

pub fn by_sepa(shop: &Shop) -> Value {
    json!({"method": "sepa_debit", "billing": billing(), "return_url": format!("{}/return", shop.base)})
}

pub async fn me(
    shop: &Shop,
    session: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = shop
        .http
        .request(method, format!("{}{path}", shop.base))
        .bearer_auth(session);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.unwrap();
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or(Value::Null),
    )
}

/// Adds a mandate through the account and the PSP's page with `iban`; returns its id.
pub async fn add_mandate(shop: &Shop, session: &str, iban: &str) -> String {
    let (status, added) = me(
        shop,
        session,
        reqwest::Method::POST,
        "/v1/me/mandates",
        Some(json!({"return_url": format!("{}/account", shop.base)})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["mandate"]["status"], "pending");
    let page = shop.absolute(added["url"].as_str().unwrap());
    let form = [("name", "Jeanne Martin"), ("email", JEANNE), ("iban", iban)];
    let reply = shop.http.post(&page).form(&form).send().await.unwrap();
    assert_eq!(
        reply.status().as_u16(),
        303,
        "the PSP's page accepts the IBAN"
    );
    let back = reply.headers()["location"].to_str().unwrap().to_string();
    let id = added["mandate"]["id"].as_str().unwrap().to_string();
    assert!(
        back.contains(&format!("mandate={id}")) && back.contains("outcome=success"),
        "{back}"
    );
    id
}

/// `POST /dev/monthly-direct-debit` for `month` as of `as_of`: what each job did.
pub async fn close_month(shop: &Shop, month: &str, as_of: &str) -> Value {
    let reply = shop
        .http
        .post(format!(
            "{}/dev/monthly-direct-debit?month={month}&as_of={as_of}",
            shop.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    reply.json().await.unwrap()
}

/// The first day of the month after `month` (`YYYY-MM`), `YYYY-MM-DD`.
pub fn first_of_next(month: &str) -> String {
    let (year, m) = month.split_once('-').unwrap();
    let (year, m): (i32, u32) = (year.parse().unwrap(), m.parse().unwrap());
    if m == 12 {
        format!("{}-01-01", year + 1)
    } else {
        format!("{year}-{:02}-01", m + 1)
    }
}

/// A back-office call as the seller (the test shop's admin key): status and JSON body.
pub async fn admin(
    shop: &Shop,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = shop
        .http
        .request(method, format!("{}{path}", shop.base))
        .bearer_auth("admin");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.unwrap();
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or(Value::Null),
    )
}
