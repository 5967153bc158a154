//! Cold starts: each release bootstrap binary is exec'd the way Lambda does it
//! (`AWS_LAMBDA_RUNTIME_API` pointing at [`RuntimeApi`]), handed one realistic invocation built
//! from `events/*.json`, and timed from exec to its answer. Peak RSS is the child's VmHWM read
//! just before it is killed. The state each invocation needs (orders, access tokens, an
//! authorised payment, an outbox event on the queue) is prepared beforehand, untimed, through
//! an in-process devserver app (sandbox PSP included) on the same moto table (`cold_fixtures`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use encaisse::adapters::dynamodb::{client_from_env, schema};
use serde_json::{json, Value};

use crate::card_flow::SECRET;
use crate::cold_fixtures::{
    api_event, sqs_event, start_devserver, DOMAIN_EVENTS, GET_ORDER, LOOKUP, SCHEDULE, SHIPMENTS,
    SIGN_IN, START_PAYMENT, TOKEN_SECRET, WEBHOOK,
};
use crate::runtime_api::{Report, RuntimeApi};

type Failure = Box<dyn std::error::Error>;

const LIMIT: Duration = Duration::from_secs(30);

/// One exec → answer.
struct Sample {
    /// exec → first `/next` poll (the function's own init: config, clients, warm-up GetItem).
    init: Duration,
    /// exec → the first response received.
    total: Duration,
    /// VmHWM, kB.
    peak_rss_kb: u64,
    outcome: String,
}

struct Environment {
    vars: Vec<(String, String)>,
    logs: PathBuf,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// What the invocation answered, in a few words: the HTTP status, the SQS batch failures, the
/// relay's count.
fn outcome(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return "non-JSON answer".into();
    };
    if let Some(status) = json.get("statusCode") {
        return format!("HTTP {status}");
    }
    if let Some(failures) = json.get("batchItemFailures").and_then(Value::as_array) {
        return format!("{} batch item failures", failures.len());
    }
    if let Some(published) = json.get("published") {
        return format!("published {published}");
    }
    "answered".into()
}

struct Running {
    child: Child,
    api: RuntimeApi,
    started: Instant,
}

impl Running {
    async fn spawn(binary: &Path, env: &Environment, name: &str) -> Result<Self, Failure> {
        let api = RuntimeApi::start().await?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(env.logs.join(format!("{name}.log")))?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(env.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let started = Instant::now();
        let child = command.spawn()?;
        Ok(Self {
            child,
            api,
            started,
        })
    }

    /// The next report; fails early if the process exits (e.g. a configuration error at init).
    async fn report(&mut self) -> Result<Report, Failure> {
        let deadline = Instant::now() + LIMIT;
        while Instant::now() < deadline {
            if let Some(report) = self.api.report(Duration::from_millis(100)).await {
                return Ok(report);
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(
                    format!("exited ({status}) without answering; see target/cold-start/").into(),
                );
            }
        }
        Err("no answer within 30 s; see target/cold-start/".into())
    }

    /// Waits for the answer to the invocation just queued.
    async fn answer(&mut self) -> Result<(Instant, Vec<u8>), Failure> {
        loop {
            match self.report().await? {
                Report::Ready(_) => continue,
                Report::Response(at, body) => return Ok((at, body.to_vec())),
                Report::Error(text) => return Err(format!("function error: {text}").into()),
            }
        }
    }

    async fn cold(&mut self, payload: Vec<u8>) -> Result<(Sample, Vec<u8>), Failure> {
        self.api.invoke(payload);
        let mut ready = None;
        let answered = loop {
            match self.report().await? {
                Report::Ready(at) => ready = Some(at),
                Report::Response(at, body) => break (at, body.to_vec()),
                Report::Error(text) => return Err(format!("function error: {text}").into()),
            }
        };
        let (at, body) = answered;
        let sample = Sample {
            init: ready.unwrap_or(at) - self.started,
            total: at - self.started,
            peak_rss_kb: peak_rss_kb(self.child.id()),
            outcome: outcome(&body),
        };
        Ok((sample, body))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn cold_start(
    binary: &Path,
    env: &Environment,
    name: &str,
    payload: Vec<u8>,
) -> Result<(Sample, Vec<u8>), Failure> {
    let mut running = Running::spawn(binary, env, name).await?;
    running.cold(payload).await
}

/// Warm invocations on one process after its cold one: time from queuing the invocation (the
/// runtime is already long-polling) to its response.
async fn warm(
    binary: &Path,
    env: &Environment,
    name: &str,
    payload: &[u8],
    n: usize,
) -> Result<Vec<Duration>, Failure> {
    let mut running = Running::spawn(binary, env, name).await?;
    running.cold(payload.to_vec()).await?;
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let queued = Instant::now();
        running.api.invoke(payload.to_vec());
        let (at, body) = running.answer().await?;
        if !outcome(&body).contains("200") {
            return Err(format!("{name}: warm invocation answered {}", outcome(&body)).into());
        }
        samples.push(at - queued);
    }
    samples.sort();
    Ok(samples)
}

struct Stats {
    name: String,
    samples: Vec<Sample>,
}

impl Stats {
    fn totals(&self) -> Vec<Duration> {
        let mut t: Vec<Duration> = self.samples.iter().map(|s| s.total).collect();
        t.sort();
        t
    }
    fn inits(&self) -> Vec<Duration> {
        let mut t: Vec<Duration> = self.samples.iter().map(|s| s.init).collect();
        t.sort();
        t
    }
    fn median(&self) -> Duration {
        percentile(&self.totals(), 0.5)
    }
}

pub struct ColdStartOptions {
    pub binaries: PathBuf,
    pub runs: usize,
    pub warm_calls: usize,
}

pub async fn run(options: ColdStartOptions) -> Result<(), Failure> {
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        return Err("AWS_ENDPOINT_URL is not set: run scripts/bench, which starts moto".into());
    }
    let runs = options.runs.max(1);
    let table = format!("encaisse-cold-{}", uuid::Uuid::new_v4().simple());
    let dynamo = client_from_env(None).await;
    schema::ensure_table(&dynamo, &table).await?;
    let sqs = encaisse::adapters::sqs::SqsEventQueue::client_from_env().await;
    let queue_url = sqs
        .create_queue()
        .queue_name(format!(
            "encaisse-cold-events-{}",
            uuid::Uuid::new_v4().simple()
        ))
        .send()
        .await?
        .queue_url()
        .ok_or("CreateQueue returned no URL")?
        .to_string();
    let sender = "factures@atelier.example";
    encaisse::adapters::ses::client_from_env()
        .await
        .verify_email_identity()
        .email_address(sender)
        .send()
        .await?;

    let (prep, base) = start_devserver(&table).await?;
    // Where the notifier keeps invoice PDFs (and lookup / back office link them from).
    let documents_bucket = format!("encaisse-bench-docs-{}", uuid::Uuid::new_v4().simple());
    encaisse::adapters::s3::S3DocumentFiles::new(
        encaisse::adapters::s3::client_from_config(&aws_config::load_from_env().await),
        documents_bucket.clone(),
    )
    .create_bucket()
    .await?;

    let logs = PathBuf::from("target/cold-start");
    std::fs::create_dir_all(&logs)?;
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_") || k == "PATH")
        .collect();
    for (k, v) in [
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
        ("RUST_LOG", "warn"),
        ("TABLE_NAME", &table),
        ("ACCESS_TOKEN_SECRET", TOKEN_SECRET),
        ("STRIPE_API_KEY", "sk_test_bench"),
        ("STRIPE_API_BASE", &format!("{base}/sandbox-psp")),
        ("STRIPE_WEBHOOK_SECRET", SECRET),
        ("ALLOWED_RETURN_ORIGINS", "https://shop.example"),
        ("EVENTS_QUEUE_URL", &queue_url),
        ("EINVOICING_QUEUE_URL", &queue_url),
        ("SES_SENDER", sender),
        ("SELLER_LEGAL_NAME", "Atelier Laser SAS"),
        ("SELLER_ADDRESS", "12 quai Cronstadt"),
        ("SELLER_POSTCODE", "83000"),
        ("SELLER_CITY", "Toulon"),
        ("SELLER_SIREN", "123456789"),
        ("SELLER_VAT_NUMBER", "FR32123456789"),
        ("SELLER_RCS", "RCS Toulon 123 456 789"),
        ("SELLER_SHARE_CAPITAL", "10 000 EUR"),
        ("SELLER_EMAIL", "seller@shop.example"),
        ("PAY_PAGE_URL", "https://shop.example/pay"),
        ("DOCUMENTS_BUCKET", &documents_bucket),
    ] {
        vars.retain(|(name, _)| name != k);
        vars.push((k.to_string(), v.to_string()));
    }
    let env = Environment { vars, logs };
    let bin = |name: &str| options.binaries.join(name);

    let lookup_event = api_event(
        LOOKUP,
        "/v1/order-lookups",
        r#"{"reference":"ORD-10042","postcode":"83 000"}"#,
        &[],
    );
    let get_order_event = serde_json::to_vec(&serde_json::from_str::<Value>(GET_ORDER)?)?;
    let mut all = Vec::new();

    // The baseline and the read-only functions: the same invocation each time.
    for (name, event) in [
        ("hello-lambda", &lookup_event),
        ("order-lookup", &lookup_event),
        ("back-office", &get_order_event),
    ] {
        let mut stats = Stats {
            name: name.into(),
            samples: Vec::new(),
        };
        for _ in 0..runs {
            stats
                .samples
                .push(cold_start(&bin(name), &env, name, event.clone()).await?.0);
        }
        all.push(stats);
    }

    // initiate-payment: a fresh order (and token) per run, as a shopper's first "Pay now".
    let mut pages = Vec::new();
    let mut references = Vec::new();
    let mut stats = Stats {
        name: "initiate-payment".into(),
        samples: Vec::new(),
    };
    for i in 0..runs {
        let reference = format!(
            "ORD-CS{:03}-{}",
            i,
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        prep.create_order(&reference).await?;
        let token = prep.token(&reference).await?;
        let path = format!("/v1/orders/{reference}/payments");
        let body: Value = serde_json::from_str(START_PAYMENT)?;
        let key = uuid::Uuid::new_v4().to_string();
        let event = api_event(
            START_PAYMENT,
            &path,
            body["body"].as_str().unwrap_or_default(),
            &[
                ("authorization", &format!("Bearer {token}")),
                ("idempotency-key", &key),
            ],
        );
        let (sample, answer) =
            cold_start(&bin("initiate-payment"), &env, "initiate-payment", event).await?;
        let answer: Value = serde_json::from_slice(&answer)?;
        let started: Value = serde_json::from_str(answer["body"].as_str().unwrap_or("{}"))?;
        let page = started["next_action"]["url"]
            .as_str()
            .ok_or_else(|| format!("initiate-payment answered {}", sample.outcome))?
            .to_string();
        pages.push(page);
        references.push(reference);
        stats.samples.push(sample);
    }
    all.push(stats);

    // psp-webhook: each payment authorised at the sandbox, its first delivery.
    let mut stats = Stats {
        name: "psp-webhook".into(),
        samples: Vec::new(),
    };
    for page in &pages {
        let (payload, signature) = prep.pay(page).await?;
        let event = api_event(
            WEBHOOK,
            "/v1/webhooks/stripe",
            &payload,
            &[("stripe-signature", &signature)],
        );
        stats.samples.push(
            cold_start(&bin("psp-webhook"), &env, "psp-webhook", event)
                .await?
                .0,
        );
    }
    all.push(stats);

    // capture-on-shipment: one shipment message per authorised order.
    let mut stats = Stats {
        name: "capture-on-shipment".into(),
        samples: Vec::new(),
    };
    for reference in &references {
        let body = json!({"reference": reference, "shipment_id": "parcel-1", "amount": "1000.00"});
        let event = sqs_event(SHIPMENTS, &[body.to_string()]);
        stats.samples.push(
            cold_start(
                &bin("capture-on-shipment"),
                &env,
                "capture-on-shipment",
                event,
            )
            .await?
            .0,
        );
    }
    all.push(stats);

    // notifier: the domain events psp-webhook published to the queue, one per run.
    let mut bodies = Vec::new();
    while bodies.len() < runs {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await?;
        let messages = received.messages();
        if messages.is_empty() {
            break;
        }
        bodies.extend(messages.iter().filter_map(|m| m.body().map(str::to_owned)));
    }
    if bodies.is_empty() {
        return Err("psp-webhook published no domain event to the queue".into());
    }
    let mut stats = Stats {
        name: "notifier".into(),
        samples: Vec::new(),
    };
    for i in 0..runs {
        let event = sqs_event(DOMAIN_EVENTS, &[bodies[i % bodies.len()].clone()]);
        stats.samples.push(
            cold_start(&bin("notifier"), &env, "notifier", event)
                .await?
                .0,
        );
    }
    all.push(stats);

    // outbox-relay: the schedule event; the captures above left events pending.
    let schedule = serde_json::to_vec(&serde_json::from_str::<Value>(SCHEDULE)?)?;
    let mut stats = Stats {
        name: "outbox-relay".into(),
        samples: Vec::new(),
    };
    for _ in 0..runs {
        stats.samples.push(
            cold_start(&bin("outbox-relay"), &env, "outbox-relay", schedule.clone())
                .await?
                .0,
        );
    }
    all.push(stats);

    // shopper-account: a sign-in code asked, each run for another address (one email may ask
    // 5 an hour).
    let mut stats = Stats {
        name: "shopper-account".into(),
        samples: Vec::new(),
    };
    for i in 0..runs {
        let mut event: Value = serde_json::from_str(SIGN_IN)?;
        event["body"] = json!({ "email": format!("bench-{i}@example.fr") })
            .to_string()
            .into();
        let event = serde_json::to_vec(&event)?;
        let cold = cold_start(&bin("shopper-account"), &env, "shopper-account", event).await?;
        stats.samples.push(cold.0);
    }
    all.push(stats);

    print_cold(&all, runs);

    // Warm invocations of the same process (after its cold one), repeatable events only.
    let n = options.warm_calls;
    println!("\n### Warm invocations through the Runtime API\n");
    println!(
        "One process per function, its cold invocation first, then {n} invocations of the same \
         event one after the other; time from queuing the invocation (the runtime is already \
         polling) to its response, Runtime API HTTP included. DynamoDB is moto (a Python \
         emulator on loopback), so these are dominated by moto, not by the function.\n"
    );
    println!("| function | event | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    for (name, label, event) in [
        ("hello-lambda", "any API Gateway event", &lookup_event),
        ("order-lookup", "lookup (BatchGetItem)", &lookup_event),
        ("back-office", "GET order (Query)", &get_order_event),
    ] {
        let samples = warm(&bin(name), &env, name, event, n).await?;
        println!(
            "| {name} | {label} | {} | {} |",
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.99))
        );
    }
    Ok(())
}

fn print_cold(all: &[Stats], runs: usize) {
    let hello = all
        .iter()
        .find(|s| s.name == "hello-lambda")
        .map(Stats::median)
        .unwrap_or_default();
    println!("| binary | first invocation | init median ms | exec → answer median ms | p90 ms | × hello world (median) | peak RSS MB (max) |");
    println!("|---|---|---|---|---|---|---|");
    for stats in all {
        let totals = stats.totals();
        let mut outcomes: Vec<&str> = stats.samples.iter().map(|s| s.outcome.as_str()).collect();
        outcomes.sort();
        outcomes.dedup();
        let rss = stats
            .samples
            .iter()
            .map(|s| s.peak_rss_kb)
            .max()
            .unwrap_or(0);
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {:.1} |",
            stats.name,
            outcomes.join(", "),
            ms(percentile(&stats.inits(), 0.5)),
            ms(percentile(&totals, 0.5)),
            ms(percentile(&totals, 0.9)),
            stats.median().as_secs_f64() / hello.as_secs_f64().max(1e-9),
            rss as f64 / 1024.0
        );
    }
    println!("\n{runs} cold starts per binary, one after the other (a new process each time).");
}
