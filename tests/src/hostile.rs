//! The shop of `shop.rs` with what hostile tests need to count: a proxy in front of it through
//! which the production connector reaches the sandbox PSP (so every PSP call is recorded), the
//! sandbox's own handle, the table name (to read outbox items directly), and optionally no
//! automatic webhook delivery, so a test delivers events itself.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use encaisse::adapters::dynamodb::{client_from_env, DynamoStore, RequestCounter};
use encaisse::adapters::stripe::{StripeConfig, StripeConnector};
use encaisse::app::return_url::ReturnOrigins;
use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig, SandboxPsp};
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::proxy::Proxy;
use crate::shop::{Shop, WEBHOOK_SECRET};

pub struct Harness {
    pub shop: Shop,
    /// In front of the shop: the connector's PSP calls and the hosted pages go through it.
    pub psp: Proxy,
    pub sandbox: SandboxPsp,
    pub table: String,
}

/// moto's own endpoint, and a serialising proxy in front of it that every DynamoDB client of
/// this test binary uses from now on (through `AWS_ENDPOINT_URL`): see
/// `Proxy::start_serialising`. The proxy runs on its own thread, so it outlives each test's
/// runtime.
pub fn moto_behind_serialising_proxy() -> &'static str {
    static MOTO: OnceLock<String> = OnceLock::new();
    MOTO.get_or_init(|| {
        let moto = crate::emulator_endpoint();
        let (tx, rx) = std::sync::mpsc::channel();
        let upstream = moto.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let proxy = Proxy::start_serialising(&upstream).await;
                tx.send(proxy.base.clone()).expect("proxy address");
                std::future::pending::<()>().await
            })
        });
        let base = rx.recv().expect("serialising proxy started");
        // Every test of the binary passes through here before building a client, and the
        // others wait on the OnceLock meanwhile: nobody reads the environment concurrently.
        std::env::set_var("AWS_ENDPOINT_URL", &base);
        moto
    })
}

/// `deliver_webhooks` false: the sandbox keeps its events (`events()`), the test sends them.
pub async fn harness(deliver_webhooks: bool) -> Harness {
    moto_behind_serialising_proxy();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let psp = Proxy::start(&base).await;
    let table = format!("encaisse-hostile-{}", uuid::Uuid::new_v4().simple());
    let app = build(Options {
        admin_api_key: "admin".into(),
        access_token_secret: b"card-journey-secret-at-least-32-bytes".to_vec(),
        dynamodb_table: Some(table.clone()),
        sandbox: SandboxConfig {
            public_base_url: psp.base.clone(),
            webhook_url: deliver_webhooks.then(|| format!("{base}/v1/webhooks/stripe")),
            webhook_secret: WEBHOOK_SECRET.into(),
        },
        return_origins: ReturnOrigins::local_development(),
        dynamodb_request_counter: None,
        run_notifier: true,
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
    .await
    .expect("devserver app on moto");
    seed_demo_orders(app.store.as_ref()).await.expect("seed");
    let (store, sandbox, router) = (app.store, app.sandbox, app.router);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve")
    });
    Harness {
        shop: Shop {
            requests: encaisse::adapters::dynamodb::request_counter::RequestCounter::new(),
            base,
            store,
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
        },
        psp,
        sandbox,
        table,
    }
}

impl Harness {
    /// The production connector against this sandbox, through the counting proxy.
    pub fn connector(&self) -> Arc<StripeConnector> {
        let mut config = StripeConfig::new("sk_test_hostile", vec![WEBHOOK_SECRET.into()]);
        config.api_base = format!("{}/sandbox-psp", self.psp.base);
        config.retry_base_delay = Duration::from_millis(10);
        Arc::new(StripeConnector::new(config).expect("connector"))
    }

    /// The registry the use cases take, holding `connector()`.
    pub fn providers(&self) -> Arc<encaisse::ports::ProviderRegistry> {
        Arc::new(encaisse::ports::ProviderRegistry::single(self.connector()))
    }

    /// Events of this kind the sandbox created, oldest first.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.sandbox
            .events()
            .into_iter()
            .filter(|e| e["type"] == kind)
            .collect()
    }

    /// Posts `payload` to the webhook endpoint with a header signed at `at` with `secret`.
    pub async fn webhook(&self, payload: &str, at: i64, secret: &str) -> (u16, Value) {
        self.shop.webhook(payload, at, secret).await
    }

    pub async fn emails(&self) -> Vec<Value> {
        self.shop.emails().await
    }

    /// Waits until at least `count` emails went out, then past two relay sweeps (1 s each) so
    /// a duplicate would have had its chance; returns them all.
    pub async fn settled_emails(&self, count: usize) -> Vec<Value> {
        for _ in 0..300 {
            if self.emails().await.len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        self.emails().await
    }

    /// Every outbox item in the table (published or not): ids, by scanning `OUTBOX#`.
    pub async fn outbox_ids(&self) -> Vec<String> {
        scan_prefix(&self.table, "OUTBOX#").await
    }

    /// A store on this table whose DynamoDB requests go through `proxy` (in front of moto),
    /// with the SDK's standard retries made fast: `attempts` in all, 5 ms first backoff.
    pub async fn store_through(
        &self,
        proxy: &Proxy,
        attempts: u32,
    ) -> (DynamoStore, RequestCounter) {
        let counter = RequestCounter::new();
        let sdk = aws_config::load_from_env().await;
        let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(&proxy.base)
            .retry_config(
                aws_sdk_dynamodb::config::retry::RetryConfig::standard()
                    .with_max_attempts(attempts)
                    .with_initial_backoff(Duration::from_millis(5))
                    .with_max_backoff(Duration::from_millis(50)),
            )
            .interceptor(counter.clone())
            .build();
        (
            DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), &self.table),
            counter,
        )
    }
}

/// Partition keys starting with `prefix`, by a full Scan (test tables hold a few dozen items).
pub async fn scan_prefix(table: &str, prefix: &str) -> Vec<String> {
    let client = client_from_env(None).await;
    let mut keys = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .filter_expression("begins_with(PK, :p)")
            .expression_attribute_values(":p", AttributeValue::S(prefix.into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        for item in page.items() {
            if let Some(AttributeValue::S(pk)) = item.get("PK") {
                keys.push(pk.clone());
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    keys.sort();
    keys
}

/// A Stripe webhook delivery as the route hands it to the use case.
pub fn stripe_notification(payload: &str, signature: &str) -> encaisse::ports::NotificationRequest {
    encaisse::ports::NotificationRequest::post(
        "/v1/webhooks/stripe",
        &[("stripe-signature", signature)],
        payload.as_bytes(),
    )
}
