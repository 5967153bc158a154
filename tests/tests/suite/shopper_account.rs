//! The shopper account over real HTTP: the devserver app on moto (DynamoDB), the codes read
//! from the emails it sent (`/dev/outbox`), the sandbox PSP for the payment that is left
//! unfinished.

use integration::account::{ask_code, last_code, signed_in, try_code};
use integration::shop::{first_order_body, shop, Shop};
use serde_json::{json, Value};

const JEANNE: &str = "jeanne.martin@example.fr";
const PAUL: &str = "paul.durand@example.fr";

async fn call(
    shop: &Shop,
    method: &str,
    path: &str,
    session: &str,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let url = format!("{}{path}", shop.base);
    let mut request = match method {
        "GET" => shop.http.get(url),
        "PUT" => shop.http.put(url),
        "PATCH" => shop.http.patch(url),
        "DELETE" => shop.http.delete(url),
        _ => shop.http.post(url),
    }
    .bearer_auth(session);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.unwrap();
    let retry = reply
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or(Value::Null),
        retry,
    )
}

fn problem(body: &Value) -> &str {
    body["type"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("https://encaisse.dev/problems/")
}

#[tokio::test]
async fn a_shopper_signs_in_with_the_emailed_code_and_sees_their_orders() {
    let shop = shop().await;
    let (status, asked) = ask_code(&shop, "Jeanne.Martin@Example.fr").await;
    assert_eq!((status, &asked), (202, &json!({"expires_in_seconds": 600})));
    let code = last_code(&shop, JEANNE).await.expect("code emailed");
    let emails = shop.emails().await;
    let email = emails.iter().rev().find(|e| e["to"] == JEANNE).unwrap();
    assert!(email["subject"]
        .as_str()
        .unwrap()
        .starts_with("Votre code de connexion"));

    // An unknown email gets the same answer and no email.
    let before = shop.emails().await.len();
    let (status, unknown) = ask_code(&shop, "nobody@example.fr").await;
    assert_eq!((status, &unknown), (202, &asked));
    // An email goes out either way (the answer's timing tells nothing), but no code.
    let after = shop.emails().await;
    assert_eq!(after.len(), before + 1);
    let told = after.last().unwrap();
    assert_eq!(told["to"], "nobody@example.fr");
    assert_eq!(told["subject"], "Votre demande de connexion");
    assert!(!told["text"]
        .as_str()
        .unwrap()
        .chars()
        .any(|c| c.is_ascii_digit()));
    let (status, refused) = try_code(&shop, "nobody@example.fr", "123456").await;
    assert_eq!((status, problem(&refused)), (401, "sign-in-code-invalid"));

    let wrong = if code == "000000" { "000001" } else { "000000" };
    let (status, refused) = try_code(&shop, JEANNE, wrong).await;
    assert_eq!((status, problem(&refused)), (401, "sign-in-code-invalid"));
    let (status, bad) = try_code(&shop, JEANNE, "12ab").await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("code")));
    let (status, opened) = try_code(&shop, JEANNE, &code).await;
    assert_eq!(status, 201, "{opened}");
    let session = opened["session_token"].as_str().unwrap().to_string();
    // Used: the same code opens nothing more.
    let (status, again) = try_code(&shop, JEANNE, &code).await;
    assert_eq!((status, problem(&again)), (401, "sign-in-code-expired"));

    let (status, me, _) = call(&shop, "GET", "/v1/me", &session, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        me,
        json!({"email": JEANNE, "locale": "fr", "billing": null})
    );
    let (status, orders, _) = call(&shop, "GET", "/v1/me/orders", &session, None).await;
    assert_eq!(status, 200, "{orders}");
    let listed = orders["orders"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["reference"], "ORD-10042");
    assert_eq!(listed[0]["status"], "awaiting_payment");
    assert_eq!(listed[0]["amount_due"], "2922.00");
    assert_eq!(listed[0]["unfinished_payment"], Value::Null);
    assert_eq!(orders["next_cursor"], Value::Null);

    // Billing on file: a field error names the field, nothing written; then saved.
    let mut billing = first_order_body(&shop.base)["billing"].clone();
    billing["name"] = "".into();
    let (status, bad, _) = call(
        &shop,
        "PUT",
        "/v1/me/billing",
        &session,
        Some(billing.clone()),
    )
    .await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("name")));
    billing["name"] = "Jeanne Martin".into();
    let (status, saved, _) = call(&shop, "PUT", "/v1/me/billing", &session, Some(billing)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["billing"]["name"], "Jeanne Martin");
    let (_, me, _) = call(&shop, "GET", "/v1/me", &session, None).await;
    assert_eq!(me["billing"], saved["billing"]);

    // The order opens without the lookup: its access token works on the order routes.
    let (status, access, _) = call(
        &shop,
        "POST",
        "/v1/me/orders/ORD-10042/access",
        &session,
        None,
    )
    .await;
    assert_eq!(status, 200, "{access}");
    let order = shop
        .get(
            "/v1/orders/ORD-10042",
            access["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(order["reference"], "ORD-10042");
    let (status, cards, _) = call(&shop, "GET", "/v1/me/cards", &session, None).await;
    assert_eq!((status, cards), (200, json!({"cards": []})));
    let (status, mandates, _) = call(&shop, "GET", "/v1/me/mandates", &session, None).await;
    assert_eq!((status, mandates), (200, json!({"mandates": []})));

    // Signing out revokes the token at once.
    let (status, _, _) = call(&shop, "DELETE", "/v1/me/session", &session, None).await;
    assert_eq!(status, 204);
    let (status, gone, _) = call(&shop, "GET", "/v1/me", &session, None).await;
    assert_eq!((status, problem(&gone)), (401, "unauthorized"));
}

#[tokio::test]
async fn concurrent_wrong_codes_never_get_more_than_five_tries() {
    let shop = shop().await;
    assert_eq!(ask_code(&shop, JEANNE).await.0, 202);
    let code = last_code(&shop, JEANNE).await.unwrap();
    let wrong = if code == "999999" { "999998" } else { "999999" };
    let tries = (0..30).map(|_| {
        let (base, http) = (shop.base.clone(), shop.http.clone());
        tokio::spawn(async move {
            let reply = http
                .post(format!("{base}/v1/me/sessions"))
                .json(&json!({"email": JEANNE, "code": wrong}))
                .send()
                .await
                .unwrap();
            let body: Value = reply.json().await.unwrap();
            body["type"].as_str().unwrap().to_string()
        })
    });
    let mut compared = 0;
    for attempt in tries {
        if attempt.await.unwrap().ends_with("sign-in-code-invalid") {
            compared += 1;
        }
    }
    eprintln!(
        "30 concurrent wrong codes: {compared} compared as wrong, the rest refused as expired"
    );
    assert!(compared <= 5, "{compared} tries counted");
    // Every try used: even the right code no longer works; a new code does.
    let (status, refused) = try_code(&shop, JEANNE, &code).await;
    assert_eq!((status, problem(&refused)), (401, "sign-in-code-expired"));
    assert_eq!(ask_code(&shop, JEANNE).await.0, 202);
    let fresh = last_code(&shop, JEANNE).await.unwrap();
    assert_eq!(try_code(&shop, JEANNE, &fresh).await.0, 201);
}

#[tokio::test]
async fn codes_are_limited_per_email_with_retry_after() {
    let shop = shop().await;
    for _ in 0..5 {
        assert_eq!(ask_code(&shop, PAUL).await.0, 202);
    }
    let reply = shop
        .http
        .post(format!("{}/v1/me/sign-in", shop.base))
        .json(&json!({"email": PAUL}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 429);
    let wait: u64 = reply.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let body: Value = reply.json().await.unwrap();
    assert_eq!(problem(&body), "too-many-sign-in-requests");
    // Another email from the same address still gets its code.
    assert_eq!(ask_code(&shop, JEANNE).await.0, 202);
}

#[tokio::test]
async fn a_session_never_reaches_another_customers_orders() {
    let shop = shop().await;
    let jeanne = signed_in(&shop, JEANNE).await;
    for (method, path) in [
        ("POST", "/v1/me/orders/ORD-10043/access"),
        ("DELETE", "/v1/me/orders/ORD-10043"),
        ("POST", "/v1/me/orders/ORD-99999/access"),
        ("POST", "/v1/me/orders/not-a-reference/access"),
    ] {
        let (status, body, _) = call(&shop, method, path, &jeanne, None).await;
        assert_eq!(
            (status, problem(&body)),
            (404, "order-not-found"),
            "{method} {path}"
        );
    }
    let (_, orders, _) = call(&shop, "GET", "/v1/me/orders", &jeanne, None).await;
    let references: Vec<&str> = orders["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references, ["ORD-10042"]);
    // Paul saved a card paying his order: it is his, never Jeanne's.
    shop.authorised_order("ORD-10043", "75011", PAUL).await;
    let paul = signed_in(&shop, PAUL).await;
    let (_, his, _) = call(&shop, "GET", "/v1/me/cards", &paul, None).await;
    assert_eq!(his["cards"].as_array().map(Vec::len), Some(1), "{his}");
    assert_eq!(his["cards"][0]["last4"], "4242");
    let (_, hers, _) = call(&shop, "GET", "/v1/me/cards", &jeanne, None).await;
    assert_eq!(hers, json!({"cards": []}));
    let (_, me, _) = call(&shop, "GET", "/v1/me", &jeanne, None).await;
    assert_eq!(me["email"], JEANNE);
    // A forged or foreign token is refused, never someone's account.
    let (status, _, _) = call(&shop, "GET", "/v1/me", &format!("{jeanne}x"), None).await;
    assert_eq!(status, 401);
    let order_token = shop.token("ORD-10043", "75011").await;
    let (status, _, _) = call(&shop, "GET", "/v1/me/orders", &order_token, None).await;
    assert_eq!(status, 401, "an order's access token is not a session");
    let (status, bad, _) = call(&shop, "GET", "/v1/me/orders?cursor=zzz", &jeanne, None).await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("cursor")));
    let (status, bad, _) = call(&shop, "GET", "/v1/me/orders?limit=0", &jeanne, None).await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("limit")));
}

#[tokio::test]
async fn an_unfinished_payment_is_marked_and_its_order_can_be_deleted() {
    let shop = shop().await;
    // Paul starts paying and leaves the PSP's page without paying.
    let token = shop.token("ORD-10043", "75011").await;
    let (status, started) = shop
        .start("ORD-10043", &token, "pay-1", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 201, "{started}");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();

    let paul = signed_in(&shop, PAUL).await;
    let (_, orders, _) = call(&shop, "GET", "/v1/me/orders", &paul, None).await;
    let listed = &orders["orders"][0];
    assert_eq!(listed["status"], "payment_pending");
    assert_eq!(listed["unfinished_payment"]["payment_id"], payment.as_str());
    assert_eq!(listed["unfinished_payment"]["amount"], listed["amount_due"]);

    let (status, deleted, _) = call(&shop, "DELETE", "/v1/me/orders/ORD-10043", &paul, None).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(
        deleted,
        json!({"reference": "ORD-10043", "status": "deleted"})
    );
    // Deleting it again answers the same; it no longer opens.
    let (status, again, _) = call(&shop, "DELETE", "/v1/me/orders/ORD-10043", &paul, None).await;
    assert_eq!((status, &again), (200, &deleted));
    let (status, _, _) = call(&shop, "POST", "/v1/me/orders/ORD-10043/access", &paul, None).await;
    assert_eq!(status, 404);
    // No longer listed, found or payable; the attempt closed; the seller told.
    let (_, orders, _) = call(&shop, "GET", "/v1/me/orders", &paul, None).await;
    assert_eq!(orders["orders"], json!([]));
    let (status, _) = shop
        .start("ORD-10043", &token, "pay-2", &first_order_body(&shop.base))
        .await;
    assert_eq!(status, 404);
    let lookup = shop
        .http
        .post(format!("{}/v1/order-lookups", shop.base))
        .json(&json!({"reference": "ORD-10043", "postcode": "75011"}))
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), 404);
    let stored = shop
        .store
        .get_order_with_payments(&encaisse::domain::Reference::parse("ORD-10043").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.order.value.status.as_str(), "deleted");
    assert_eq!(stored.payments[0].value.status.as_str(), "cancelled");
    let all = integration::journey::emailed(&shop, "Commande supprimée par le client", 1).await;
    let told = all
        .iter()
        .find(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("Commande supprimée")
        })
        .unwrap();
    assert_eq!(told["to"], "seller@atelier-demo.example");

    // An order with an authorisation cannot be deleted.
    let (jeanne_token, _) = shop.authorised_order("ORD-10042", "83000", JEANNE).await;
    let _ = jeanne_token;
    let jeanne = signed_in(&shop, JEANNE).await;
    let (status, refused, _) =
        call(&shop, "DELETE", "/v1/me/orders/ORD-10042", &jeanne, None).await;
    assert_eq!((status, problem(&refused)), (409, "order-not-deletable"));
}

#[tokio::test]
async fn a_shopper_renews_and_deletes_a_saved_card_and_nobody_else_can() {
    let shop = shop().await;
    shop.authorised_order("ORD-10043", "75011", PAUL).await;
    let paul = signed_in(&shop, PAUL).await;
    let (_, cards, _) = call(&shop, "GET", "/v1/me/cards", &paul, None).await;
    let card = cards["cards"][0]["id"].as_str().unwrap().to_string();
    assert!(card.starts_with("pm_"), "{cards}");
    let path = format!("/v1/me/cards/{card}");

    let renewed = json!({"exp_month": 3, "exp_year": 2031, "holder": "Paul Durand"});
    let (status, updated, _) = call(&shop, "PATCH", &path, &paul, Some(renewed.clone())).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            &updated["exp_month"],
            &updated["exp_year"],
            &updated["holder"]
        ),
        (&json!(3), &json!(2031), &json!("Paul Durand"))
    );
    assert_eq!(updated["last4"], "4242");
    for (body, field) in [
        (json!({"exp_month": 13, "exp_year": 2031}), "exp_month"),
        (json!({"exp_month": 1, "exp_year": 2020}), "exp_year"),
    ] {
        let (status, bad, _) = call(&shop, "PATCH", &path, &paul, Some(body)).await;
        assert_eq!((status, bad["field"].as_str()), (422, Some(field)), "{bad}");
    }

    // Jeanne cannot touch Paul's card: the same 404 as an unknown one.
    let jeanne = signed_in(&shop, JEANNE).await;
    for method in ["PATCH", "DELETE"] {
        let (status, body, _) = call(&shop, method, &path, &jeanne, Some(renewed.clone())).await;
        assert_eq!(
            (status, problem(&body)),
            (404, "card-not-found"),
            "{method}"
        );
    }

    let (status, _, _) = call(&shop, "DELETE", &path, &paul, None).await;
    assert_eq!(status, 204);
    let (_, cards, _) = call(&shop, "GET", "/v1/me/cards", &paul, None).await;
    assert_eq!(cards, json!({"cards": []}));
    let (status, body, _) = call(&shop, "DELETE", &path, &paul, None).await;
    assert_eq!((status, problem(&body)), (404, "card-not-found"));
}
