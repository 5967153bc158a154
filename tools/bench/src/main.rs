//! `encaisse-bench`: prints markdown for docs/benchmarks.md.
//!
//! 1. DynamoDB requests per flow, counted by the SDK interceptor (every HTTP request the client
//!    sends, retries included), through the real routers against the emulator at
//!    `AWS_ENDPOINT_URL`.
//! 2. Warm in-process handler latency (router + use case + memory store), which isolates our
//!    own code's CPU cost from the emulator's.

mod account_flow;
mod capacity;
mod card_flow;
mod cold_fixtures;
mod cold_start;
mod cost;
mod counting_store;
mod documents;
mod instalment_run;
mod load;
mod monthly_close;
mod runtime_api;
mod saved_card_flow;
mod targets;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use encaisse::adapters::dynamodb::{client_from_env, schema, DynamoStore, RequestCounter};
use encaisse::adapters::memory::MemoryStore;
use encaisse::app::{AccessTokens, OrderLookup};
use encaisse::http::{
    back_office_router, order_lookup_router, with_fallbacks, AdminAuth, BackOffice,
};
use encaisse::ports::{Store, SystemClock};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// `MemorySize` in template.yaml (Globals).
const LAMBDA_MEMORY_MB: u32 = 256;
const ADMIN_KEY: &str = "bench-admin-key";
const QUOTE: &str = r#"{"reference": "ORD-10042",
 "customer": {"email": "buyer@example.fr", "name": "Jeanne Martin", "company": "Atelier Martin", "locale": "fr"},
 "currency": "EUR",
 "lines": [{"sku": "FUS-40", "description": "Fusion laser 40 W", "quantity": 2, "unit_price": "1200.00", "tax_rate": "20"}],
 "shipping": {"method": "carrier", "amount": "35.00", "tax_rate": "20",
              "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}}}"#;

fn app(store: Arc<dyn Store>) -> Router {
    let lookup = OrderLookup::new(
        store.clone(),
        AccessTokens::new(b"bench-secret-bench-secret-bench-secret"),
        Arc::new(SystemClock),
    );
    // Its amount rules only: nothing here calls the PSP.
    let office = BackOffice {
        store,
        clock: Arc::new(SystemClock),
        auth: AdminAuth::ApiKey(ADMIN_KEY.into()),
        pay_links: None,
        documents: None,
        providers: Arc::new(encaisse::ports::ProviderRegistry::single(Arc::new(
            encaisse::adapters::stripe::StripeConnector::new(
                encaisse::adapters::stripe::StripeConfig::new(
                    "sk_test_rules",
                    vec!["whsec_rules".into()],
                ),
            )
            .expect("connector"),
        ))),
    };
    with_fallbacks(order_lookup_router(lookup).merge(back_office_router(office)))
}

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    body: Option<String>,
    auth: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    if let Some(a) = auth {
        request = request.header("authorization", format!("Bearer {a}"));
    }
    let request = request
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

enum Auth {
    None,
    Admin,
    /// The access token the last successful lookup returned.
    ShopperToken,
}

struct Flow {
    name: &'static str,
    method: &'static str,
    uri: &'static str,
    body: Option<String>,
    auth: Auth,
}

fn lookup_body(postcode: &str) -> Option<String> {
    Some(format!(
        r#"{{"reference":"ORD-10042","postcode":"{postcode}"}}"#
    ))
}

async fn count_requests() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        return Err(
            "AWS_ENDPOINT_URL is not set: run scripts/bench, which starts moto server".into(),
        );
    }
    let counter = RequestCounter::recording();
    let client = client_from_env(Some(counter.clone())).await;
    let table = format!("encaisse-bench-{}", uuid::Uuid::new_v4().simple());
    schema::ensure_table(&client, &table).await?;
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(client, table));
    let router = app(store.clone());

    println!("{}", capacity::HEADER);
    let mut token = String::new();
    let generated = QUOTE.replace(r#""reference": "ORD-10042","#, "");
    let flows = [
        Flow {
            name: "create order (reference given)",
            method: "POST",
            uri: "/v1/admin/orders",
            body: Some(QUOTE.into()),
            auth: Auth::Admin,
        },
        Flow {
            name: "create order (generated reference)",
            method: "POST",
            uri: "/v1/admin/orders",
            body: Some(generated),
            auth: Auth::Admin,
        },
        Flow {
            name: "lookup, success",
            method: "POST",
            uri: "/v1/order-lookups",
            body: lookup_body("83 000"),
            auth: Auth::None,
        },
        Flow {
            name: "lookup, wrong postcode",
            method: "POST",
            uri: "/v1/order-lookups",
            body: lookup_body("06000"),
            auth: Auth::None,
        },
        Flow {
            name: "order view with access token",
            method: "GET",
            uri: "/v1/orders/ORD-10042",
            body: None,
            auth: Auth::ShopperToken,
        },
        Flow {
            name: "back-office order view",
            method: "GET",
            uri: "/v1/admin/orders/ORD-10042",
            body: None,
            auth: Auth::Admin,
        },
    ];
    for flow in flows {
        let auth = match flow.auth {
            Auth::None => None,
            Auth::Admin => Some(ADMIN_KEY.to_string()),
            Auth::ShopperToken => Some(token.clone()),
        };
        counter.reset();
        let (status, json) = call(&router, flow.method, flow.uri, flow.body, auth.as_deref()).await;
        if let Some(t) = json.get("access_token").and_then(|t| t.as_str()) {
            token = t.to_string();
        }
        println!("{}", capacity::row(flow.name, status, &counter));
    }
    // Lock the reference, then count what a throttled attempt costs.
    for _ in 0..4 {
        call(
            &router,
            "POST",
            "/v1/order-lookups",
            lookup_body("06000"),
            None,
        )
        .await;
    }
    counter.reset();
    let (status, _) = call(
        &router,
        "POST",
        "/v1/order-lookups",
        lookup_body("83000"),
        None,
    )
    .await;
    println!(
        "{}",
        capacity::row("lookup, locked (after 5 failures)", status, &counter)
    );
    account_flow::count(store, &counter).await?;
    Ok(())
}

async fn time_warm_lookups() {
    const N: usize = 20_000;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let router = app(store);
    call(
        &router,
        "POST",
        "/v1/admin/orders",
        Some(QUOTE.into()),
        Some(ADMIN_KEY),
    )
    .await;
    let mut samples = Vec::with_capacity(N);
    for _ in 0..N {
        let started = Instant::now();
        let (status, _) = call(
            &router,
            "POST",
            "/v1/order-lookups",
            lookup_body("83000"),
            None,
        )
        .await;
        samples.push(started.elapsed());
        assert_eq!(status, 200);
    }
    samples.sort();
    let at = |q: f64| samples[((N as f64 * q) as usize).min(N - 1)];
    println!(
        "\nWarm lookup through the router on the memory store, {N} sequential calls: p50 {:.1} µs, p99 {:.1} µs.",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6
    );
}

/// The value after `--name`, parsed, or the default.
fn option<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("cold-start") {
        return cold_start::run(cold_start::ColdStartOptions {
            binaries: option(&args, "--binaries", "target/release".into()),
            runs: option(&args, "--runs", 10),
            warm_calls: option(&args, "--warm", 200),
        })
        .await;
    }
    if args.get(1).map(String::as_str) == Some("documents") {
        return documents::run(option(&args, "--runs", 50));
    }
    if args.get(1).map(String::as_str) == Some("load-header") {
        println!("{}", load::HEADER);
        return Ok(());
    }
    if args.get(1).map(String::as_str) == Some("instalments") {
        // Only the instalment collection run (`--due` on the memory store, 200 on moto).
        return instalment_run::count_instalment_run(option(&args, "--due", 10_000), 200).await;
    }
    if args.get(1).map(String::as_str) == Some("monthly-close") {
        // Why a job failed is only logged (the consumer reports ids): warnings on stderr.
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            )
            .init();
        // The SEPA month close: `--memory` customers on the memory store, `--moto` on
        // DynamoDB + SQS (moto); 0 skips one; `--quick` runs a few.
        let (memory, moto) = if args.iter().any(|a| a == "--quick") {
            (monthly_close::QUICK_MEMORY, monthly_close::QUICK_MOTO)
        } else {
            (monthly_close::DEFAULT_MEMORY, monthly_close::DEFAULT_MOTO)
        };
        let memory = option(&args, "--memory", memory);
        let moto = option(&args, "--moto", moto);
        // moto first: the memory run's app stays in memory until exit.
        let moto = match moto {
            0 => None,
            n => Some(monthly_close::run_moto(n).await?),
        };
        let memory = match memory {
            0 => None,
            n => Some(monthly_close::run_memory(n).await?),
        };
        monthly_close::print(memory.as_ref(), moto.as_ref(), LAMBDA_MEMORY_MB);
        return Ok(());
    }
    if args.get(1).map(String::as_str) == Some("load") {
        return load::run(load::LoadOptions {
            target: option(&args, "--target", "http://127.0.0.1:3000".into()),
            admin_key: option(&args, "--admin-key", String::new()),
            flow: option(&args, "--flow", "lookup".into()),
            store: option(&args, "--store", "memory".into()),
            concurrency: option(&args, "--concurrency", 8),
            seconds: option(&args, "--seconds", 10),
            orders: option(&args, "--orders", 2000),
        })
        .await
        .map_err(|e| e as Box<dyn std::error::Error>);
    }
    let only_latency = args.iter().any(|a| a == "--latency-only");
    let mut steps = Vec::new();
    if !only_latency {
        count_requests().await?;
        steps = card_flow::count_card_flow().await?;
        // Printed on its own; the cost of 1,000 checkouts stays the new-card checkout's.
        saved_card_flow::count_saved_card_flow().await?;
        // The daily instalment run: 10,000 due on the memory store, DynamoDB counted on 200.
        instalment_run::count_instalment_run(10_000, 200).await?;
        targets::print(&steps);
    }
    time_warm_lookups().await;
    if !steps.is_empty() {
        cost::print(&steps, LAMBDA_MEMORY_MB);
    }
    Ok(())
}
