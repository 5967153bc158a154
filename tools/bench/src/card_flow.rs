//! DynamoDB requests per step of the card flow, counted at the SDK client while the devserver
//! app (every router, DynamoDB on the emulator, sandbox PSP) serves a real journey over HTTP.
//! Webhook delivery is done by this program (signed like Stripe) so each step is measured
//! alone; the background notifier is off for the same reason.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use encaisse::adapters::dynamodb::RequestCounter;
use encaisse::app::return_url::ReturnOrigins;
use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

pub(crate) const SECRET: &str = "whsec_bench";
pub(crate) const ADMIN: &str = "bench-admin";

/// One measured step: its capacity and its wall time over HTTP (devserver app, moto, sandbox
/// PSP, all on this machine).
pub struct Step {
    pub name: String,
    /// DynamoDB requests by operation.
    pub ops: std::collections::BTreeMap<String, u64>,
    pub capacity: crate::capacity::Capacity,
    pub wall: Duration,
}

pub(crate) fn row(name: &str, status: u16, counter: &RequestCounter, started: Instant) -> Step {
    let wall = started.elapsed();
    println!("{}", crate::capacity::row(name, status, counter));
    Step {
        name: name.into(),
        ops: counter.snapshot(),
        capacity: crate::capacity::of(&counter.exchanges()),
        wall,
    }
}

pub(crate) fn signed(payload: &str) -> String {
    let t = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{payload}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub(crate) type Failure = Box<dyn std::error::Error>;

pub(crate) async fn last_event(
    http: &reqwest::Client,
    base: &str,
    kind: &str,
) -> Result<String, Failure> {
    let events: Value = http
        .get(format!("{base}/sandbox-psp/_events"))
        .send()
        .await?
        .json()
        .await?;
    let found = events["data"]
        .as_array()
        .and_then(|all| all.iter().rev().find(|e| e["type"] == kind))
        .ok_or_else(|| format!("no {kind} event"))?;
    Ok(found.to_string())
}

pub(crate) async fn deliver(
    http: &reqwest::Client,
    base: &str,
    payload: &str,
) -> Result<u16, Failure> {
    let reply = http
        .post(format!("{base}/v1/webhooks/stripe"))
        .header("stripe-signature", signed(payload))
        .body(payload.to_string())
        .send()
        .await?;
    Ok(reply.status().as_u16())
}

/// The devserver app on the emulator (sandbox PSP, webhooks left to the bench), its DynamoDB
/// requests counted; returns its base URL, the counter and an HTTP client that does not
/// follow redirects.
pub(crate) async fn start_app() -> Result<(String, RequestCounter, reqwest::Client), Failure> {
    let counter = RequestCounter::recording();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = build(Options {
        admin_api_key: ADMIN.into(),
        access_token_secret: b"bench-secret-bench-secret-bench-secret".to_vec(),
        dynamodb_table: Some(format!(
            "encaisse-bench-card-{}",
            uuid::Uuid::new_v4().simple()
        )),
        sandbox: SandboxConfig {
            public_base_url: base.clone(),
            webhook_url: None,
            webhook_secret: SECRET.into(),
        },
        return_origins: ReturnOrigins::local_development(),
        dynamodb_request_counter: Some(counter.clone()),
        run_notifier: false,
        three_d_secure: Default::default(),
        card_saving: Default::default(),
        fraud_review: Default::default(),
        wallets: Vec::new(),
        offline: Default::default(),
        card_provider: None,
        sepa_provider: None,
        modes: Default::default(),
        sepa: None,
        instalments: None,
    })
    .await?;
    seed_demo_orders(app.store.as_ref()).await?;
    let router = app.router;
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok((base, counter, http))
}

pub async fn count_card_flow() -> Result<Vec<Step>, Failure> {
    let mut steps = Vec::new();
    let (base, counter, http) = start_app().await?;
    println!(
        "\nCard flow over HTTP (devserver app, sandbox PSP, webhooks delivered by the bench):\n"
    );
    println!("{}", crate::capacity::HEADER.replacen("flow", "step", 1));
    counter.reset();
    let clock = Instant::now();
    let reply = http
        .post(format!("{base}/v1/order-lookups"))
        .json(&json!({"reference": "ORD-10042", "postcode": "83000"}))
        .send()
        .await?;
    let status = reply.status().as_u16();
    let token = reply.json::<Value>().await?["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    steps.push(row("lookup (order never paid)", status, &counter, clock));

    counter.reset();
    let clock = Instant::now();
    let reply = http
        .post(format!("{base}/v1/orders/ORD-10042/payments"))
        .bearer_auth(&token)
        .header("idempotency-key", "bench-1")
        .json(&json!({"method": "card", "return_url": format!("{base}/return"),
            "billing": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr",
                        "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}}}))
        .send()
        .await?;
    let status = reply.status().as_u16();
    let started: Value = reply.json().await?;
    steps.push(row(
        "initiation (first order: customer created)",
        status,
        &counter,
        clock,
    ));
    let page = started["next_action"]["url"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    http.post(&page)
        .form(&[
            ("name", "Jeanne Martin"),
            ("number", "4242424242424242"),
            ("exp", "12/40"),
            ("cvc", "123"),
        ])
        .send()
        .await?;
    let authorised = last_event(&http, &base, "payment_intent.amount_capturable_updated").await?;
    counter.reset();
    let clock = Instant::now();
    let status = deliver(&http, &base, &authorised).await?;
    steps.push(row(
        "webhook: authorised (with its outbox publish)",
        status,
        &counter,
        clock,
    ));
    counter.reset();
    let clock = Instant::now();
    let status = deliver(&http, &base, &authorised).await?;
    steps.push(row(
        "webhook: the same event again",
        status,
        &counter,
        clock,
    ));

    counter.reset();
    let clock = Instant::now();
    let reply = http
        .post(format!("{base}/v1/admin/orders/ORD-10042/shipments"))
        .bearer_auth(ADMIN)
        .json(&json!({"shipment_id": "parcel-1", "amount": "1000.00"}))
        .send()
        .await?;
    steps.push(row(
        "capture on shipment (partial)",
        reply.status().as_u16(),
        &counter,
        clock,
    ));
    let captured = last_event(&http, &base, "payment_intent.amount_capturable_updated").await?;
    counter.reset();
    let clock = Instant::now();
    let status = deliver(&http, &base, &captured).await?;
    steps.push(row(
        "webhook after the capture (already applied)",
        status,
        &counter,
        clock,
    ));
    Ok(steps)
}
