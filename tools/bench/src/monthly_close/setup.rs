//! The monthly close's setup: the devserver app, one real SEPA customer over HTTP (the
//! template), its copies written straight into the store. Nothing here is measured.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use encaisse::adapters::dynamodb::{client_from_env, RequestCounter};
use encaisse::adapters::stripe::{StripeConfig, StripeConnector};
use encaisse::app::return_url::ReturnOrigins;
use encaisse::app::start_sepa::SepaSettings;
use encaisse::domain::sepa::{DebitLine, DebitMonth, DebitStatus, Mandate, SepaAccount};
use encaisse::domain::{customer_id, CustomerProfile, Order, Payment, PaymentMethod, Reference};
use encaisse::ports::{Clock, ProviderRegistry, SepaWrite, Store, Write};
use encaisse_dev::{build, Options, SandboxConfig, SandboxPsp};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::card_flow::{Failure, ADMIN, SECRET};

const EMAIL: &str = "jeanne.martin@example.fr";
/// Stripe's test IBAN that succeeds.
const IBAN: &str = "DE89370400440532013000";
/// The template's three purchases (each + 6.90 shipping, + 20 % VAT): 140.64 in all, under
/// the default cap of 250.
const PRICES: [&str; 3] = ["14.50", "30.00", "52.00"];

/// The close instant and the collection day come from the bench, not the wall clock.
#[derive(Default)]
pub(super) struct BenchClock(Mutex<Option<OffsetDateTime>>);

impl BenchClock {
    pub(super) fn set(&self, at: OffsetDateTime) {
        if let Ok(mut now) = self.0.lock() {
            *now = Some(at);
        }
    }
}

impl Clock for BenchClock {
    fn now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .ok()
            .and_then(|now| *now)
            .unwrap_or_else(OffsetDateTime::now_utc)
    }
}

pub(super) struct App {
    pub(super) base: String,
    pub(super) store: Arc<dyn Store>,
    pub(super) sandbox: SandboxPsp,
    pub(super) http: reqwest::Client,
}

pub(super) async fn start(
    table: Option<String>,
    counter: Option<RequestCounter>,
) -> Result<App, Failure> {
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
        sepa: Some(SepaSettings::local()),
        instalments: None,
    })
    .await?;
    let (store, sandbox, router) = (app.store.clone(), app.sandbox.clone(), app.router);
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
    Ok(App {
        base,
        store,
        sandbox,
        http,
    })
}

/// What one real SEPA customer left in the store, to be copied.
pub(super) struct Template {
    profile: CustomerProfile,
    mandate: Mandate,
    account: SepaAccount,
    pub(super) month: DebitMonth,
    /// Each purchase: its order, its payment and its line on the month.
    purchases: Vec<(Order, Payment, DebitLine)>,
}

async fn post_json(
    app: &App,
    path: &str,
    bearer: Option<&str>,
    idempotency_key: Option<&str>,
    body: Value,
) -> Result<(u16, Value), Failure> {
    let mut request = app.http.post(format!("{}{path}", app.base)).json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let reply = request.send().await?;
    let status = reply.status().as_u16();
    Ok((status, reply.json().await.unwrap_or(Value::Null)))
}

fn expect(status: u16, wanted: u16, what: &str, body: &Value) -> Result<(), Failure> {
    if status == wanted {
        Ok(())
    } else {
        Err(format!("{what}: HTTP {status}, expected {wanted}: {body}").into())
    }
}

/// Signs in, adds a mandate on the sandbox's page, buys three orders by SEPA; reads back
/// what that wrote.
pub(super) async fn template(app: &App) -> Result<Template, Failure> {
    // The quotes first: a sign-in code goes to a known customer only.
    for (i, price) in PRICES.iter().enumerate() {
        let (status, body) = post_json(
            app,
            "/v1/admin/orders",
            Some(ADMIN),
            None,
            json!({
                "reference": format!("ORD-2400{i}"),
                "customer": {"email": EMAIL, "name": "Jeanne Martin"},
                "currency": "EUR",
                "lines": [{"sku": "GAN-02", "description": "Gants", "quantity": 1, "unit_price": price, "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "6.90", "tax_rate": "20",
                             "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                         "city": "Toulon", "country": "FR"}}
            }),
        )
        .await?;
        expect(status, 201, "quote", &body)?;
    }
    let (status, body) =
        post_json(app, "/v1/me/sign-in", None, None, json!({"email": EMAIL})).await?;
    expect(status, 202, "sign-in code", &body)?;
    let sent: Vec<Value> = app
        .http
        .get(format!("{}/dev/outbox", app.base))
        .send()
        .await?
        .json()
        .await?;
    let code = sent
        .iter()
        .rev()
        .filter(|e| e["to"] == EMAIL)
        .find_map(|e| {
            e["text"]
                .as_str()?
                .split("\n\n")
                .find(|p| p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string)
        })
        .ok_or("no sign-in code emailed")?;
    let (status, opened) = post_json(
        app,
        "/v1/me/sessions",
        None,
        None,
        json!({"email": EMAIL, "code": code}),
    )
    .await?;
    expect(status, 201, "session", &opened)?;
    let session = opened["session_token"].as_str().ok_or("no session")?;
    let (status, added) = post_json(
        app,
        "/v1/me/mandates",
        Some(session),
        None,
        json!({"return_url": format!("{}/account", app.base)}),
    )
    .await?;
    expect(status, 201, "mandate", &added)?;
    let page = added["url"].as_str().ok_or("no mandate page")?;
    let page = if page.starts_with('/') {
        format!("{}{page}", app.base)
    } else {
        page.to_string()
    };
    let reply = app
        .http
        .post(page)
        .form(&[("name", "Jeanne Martin"), ("email", EMAIL), ("iban", IBAN)])
        .send()
        .await?;
    if reply.status().as_u16() != 303 {
        return Err(format!("mandate page: HTTP {}", reply.status()).into());
    }
    let billing = json!({"name": "Jeanne Martin", "email": EMAIL,
        "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}});
    for i in 0..PRICES.len() {
        let reference = format!("ORD-2400{i}");
        let (status, lookup) = post_json(
            app,
            "/v1/order-lookups",
            None,
            None,
            json!({"reference": reference, "postcode": "83000"}),
        )
        .await?;
        expect(status, 200, "lookup", &lookup)?;
        let token = lookup["access_token"].as_str().ok_or("no access token")?;
        let (status, started) = post_json(
            app,
            &format!("/v1/orders/{reference}/payments"),
            Some(token),
            Some(&reference),
            json!({"method": "sepa_debit", "billing": billing,
                   "return_url": format!("{}/return", app.base)}),
        )
        .await?;
        expect(status, 201, "SEPA purchase", &started)?;
    }
    let id = customer_id(EMAIL);
    let sepa = app.store.load_sepa(&id).await?;
    let profile = app
        .store
        .get_customer(&id)
        .await?
        .ok_or("no customer profile")?
        .value;
    let mandate = sepa.active_mandate().cloned().ok_or("no active mandate")?;
    let account = sepa.account.clone().ok_or("no SEPA standing")?.value;
    let month = sepa.months.first().ok_or("no SEPA month")?.value.clone();
    let mut purchases = Vec::new();
    for (payment_id, line) in &month.lines {
        let snapshot = app
            .store
            .get_order_with_payments(&line.order_reference)
            .await?
            .ok_or("no order")?;
        let payment = snapshot
            .payments
            .iter()
            .find(|p| &p.value.id == payment_id)
            .ok_or("no payment")?
            .value
            .clone();
        purchases.push((snapshot.order.value.clone(), payment, line.clone()));
    }
    if month.status != DebitStatus::Open || purchases.len() != PRICES.len() {
        return Err(format!("unexpected template month: {month:?}").into());
    }
    Ok(Template {
        profile,
        mandate,
        account,
        month,
        purchases,
    })
}

/// Customer `i`'s id: 0 is the template's own customer, the others its copies.
pub(super) fn id_of(i: usize) -> String {
    if i == 0 {
        customer_id(EMAIL)
    } else {
        customer_id(&format!("client{i}@bench.example"))
    }
}

/// Customer `i` (from 1): the template's items under its own ids, with the first 1 + i % 3
/// purchases.
fn customer_writes(t: &Template, i: usize) -> Result<Vec<Write>, Failure> {
    let email = format!("client{i}@bench.example");
    let id = customer_id(&email);
    let mut profile = t.profile.clone();
    profile.id = id.clone();
    profile.email = email.clone();
    let mut mandate = t.mandate.clone();
    mandate.id = format!("mdt_{:032x}", i + 1);
    mandate.customer_id = id.clone();
    let mut account = t.account.clone();
    account.customer_id = id.clone();
    let mut month = t.month.clone();
    month.customer_id = id.clone();
    month.lines.clear();
    month.total = Decimal::ZERO;
    let mut writes = vec![
        Write::PutCustomer {
            customer: profile,
            expected_version: None,
        },
        Write::Sepa(SepaWrite::PutAccount {
            account,
            expected_version: None,
        }),
    ];
    for (j, (order, payment, line)) in t.purchases.iter().take(1 + i % 3).enumerate() {
        let n = 3 * i + j;
        let reference = Reference::parse(&format!("ORD-{}", 500_000 + n))?;
        let mut order = order.clone();
        order.reference = reference.clone();
        order.customer.email = email.clone();
        let mut payment = payment.clone();
        payment.id = format!("pay_sepa{n:024}");
        payment.order_reference = reference.clone();
        payment.method = PaymentMethod::SepaDebit {
            mandate: mandate.id.clone(),
        };
        month.add_line(
            &payment.id,
            DebitLine {
                order_reference: reference,
                ..line.clone()
            },
        );
        writes.push(Write::InsertOrder(order));
        writes.push(Write::PutPayment {
            payment,
            expected_version: None,
        });
    }
    writes.push(Write::Sepa(SepaWrite::PutMandate {
        mandate,
        expected_version: None,
    }));
    writes.push(Write::Sepa(SepaWrite::PutMonth {
        month,
        expected_version: None,
    }));
    Ok(writes)
}

/// Memory: one transaction per customer (1 to n - 1: customer 0 is the template's own).
pub(super) async fn seed_memory(store: &dyn Store, t: &Template, n: usize) -> Result<(), Failure> {
    for i in 1..n {
        store.transact(customer_writes(t, i)?).await?;
    }
    Ok(())
}

/// DynamoDB: the items the store's own transaction would put, sent as BatchWriteItem (25 a
/// request, 4 requests in flight) on an uncounted client: moto copies the whole table for
/// each item of a transaction, which would make seeding 1,000 customers take long.
pub(super) async fn seed_dynamodb(table: &str, t: &Template, n: usize) -> Result<(), Failure> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let client = client_from_env(None).await;
    let mut requests = Vec::new();
    for i in 1..n {
        for write in customer_writes(t, i)? {
            let item = encaisse::adapters::dynamodb::transact::transact_item(table, &write)?;
            let put = item.put().ok_or("a seed write that is not a Put")?;
            let request = PutRequest::builder()
                .set_item(Some(put.item().clone()))
                .build()?;
            requests.push(WriteRequest::builder().put_request(request).build());
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in requests.chunks(25) {
        if tasks.len() >= 4 {
            if let Some(done) = tasks.join_next().await {
                done??;
            }
        }
        let (client, table, mut chunk) = (client.clone(), table.to_string(), chunk.to_vec());
        tasks.spawn(async move {
            for _ in 0..20 {
                let out = client
                    .batch_write_item()
                    .request_items(&table, chunk)
                    .send()
                    .await
                    .map_err(|e| format!("BatchWriteItem: {e:?}"))?;
                chunk = out
                    .unprocessed_items()
                    .and_then(|u| u.get(&table))
                    .cloned()
                    .unwrap_or_default();
                if chunk.is_empty() {
                    return Ok::<(), String>(());
                }
            }
            Err("BatchWriteItem left items unprocessed".into())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

pub(super) fn connector(app: &App) -> Result<Arc<ProviderRegistry>, Failure> {
    let mut config = StripeConfig::new("sk_test_bench", vec![SECRET.into()]);
    config.api_base = format!("{}/sandbox-psp", app.base);
    Ok(Arc::new(ProviderRegistry::single(Arc::new(
        StripeConnector::new(config)?,
    ))))
}
