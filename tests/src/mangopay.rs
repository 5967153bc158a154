//! The card on MangoPay as the shopper's browser plays it against the devserver app: our card
//! form posted to the sandbox's tokenisation server, the answer sent to us, and the sandbox's
//! MangoPay hooks (listed, or called as MangoPay calls them).

use serde_json::{json, Value};

use crate::shop::{first_order_body, Shop};

pub const CHALLENGE_CARD: &str = "4970105181818183";
pub const FRICTIONLESS_CARD: &str = "4970107111111119";

pub fn browser() -> Value {
    json!({
        "accept_header": "text/html,application/xhtml+xml",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "language": "fr-FR",
        "color_depth": 24,
        "screen_height": 1080,
        "screen_width": 1920,
        "time_zone_offset": -60,
        "java_enabled": false,
        "javascript_enabled": true
    })
}

/// The browser's post to the tokenisation server: its plain-text answer.
pub async fn tokenise(shop: &Shop, next_action: &Value, number: &str, cvc: &str) -> String {
    let mut form: Vec<(String, String)> = next_action["form_fields"]
        .as_object()
        .expect("the PSP's form fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let names = &next_action["card_fields"];
    form.push((names["number"].as_str().unwrap().into(), number.into()));
    form.push((names["expiry"].as_str().unwrap().into(), "1240".into()));
    form.push((names["security_code"].as_str().unwrap().into(), cvc.into()));
    let url = next_action["url"].as_str().unwrap();
    shop.http
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub async fn submit(
    shop: &Shop,
    reference: &str,
    payment: &str,
    token: &str,
    data: &str,
) -> (u16, Value) {
    let reply = shop
        .http
        .post(format!(
            "{}/v1/orders/{reference}/payments/{payment}/card-form",
            shop.base
        ))
        .bearer_auth(token)
        .json(&json!({"token_data": data, "browser": browser()}))
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

/// Starts a card payment on `reference`: the payment's id and the card form.
pub async fn start_card(
    shop: &Shop,
    reference: &str,
    postcode: &str,
    email: &str,
    key: &str,
) -> (String, String, Value) {
    let token = shop.token(reference, postcode).await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = email.into();
    // A card kept at MangoPay could not be charged again here: keeping one is not offered.
    body["save_card"] = false.into();
    let (status, started) = shop.start(reference, &token, key, &body).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["next_action"]["type"], "card_form", "{started}");
    assert_eq!(started["payment"]["provider"], "mangopay");
    let payment = started["payment"]["id"].as_str().unwrap().to_owned();
    (token, payment, started["next_action"].clone())
}

pub async fn hooks(shop: &Shop) -> Vec<Value> {
    let listed: Value = shop
        .http
        .get(format!("{}/sandbox-psp/mangopay/_hooks", shop.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["data"].as_array().unwrap().clone()
}

pub async fn call_hook(shop: &Shop, event_type: &str, id: &str, date: &str) -> (u16, Value) {
    let reply = shop
        .http
        .get(format!(
            "{}/v1/webhooks/mangopay?EventType={event_type}&RessourceId={id}&Date={date}",
            shop.base
        ))
        .send()
        .await
        .unwrap();
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or_default(),
    )
}
