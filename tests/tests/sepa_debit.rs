//! SEPA direct debit over real HTTP (devserver app on moto, the sandbox PSP's SEPA dialect):
//! a mandate added on the PSP's page (the IBAN never reaches us), purchases paid by SEPA as
//! lines of the customer's month under the cap, every refusal a 422 naming its condition.

use integration::account::signed_in;
use integration::shop::{shop, Shop};
use serde_json::{json, Value};

const JEANNE: &str = "jeanne.martin@example.fr";

/// A quote for Jeanne of `price` + 6.90 shipping; its access token.
async fn quote(shop: &Shop, reference: &str, price: &str) -> String {
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

fn billing() -> Value {
    json!({"name": "Jeanne Martin", "email": JEANNE,
           "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}})
}

fn by_sepa(shop: &Shop) -> Value {
    json!({"method": "sepa_debit", "billing": billing(), "return_url": format!("{}/return", shop.base)})
}

async fn me(
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
async fn add_mandate(shop: &Shop, session: &str, iban: &str) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mandate_pays_purchases_by_sepa_up_to_the_cap() {
    let shop = shop().await;
    let session = signed_in(&shop, JEANNE).await;
    let id = add_mandate(&shop, &session, "DE89370400440532013000").await;
    let (status, list) = me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let mandate = &list["mandates"][0];
    assert_eq!(mandate["id"], id.as_str());
    assert_eq!(mandate["status"], "active", "{mandate}");
    assert_eq!(mandate["iban_last4"], "3000");
    assert_eq!(mandate["bank_country"], "DE");
    assert!(
        mandate["reference"].as_str().is_some_and(|r| !r.is_empty()),
        "{mandate}"
    );
    assert!(
        !list.to_string().contains("DE89370400440532013000"),
        "the IBAN never reaches us"
    );

    // (14.50 + 6.90) + 20 % VAT = 25.68: a line of November's month, the order confirmed at once.
    let token = quote(&shop, "ORD-20001", "14.50").await;
    let (status, started) = shop
        .start("ORD-20001", &token, "sepa-1", &by_sepa(&shop))
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["status"], "authorised", "{started}");
    assert_eq!(started["payment"]["method"], "sepa_debit");
    assert!(started["next_action"].is_null());
    let order = shop.get("/v1/orders/ORD-20001", &token).await;
    assert_eq!(order["status"], "authorised", "{order}");
    // Replayed: the same answer, nothing added twice.
    let (status, again) = shop
        .start("ORD-20001", &token, "sepa-1", &by_sepa(&shop))
        .await;
    assert_eq!((status, &again), (201, &started));

    // 300 + 6.90 is over what remains of 250.
    let token = quote(&shop, "ORD-20002", "300.00").await;
    let (status, refused) = shop
        .start("ORD-20002", &token, "sepa-2", &by_sepa(&shop))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["type"],
        "https://encaisse.dev/problems/sepa-cap-exceeded"
    );
    assert_eq!(refused["field"], "method");
    assert_eq!(
        refused["remaining"], "224.32",
        "250 less (14.50 + 6.90) with 20 % VAT"
    );
    assert_eq!(
        shop.get("/v1/orders/ORD-20002", &token).await["status"],
        "awaiting_payment"
    );

    let (status, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(status, 200, "{sepa}");
    assert_eq!(sepa["state"], "active");
    assert_eq!(
        (
            sepa["cap"].as_str(),
            sepa["used"].as_str(),
            sepa["remaining"].as_str()
        ),
        (Some("250.00"), Some("25.68"), Some("224.32"))
    );
    assert_eq!(sepa["months"][0]["status"], "open");
    assert_eq!(sepa["months"][0]["purchases"], 1);

    // Revoked: no active mandate any more.
    let (status, revoked) = me(
        &shop,
        &session,
        reqwest::Method::DELETE,
        &format!("/v1/me/mandates/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, revoked["status"].as_str()),
        (200, Some("inactive")),
        "{revoked}"
    );
    let token = quote(&shop, "ORD-20003", "10.00").await;
    let (status, refused) = shop
        .start("ORD-20003", &token, "sepa-3", &by_sepa(&shop))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["type"],
        "https://encaisse.dev/problems/sepa-no-active-mandate"
    );
    assert_eq!(refused["field"], "mandate_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sepa_purchases_never_pass_the_cap() {
    let shop = shop().await;
    let session = signed_in(&shop, JEANNE).await;
    add_mandate(&shop, &session, "FR1420041010050500013M02606").await;
    // 20 orders of (18.10 + 6.90) + 20 % VAT = 30.00 each: 8 fit under 250, never a 9th.
    let mut tokens = Vec::new();
    for i in 0..20 {
        let reference = format!("ORD-2100{i:02}");
        tokens.push((reference.clone(), quote(&shop, &reference, "18.10").await));
    }
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|(reference, token)| {
            let shop = shop.clone();
            tokio::spawn(async move {
                let body = by_sepa(&shop);
                shop.start(&reference, &token, &format!("key-{reference}"), &body)
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => accepted += 1,
            422 => assert_eq!(
                body["type"], "https://encaisse.dev/problems/sepa-cap-exceeded",
                "{body}"
            ),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(accepted, 8);
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(sepa["used"], "240.00", "{sepa}");
    assert_eq!(sepa["months"][0]["purchases"], 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sepa_refusals_name_their_condition_and_write_nothing() {
    let shop = shop().await;
    // No mandate at all.
    let token = quote(&shop, "ORD-22001", "10.00").await;
    let (status, refused) = shop.start("ORD-22001", &token, "k1", &by_sepa(&shop)).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["field"], "mandate_id");
    // Card fields do not go with SEPA; a mandate id goes with SEPA only.
    let mut body = by_sepa(&shop);
    body["save_card"] = json!(true);
    let (status, refused) = shop.start("ORD-22001", &token, "k2", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("save_card")),
        "{refused}"
    );
    let body = json!({"method": "card", "mandate_id": "mdt_x", "return_url": format!("{}/return", shop.base)});
    let (status, refused) = shop.start("ORD-22001", &token, "k3", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("mandate_id")),
        "{refused}"
    );
    let mut body = by_sepa(&shop);
    body["mandate_id"] = json!("not a mandate");
    let (status, refused) = shop.start("ORD-22001", &token, "k4", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("mandate_id")),
        "{refused}"
    );
    assert_eq!(
        shop.get("/v1/orders/ORD-22001", &token).await["status"],
        "awaiting_payment"
    );
}
