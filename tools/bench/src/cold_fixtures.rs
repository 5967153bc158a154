//! The invocations the cold-start bench hands each function, built from `events/*.json`, and
//! the untimed preparation behind them (orders, tokens, a paid hosted page) done through an
//! in-process devserver app on the functions' table.

use std::net::SocketAddr;

use encaisse::app::return_url::ReturnOrigins;
use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig};
use serde_json::{json, Value};

use crate::card_flow::{signed, SECRET};

type Failure = Box<dyn std::error::Error>;

const ADMIN: &str = "bench-admin";
/// Shared by the devserver app (which mints tokens) and the functions (which check them).
pub const TOKEN_SECRET: &str = "bench-secret-bench-secret-bench-secret";

pub const LOOKUP: &str = include_str!("../../../events/order-lookup/lookup.json");
pub const GET_ORDER: &str = include_str!("../../../events/back-office/get-order.json");
pub const START_PAYMENT: &str = include_str!("../../../events/initiate-payment/start-payment.json");
pub const WEBHOOK: &str = include_str!("../../../events/psp-webhook/payment-authorised.json");
pub const SHIPMENTS: &str =
    include_str!("../../../events/capture-on-shipment/shipments-batch.json");
pub const DOMAIN_EVENTS: &str = include_str!("../../../events/notifier/domain-events-batch.json");
pub const SCHEDULE: &str = include_str!("../../../events/outbox-relay/schedule.json");
pub const SIGN_IN: &str = include_str!("../../../events/shopper-account/sign-in.json");

pub fn api_event(template: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut event: Value = serde_json::from_str(template).expect("events/*.json are JSON");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["body"] = json!(body);
    event["headers"]["content-length"] = json!(body.len().to_string());
    for (name, value) in headers {
        event["headers"][*name] = json!(value);
    }
    serde_json::to_vec(&event).expect("serialisable")
}

pub fn sqs_event(template: &str, bodies: &[String]) -> Vec<u8> {
    let mut event: Value = serde_json::from_str(template).expect("events/*.json are JSON");
    let first = event["Records"][0].clone();
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut record = first.clone();
            record["messageId"] = json!(format!("bench-{i}-{}", uuid::Uuid::new_v4()));
            record["body"] = json!(body);
            record
        })
        .collect();
    event["Records"] = json!(records);
    serde_json::to_vec(&event).expect("serialisable")
}

/// The devserver app (routers + sandbox PSP) on the table the functions use, to prepare state.
pub struct Preparer {
    base: String,
    http: reqwest::Client,
}

impl Preparer {
    pub async fn create_order(&self, reference: &str) -> Result<(), Failure> {
        let quote = crate::QUOTE.replace("ORD-10042", reference);
        let reply = self
            .http
            .post(format!("{}/v1/admin/orders", self.base))
            .bearer_auth(ADMIN)
            .header("content-type", "application/json")
            .body(quote)
            .send()
            .await?;
        if reply.status().as_u16() != 201 {
            return Err(format!("create {reference}: {}", reply.status()).into());
        }
        Ok(())
    }

    pub async fn token(&self, reference: &str) -> Result<String, Failure> {
        let reply: Value = self
            .http
            .post(format!("{}/v1/order-lookups", self.base))
            .json(&json!({"reference": reference, "postcode": "83000"}))
            .send()
            .await?
            .json()
            .await?;
        reply["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("lookup {reference}: no token").into())
    }

    /// Pays the hosted page with the always-authorised test card; returns the signed webhook
    /// body and signature the PSP would send.
    pub async fn pay(&self, page: &str) -> Result<(String, String), Failure> {
        self.http
            .post(page)
            .form(&[
                ("name", "Jeanne Martin"),
                ("number", "4242424242424242"),
                ("exp", "12/40"),
                ("cvc", "123"),
            ])
            .send()
            .await?;
        let events: Value = self
            .http
            .get(format!("{}/sandbox-psp/_events", self.base))
            .send()
            .await?
            .json()
            .await?;
        let event = events["data"]
            .as_array()
            .and_then(|all| {
                all.iter()
                    .rev()
                    .find(|e| e["type"] == "payment_intent.amount_capturable_updated")
            })
            .ok_or("no authorisation event")?
            .to_string();
        let signature = signed(&event);
        Ok((event, signature))
    }
}

/// The devserver app (routers + sandbox PSP) on `table`, served on loopback: the functions'
/// Stripe, and the preparer's way in. Returns the preparer and the base URL.
pub async fn start_devserver(table: &str) -> Result<(Preparer, String), Failure> {
    // The in-process devserver: sandbox PSP the functions call, and the preparer's routes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = build(Options {
        admin_api_key: ADMIN.into(),
        access_token_secret: TOKEN_SECRET.as_bytes().to_vec(),
        dynamodb_table: Some(table.to_string()),
        sandbox: SandboxConfig {
            public_base_url: base.clone(),
            webhook_url: None,
            webhook_secret: SECRET.into(),
        },
        return_origins: ReturnOrigins::local_development(),
        dynamodb_request_counter: None,
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
    let prep = Preparer {
        base: base.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    };

    Ok((prep, base))
}
