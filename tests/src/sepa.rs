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

/// Adds a mandate through the account and the PSP's page with `iban`; returns its id. On a
/// PSP whose mandates are set up on a bank account we pass on (`mandate_setup:
/// bank_details`, MangoPay) the IBAN goes in the request and the shopper confirms on the
/// PSP's page; else the IBAN is typed on the PSP's page (Stripe).
pub async fn add_mandate(shop: &Shop, session: &str, iban: &str) -> String {
    let (_, sepa) = me(shop, session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let return_url = format!("{}/account", shop.base);
    if sepa["mandate_setup"] == "bank_details" {
        return add_mandate_with_bank_details(shop, session, iban, &return_url).await;
    }
    assert_eq!(sepa["mandate_setup"], "provider_page", "{sepa}");
    let (status, added) = me(
        shop,
        session,
        reqwest::Method::POST,
        "/v1/me/mandates",
        Some(json!({ "return_url": return_url })),
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

/// The MangoPay way: the IBAN (and the holder, from the billing details given at Jeanne's
/// first order, or here) in our request, the mandate confirmed on the PSP's page.
async fn add_mandate_with_bank_details(
    shop: &Shop,
    session: &str,
    iban: &str,
    return_url: &str,
) -> String {
    let bank_account = json!({"iban": iban, "holder_name": "Jeanne Martin",
        "address": billing()["address"].clone()});
    let (status, added) = me(
        shop,
        session,
        reqwest::Method::POST,
        "/v1/me/mandates",
        Some(json!({ "return_url": return_url, "bank_account": bank_account })),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["mandate"]["status"], "pending");
    assert!(
        !added.to_string().contains(iban),
        "the IBAN is not echoed back"
    );
    let page = shop.absolute(added["url"].as_str().unwrap());
    let shown = shop.http.get(&page).send().await.unwrap();
    assert_eq!(shown.status().as_u16(), 200, "the PSP's confirmation page");
    let reply = shop
        .http
        .post(&page)
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status().as_u16(),
        303,
        "the PSP takes the confirmation"
    );
    let back = reply.headers()["location"].to_str().unwrap().to_string();
    let id = added["mandate"]["id"].as_str().unwrap().to_string();
    assert!(
        back.starts_with(return_url) && back.contains(&format!("mandate={id}")),
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

/// The debits the PSP was asked for (a month's one debit each), in cents, oldest first: from
/// the sandbox's Stripe events, or its MangoPay hooks and pay-ins.
pub async fn debits_at_psp(shop: &Shop, provider: &str) -> Vec<i64> {
    if provider == "stripe" {
        return shop
            .sandbox_events()
            .await
            .into_iter()
            .filter(|e| e["type"] == "payment_intent.processing")
            .filter_map(|e| e["data"]["object"]["amount"].as_i64())
            .collect();
    }
    let base = format!("{}/sandbox-psp/mangopay", shop.base);
    let hooks: Value = shop
        .http
        .get(format!("{base}/_hooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: Value = shop
        .http
        .post(format!("{base}/v2.01/oauth/token"))
        .basic_auth(encaisse_dev::MANGOPAY_CLIENT_ID, Some("sandbox-api-key"))
        .body("grant_type=client_credentials")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut amounts = Vec::new();
    for hook in hooks["data"].as_array().unwrap() {
        if hook["EventType"] != "PAYIN_NORMAL_CREATED" {
            continue;
        }
        let payin: Value = shop
            .http
            .get(format!(
                "{base}/v2.01/{}/payins/{}",
                encaisse_dev::MANGOPAY_CLIENT_ID,
                hook["RessourceId"].as_str().unwrap()
            ))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if payin["PaymentType"] == "DIRECT_DEBIT" {
            amounts.push(payin["DebitedFunds"]["Amount"].as_i64().unwrap());
        }
    }
    amounts
}

/// The resource the sandbox's MangoPay dialect named in its first hook of `event_type`.
pub async fn mangopay_hook_resource(shop: &Shop, event_type: &str) -> String {
    let hooks: Value = shop
        .http
        .get(format!("{}/sandbox-psp/mangopay/_hooks", shop.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    hooks["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["EventType"] == event_type)
        .and_then(|h| h["RessourceId"].as_str())
        .unwrap_or_else(|| panic!("no {event_type} hook: {hooks}"))
        .to_owned()
}
