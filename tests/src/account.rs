//! Signing a shopper in through the API, with the code read from the devserver's sent emails
//! (`GET /dev/outbox`).

use serde_json::{json, Value};

use crate::shop::Shop;

/// The code of the last sign-in email sent to `email`.
pub async fn last_code(shop: &Shop, email: &str) -> Option<String> {
    let sent: Vec<Value> = shop
        .http
        .get(format!("{}/dev/outbox", shop.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sent.iter()
        .rev()
        .filter(|e| e["to"] == email)
        .filter(|e| {
            let subject = e["subject"].as_str().unwrap_or_default();
            subject.starts_with("Votre code de connexion")
                || subject.starts_with("Your sign-in code")
        })
        .find_map(|e| {
            e["text"]
                .as_str()?
                .split("\n\n")
                .find(|part| part.len() == 6 && part.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string)
        })
}

pub async fn ask_code(shop: &Shop, email: &str) -> (u16, Value) {
    post(shop, "/v1/me/sign-in", json!({ "email": email })).await
}

pub async fn try_code(shop: &Shop, email: &str, code: &str) -> (u16, Value) {
    post(
        shop,
        "/v1/me/sessions",
        json!({ "email": email, "code": code }),
    )
    .await
}

async fn post(shop: &Shop, path: &str, body: Value) -> (u16, Value) {
    let reply = shop
        .http
        .post(format!("{}{path}", shop.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or(Value::Null),
    )
}

/// Asks a code for `email`, reads it from the sent emails, opens a session: its token.
pub async fn signed_in(shop: &Shop, email: &str) -> String {
    let (status, asked) = ask_code(shop, email).await;
    assert_eq!(status, 202, "{asked}");
    let code = last_code(shop, email)
        .await
        .expect("a sign-in code emailed");
    let (status, opened) = try_code(shop, email, &code).await;
    assert_eq!(status, 201, "{opened}");
    opened["session_token"].as_str().unwrap().to_string()
}
