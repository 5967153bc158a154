//! A saved-card payment, step by step: DynamoDB requests (counted at the SDK client) and PSP
//! calls (counted by the sandbox, `GET /sandbox-psp/_calls`). Jeanne saved her card paying
//! ORD-10042; her next order is paid with it.

use std::time::Instant;

use serde_json::{json, Value};

use crate::card_flow::{deliver, last_event, row, start_app, Failure, Step, ADMIN};

/// The sandbox's /v1 calls since start: the total and the latest ones.
async fn psp_calls(http: &reqwest::Client, base: &str) -> Result<(u64, Vec<String>), Failure> {
    let calls: Value = http
        .get(format!("{base}/sandbox-psp/_calls"))
        .send()
        .await?
        .json()
        .await?;
    let recent = calls["recent"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((calls["total"].as_u64().unwrap_or_default(), recent))
}

/// Prints the PSP calls made since `before` and returns how many.
async fn print_psp_calls(
    http: &reqwest::Client,
    base: &str,
    step: &str,
    before: u64,
) -> Result<u64, Failure> {
    let (total, recent) = psp_calls(http, base).await?;
    let made = total - before;
    let listed = &recent[recent.len().saturating_sub(made as usize)..];
    println!(
        "    PSP calls during {step}: {made} ({})",
        listed.join(", ")
    );
    Ok(total)
}

async fn lookup(http: &reqwest::Client, base: &str, reference: &str) -> Result<String, Failure> {
    let reply: Value = http
        .post(format!("{base}/v1/order-lookups"))
        .json(&json!({"reference": reference, "postcode": "83000"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(reply["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_owned())
}

/// Jeanne's first order paid with a new card she keeps, authorised; returns her card's id.
async fn save_a_card(http: &reqwest::Client, base: &str) -> Result<String, Failure> {
    let token = lookup(http, base, "ORD-10042").await?;
    let started: Value = http
        .post(format!("{base}/v1/orders/ORD-10042/payments"))
        .bearer_auth(&token)
        .header("idempotency-key", "bench-save")
        .json(&json!({"method": "card", "save_card": true, "return_url": format!("{base}/return"),
            "billing": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr",
                        "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}}}))
        .send()
        .await?
        .json()
        .await?;
    let page = started["next_action"]["url"]
        .as_str()
        .ok_or("no page")?
        .to_owned();
    http.post(&page)
        .form(&[
            ("name", "Jeanne Martin"),
            ("number", "4242424242424242"),
            ("exp", "12/40"),
            ("cvc", "123"),
        ])
        .send()
        .await?;
    let authorised = last_event(http, base, "payment_intent.amount_capturable_updated").await?;
    deliver(http, base, &authorised).await?;
    let event: Value = serde_json::from_str(&authorised)?;
    let customer = event["data"]["object"]["customer"]
        .as_str()
        .ok_or("no customer on the payment")?;
    let cards: Value = http
        .get(format!(
            "{base}/sandbox-psp/v1/payment_methods?type=card&customer={customer}"
        ))
        .bearer_auth("sk_test_bench")
        .send()
        .await?
        .json()
        .await?;
    Ok(cards["data"][0]["id"]
        .as_str()
        .ok_or("no saved card")?
        .to_owned())
}

pub async fn count_saved_card_flow() -> Result<Vec<Step>, Failure> {
    let (base, counter, http) = start_app().await?;
    let card = save_a_card(&http, &base).await?;
    let (status, created) = {
        let reply = http
            .post(format!("{base}/v1/admin/orders"))
            .bearer_auth(ADMIN)
            .json(&json!({
                "reference": "ORD-20001",
                "customer": {"email": "jeanne.martin@example.fr", "name": "Jeanne Martin"},
                "currency": "EUR",
                "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": "14.50", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "6.90", "tax_rate": "20",
                             "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                         "city": "Toulon", "country": "FR"}}
            }))
            .send()
            .await?;
        (reply.status().as_u16(), reply.text().await?)
    };
    if status != 201 {
        return Err(format!("second order: {status} {created}").into());
    }
    let token = lookup(&http, &base, "ORD-20001").await?;

    println!("\nSaved-card payment over HTTP (the card saved on an earlier order):\n");
    println!("{}", crate::capacity::HEADER.replacen("flow", "step", 1));
    let mut steps = Vec::new();
    let (before, _) = psp_calls(&http, &base).await?;
    counter.reset();
    let clock = Instant::now();
    let reply = http
        .post(format!("{base}/v1/orders/ORD-20001/payments"))
        .bearer_auth(&token)
        .header("idempotency-key", "bench-saved-1")
        .json(&json!({"method": "saved_card", "saved_card_id": card, "return_url": format!("{base}/return")}))
        .send()
        .await?;
    let status = reply.status().as_u16();
    let started: Value = reply.json().await?;
    steps.push(row(
        "initiation with a saved card (billing on file)",
        status,
        &counter,
        clock,
    ));
    let before = print_psp_calls(&http, &base, "the initiation", before).await?;
    let page = started["next_action"]["url"]
        .as_str()
        .ok_or("no confirmation page")?;
    let (path, query) = page.split_once('?').ok_or("no query")?;
    let mut form: Vec<(String, String)> = serde_urlencoded::from_str(query)?;
    form.push(("cvc".into(), "123".into()));
    // The shopper on the PSP's page: no request of ours.
    http.post(path).form(&form).send().await?;
    let before = print_psp_calls(&http, &base, "the shopper's confirmation", before).await?;

    let authorised = last_event(&http, &base, "payment_intent.amount_capturable_updated").await?;
    counter.reset();
    let clock = Instant::now();
    let status = deliver(&http, &base, &authorised).await?;
    steps.push(row(
        "webhook: saved-card payment authorised",
        status,
        &counter,
        clock,
    ));
    print_psp_calls(&http, &base, "the webhook", before).await?;
    Ok(steps)
}
