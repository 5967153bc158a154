//! The daily instalment collection run at scale. One plan is paid for real (the first
//! instalment on the sandbox's card page, its webhook delivered), then copied onto `count`
//! orders, each with one scheduled instalment due today, all on the same saved card; the run
//! charges them off-session over HTTP to the sandbox PSP. Measured: wall time, PSP calls
//! (counted by the sandbox) and DynamoDB requests (counted at the SDK client, on moto).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use encaisse::adapters::dynamodb::RequestCounter;
use encaisse::app::collect_instalments::{CollectInstalments, CollectionReport};
use encaisse::app::return_url::ReturnOrigins;
use encaisse::domain::{Order, Payment, PaymentStatus, Reference};
use encaisse::ports::{ProviderRegistry, Store, SystemClock, Write};
use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig};
use serde_json::{json, Value};

use crate::card_flow::{deliver, last_event, Failure, ADMIN, SECRET};

struct App {
    base: String,
    store: Arc<dyn Store>,
    http: reqwest::Client,
}

async fn start(table: Option<String>, counter: Option<RequestCounter>) -> Result<App, Failure> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = build(Options {
        admin_api_key: ADMIN.into(),
        access_token_secret: b"bench-secret-bench-secret-bench-secret".to_vec(),
        dynamodb_table: table,
        sandbox: SandboxConfig {
            public_base_url: base.clone(),
            webhook_url: None,
            webhook_secret: SECRET.into(),
        },
        return_origins: ReturnOrigins::local_development(),
        dynamodb_request_counter: counter,
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
        instalments: encaisse::domain::instalments::InstalmentPolicy::parse("counts:2")?,
    })
    .await?;
    seed_demo_orders(app.store.as_ref()).await?;
    let (store, router) = (app.store.clone(), app.router);
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
    Ok(App { base, store, http })
}

/// ORD-10042 in two instalments, the first paid on the card page; returns the order and its
/// two payments (the first taken, the second scheduled).
async fn one_plan(app: &App) -> Result<(Order, Payment, Payment), Failure> {
    let (base, http) = (&app.base, &app.http);
    let lookup: Value = http
        .post(format!("{base}/v1/order-lookups"))
        .json(&json!({"reference": "ORD-10042", "postcode": "83000"}))
        .send()
        .await?
        .json()
        .await?;
    let token = lookup["access_token"].as_str().ok_or("no token")?;
    let started: Value = http
        .post(format!("{base}/v1/orders/ORD-10042/payments"))
        .bearer_auth(token)
        .header("idempotency-key", "bench-plan")
        .json(&json!({"method": "instalments", "instalments": 2, "return_url": format!("{base}/return"),
            "billing": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr",
                        "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}}}))
        .send()
        .await?
        .json()
        .await?;
    let page = started["next_action"]["url"].as_str().ok_or("no page")?;
    http.post(page)
        .form(&[
            ("name", "Jeanne Martin"),
            ("number", "4242424242424242"),
            ("exp", "12/40"),
            ("cvc", "123"),
        ])
        .send()
        .await?;
    deliver(
        http,
        base,
        &last_event(http, base, "payment_intent.succeeded").await?,
    )
    .await?;
    let snapshot = app
        .store
        .get_order_with_payments(&Reference::parse("ORD-10042")?)
        .await?
        .ok_or("no order")?;
    let find = |status| {
        snapshot
            .payments
            .iter()
            .find(|p| p.value.status == status)
            .map(|p| p.value.clone())
            .ok_or(format!("no {status:?} instalment"))
    };
    Ok((
        snapshot.order.value.clone(),
        find(PaymentStatus::Captured)?,
        find(PaymentStatus::Scheduled)?,
    ))
}

/// `count` copies of the plan, on orders ORD-300000…, their second instalment due today.
async fn copy_plan(
    app: &App,
    plan: &(Order, Payment, Payment),
    count: usize,
) -> Result<(), Failure> {
    let today = time::OffsetDateTime::now_utc().date();
    for i in 0..count {
        let reference = Reference::parse(&format!("ORD-{}", 300_000 + i))?;
        let mut order = plan.0.clone();
        order.reference = reference.clone();
        let mut first = plan.1.clone();
        first.order_reference = reference.clone();
        first.id = format!("pay_first{i:023}");
        let mut second = plan.2.clone();
        second.order_reference = reference;
        second.id = format!("pay_second{i:022}");
        second.method = encaisse::domain::PaymentMethod::Instalment {
            plan: first.id.clone(),
            index: 2,
            count: 2,
            retry: 0,
        };
        second.due_on = Some(today);
        app.store
            .transact(vec![
                Write::InsertOrder(order),
                Write::PutPayment {
                    payment: first,
                    expected_version: None,
                },
                Write::PutPayment {
                    payment: second,
                    expected_version: None,
                },
            ])
            .await?;
    }
    Ok(())
}

async fn psp_calls(app: &App) -> Result<u64, Failure> {
    let calls: Value = app
        .http
        .get(format!("{}/sandbox-psp/_calls", app.base))
        .send()
        .await?
        .json()
        .await?;
    Ok(calls["total"].as_u64().unwrap_or_default())
}

fn run_of(app: &App) -> Result<CollectInstalments, Failure> {
    let mut config =
        encaisse::adapters::stripe::StripeConfig::new("sk_test_bench", vec![SECRET.into()]);
    config.api_base = format!("{}/sandbox-psp", app.base);
    let connector = encaisse::adapters::stripe::StripeConnector::new(config)?;
    Ok(CollectInstalments::new(
        app.store.clone(),
        Arc::new(ProviderRegistry::single(Arc::new(connector))),
        Arc::new(SystemClock),
    ))
}

/// Seeds `count` due instalments, runs the collection once; the report, PSP calls, seconds.
async fn measure(app: &App, count: usize) -> Result<(CollectionReport, u64, f64), Failure> {
    let plan = one_plan(app).await?;
    copy_plan(app, &plan, count).await?;
    let run = run_of(app)?;
    let before = psp_calls(app).await?;
    let clock = Instant::now();
    let report = run.run().await?;
    let seconds = clock.elapsed().as_secs_f64();
    Ok((report, psp_calls(app).await? - before, seconds))
}

pub async fn count_instalment_run(memory_count: usize, moto_count: usize) -> Result<(), Failure> {
    println!("\nInstalment collection run (one instalment due per order, charged off-session):\n");
    let app = start(None, None).await?;
    let (report, calls, seconds) = measure(&app, memory_count).await?;
    println!(
        "  memory store, {memory_count} due: charged {}, deferred {}, {calls} PSP calls ({:.2} per instalment), {seconds:.1} s ({:.0} instalments/s)",
        report.charged,
        report.deferred,
        calls as f64 / memory_count as f64,
        memory_count as f64 / seconds
    );
    let counter = RequestCounter::recording();
    let table = format!("encaisse-bench-instal-{}", uuid::Uuid::new_v4().simple());
    let app = start(Some(table), Some(counter.clone())).await?;
    let plan = one_plan(&app).await?;
    copy_plan(&app, &plan, moto_count).await?;
    // One charge at a time: moto does not isolate concurrent transactions (DynamoDB does),
    // and the count per instalment does not depend on it.
    let run = run_of(&app)?.with_concurrency(1);
    counter.reset();
    let report = run.run().await?;
    let ops = counter.snapshot();
    let total = counter.total();
    println!(
        "  DynamoDB (moto, one charge at a time), {moto_count} due: charged {}, {total} requests ({:.2} per instalment): {}",
        report.charged,
        total as f64 / moto_count as f64,
        ops.iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
