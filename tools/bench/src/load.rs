//! A bounded load generator for a running devserver on loopback: C workers, each sending its
//! next request as soon as the previous one is answered, for at most S seconds (or until the
//! prepared orders run out). Lookups use correct postcodes (the brute-force throttle counts
//! failures only); each initiation uses its own order, access token and Idempotency-Key, as a
//! shopper's first "Pay now" would, each order by a different buyer: first payments of several
//! orders by one buyer at once contend on the buyer's profile item (and its PSP customer) and
//! some get 409 / 502, which is not what this measures. Any other answer than the expected
//! status is an error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Mutex;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A request not answered by then counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub struct LoadOptions {
    pub target: String,
    pub admin_key: String,
    pub flow: String,
    pub store: String,
    pub concurrency: usize,
    pub seconds: u64,
    pub orders: usize,
}

struct Order {
    reference: String,
    token: String,
}

async fn prepare(http: &reqwest::Client, o: &LoadOptions, n: usize) -> Result<Vec<Order>, Failure> {
    let prefix = uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase();
    let references: Vec<String> = (0..n).map(|i| format!("LD{prefix}-{i}")).collect();
    let queue = Arc::new(Mutex::new(references));
    let prepared = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let mut workers = Vec::new();
    for _ in 0..o.concurrency.max(1) {
        let (http, queue, prepared) = (http.clone(), queue.clone(), prepared.clone());
        let (target, admin) = (o.target.clone(), o.admin_key.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(reference) = queue.lock().await.pop() else {
                    return Ok::<(), Failure>(());
                };
                // One buyer per order, see the module comment.
                let quote = crate::QUOTE.replace("ORD-10042", &reference).replace(
                    "buyer@example.fr",
                    &format!("{}@example.fr", reference.to_lowercase()),
                );
                let created = http
                    .post(format!("{target}/v1/admin/orders"))
                    .bearer_auth(&admin)
                    .header("content-type", "application/json")
                    .body(quote)
                    .send()
                    .await?;
                if created.status().as_u16() != 201 {
                    return Err(format!("creating {reference}: {}", created.status()).into());
                }
                let found: Value = http
                    .post(format!("{target}/v1/order-lookups"))
                    .json(&json!({"reference": reference, "postcode": "83000"}))
                    .send()
                    .await?
                    .json()
                    .await?;
                let token = found["access_token"]
                    .as_str()
                    .ok_or("lookup gave no token")?
                    .to_string();
                prepared.lock().await.push(Order { reference, token });
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    let orders = std::mem::take(&mut *prepared.lock().await);
    Ok(orders)
}

/// One request of the flow: Ok with the expected status, Err with what came instead.
async fn one(
    http: &reqwest::Client,
    target: &str,
    flow: &str,
    order: &Order,
) -> Result<(), String> {
    let (expected, reply) = send(http, target, flow, order)
        .await
        .map_err(|e| e.to_string())?;
    let status = reply.status().as_u16();
    let body = reply.bytes().await.map_err(|e| e.to_string())?;
    if status == expected {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
    }
}

async fn send(
    http: &reqwest::Client,
    target: &str,
    flow: &str,
    order: &Order,
) -> Result<(u16, reqwest::Response), reqwest::Error> {
    if flow == "lookup" {
        let reply = http
            .post(format!("{target}/v1/order-lookups"))
            .json(&json!({"reference": order.reference, "postcode": "83 000"}))
            .send()
            .await?;
        return Ok((200, reply));
    }
    let reply = http
        .post(format!("{target}/v1/orders/{}/payments", order.reference))
        .bearer_auth(&order.token)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(
            &json!({"method": "card", "return_url": format!("{target}/return"),
            "billing": {"name": "Jeanne Martin", "email": format!("{}@example.fr", order.reference.to_lowercase()),
                        "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000",
                                    "city": "Toulon", "country": "FR"}}}),
        )
        .send()
        .await?;
    Ok((201, reply))
}

pub async fn run(o: LoadOptions) -> Result<(), Failure> {
    if !o.target.starts_with("http://127.0.0.1:") {
        return Err("the load generator only targets http://127.0.0.1:<port>".into());
    }
    if o.flow != "lookup" && o.flow != "initiation" {
        return Err("--flow is lookup or initiation".into());
    }
    // The run is bounded by `seconds` plus, at worst, one request's timeout.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    // Lookups cycle over a few orders; initiations each take a fresh one.
    let wanted = if o.flow == "lookup" { 20 } else { o.orders };
    let prepared_at = Instant::now();
    let orders = prepare(&http, &o, wanted).await?;
    let preparation = prepared_at.elapsed();

    let pool = Arc::new(Mutex::new(orders));
    let lookups: Arc<Vec<Order>> = if o.flow == "lookup" {
        Arc::new(std::mem::take(&mut *pool.lock().await))
    } else {
        Arc::new(Vec::new())
    };
    let limit = Duration::from_secs(o.seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..o.concurrency.max(1) {
        let (http, pool, lookups) = (http.clone(), pool.clone(), lookups.clone());
        let (target, flow) = (o.target.clone(), o.flow.clone());
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0u64;
            let mut i = w;
            while started.elapsed() < limit {
                let fresh;
                let order = if flow == "lookup" {
                    i += 1;
                    &lookups[i % lookups.len()]
                } else {
                    let Some(next) = pool.lock().await.pop() else {
                        break;
                    };
                    fresh = next;
                    &fresh
                };
                let sent = Instant::now();
                match one(&http, &target, &flow, order).await {
                    Ok(()) => samples.push(sent.elapsed()),
                    Err(what) => {
                        if errors < 3 {
                            eprintln!("load: {}", what.chars().take(300).collect::<String>());
                        }
                        errors += 1;
                    }
                }
            }
            (samples, errors)
        }));
    }
    let mut samples = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (s, e) = w.await?;
        samples.extend(s);
        errors += e;
    }
    let elapsed = started.elapsed();
    let exhausted = o.flow == "initiation" && pool.lock().await.is_empty();
    samples.sort();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "| {} | {} | {} | {:.1}{} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1} s for {} |",
        o.store,
        o.flow,
        o.concurrency,
        elapsed.as_secs_f64(),
        if exhausted { " (orders used up)" } else { "" },
        samples.len(),
        samples.len() as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        errors,
        preparation.as_secs_f64(),
        if o.flow == "lookup" {
            "20 orders".to_string()
        } else {
            format!("{wanted} orders + tokens")
        }
    );
    if errors > 0 {
        return Err(format!("{errors} errors under load").into());
    }
    Ok(())
}

/// The table header matching `run`'s rows.
pub const HEADER: &str = "| store | flow | concurrency | seconds | answered | req/s | p50 ms | p99 ms | errors | preparation (untimed) |\n|---|---|---|---|---|---|---|---|---|---|";
