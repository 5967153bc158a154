//! Every request body, fuzzed with proptest over HTTP (the devserver app on the memory store,
//! its sandbox PSP on the same port): arbitrary bytes, arbitrary JSON, and valid bodies with
//! one field replaced, removed or added. Each answer is a 2xx, or a 4xx problem+json (422
//! naming the field), never a 5xx; and a 4xx writes nothing (the orders, their payments, the
//! outbox and the reference counter are compared before and after; a 404 lookup is counted
//! as a failed attempt by design, so lookups compare the orders only). Arbitrary references
//! in paths get a 4xx problem too.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use encaisse::ports::Store;
use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

struct App {
    runtime: tokio::runtime::Runtime,
    base: String,
    http: reqwest::Client,
    store: Arc<dyn Store>,
    /// An access token for ORD-10044, the order the payment bodies go to.
    token: String,
}

/// One app for the whole binary, on its own runtime (proptest cases are synchronous).
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (base, store, token) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let app = build(Options {
                admin_api_key: "admin".into(),
                access_token_secret: b"bodies-test-secret-at-least-32-bytes".to_vec(),
                dynamodb_table: None,
                sandbox: SandboxConfig {
                    public_base_url: base.clone(),
                    webhook_url: Some(format!("{base}/v1/webhooks/stripe")),
                    webhook_secret: "whsec_bodies".into(),
                },
                return_origins: encaisse::app::return_url::ReturnOrigins::local_development(),
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
            .unwrap();
            seed_demo_orders(app.store.as_ref()).await.unwrap();
            let store = app.store.clone();
            tokio::spawn(async move {
                axum::serve(
                    listener,
                    app.router
                        .into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
                .unwrap()
            });
            let shop = integration::shop::Shop {
                requests: encaisse::adapters::dynamodb::request_counter::RequestCounter::new(),
                base: base.clone(),
                http: reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap(),
                store: store.clone(),
            };
            // ORD-10042 authorised (shipments can capture), ORD-10043 captured (refunds can
            // refund), ORD-10044 awaiting payment (payments can start).
            shop.authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
                .await;
            let (token, payment) = shop
                .authorised_order("ORD-10043", "75011", "paul.durand@example.fr")
                .await;
            let (status, _) = shop
                .admin_post(
                    "/v1/admin/orders/ORD-10043/shipments",
                    None,
                    &json!({"shipment_id": "all"}),
                )
                .await;
            assert_eq!(status, 202);
            shop.payment_reaches("ORD-10043", &payment, &token, "captured")
                .await;
            (base, store, shop.token("ORD-10044", "69007").await)
        });
        App {
            runtime,
            base,
            http: reqwest::Client::new(),
            store,
            token,
        }
    })
}

/// What a 4xx must leave as it was.
/// Waits (bounded) until two reads 200 ms apart see the same store.
fn settle(app: &App, extra_reference: Option<&str>) {
    let mut last = snapshot(app, extra_reference);
    for _ in 0..25 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = snapshot(app, extra_reference);
        // Stable, and the relay (every second) has published what the change queued: else
        // its publishing would show up as a write of the next case.
        if now == last && nothing_pending(app) {
            return;
        }
        last = now;
    }
}

fn nothing_pending(app: &App) -> bool {
    app.runtime
        .block_on(app.store.pending_outbox(1))
        .is_ok_and(|pending| pending.is_empty())
}

fn snapshot(app: &App, extra_reference: Option<&str>) -> String {
    app.runtime.block_on(async {
        let mut seen = Vec::new();
        for r in ["ORD-10042", "ORD-10043", "ORD-10044"]
            .into_iter()
            .map(str::to_owned)
            .chain(extra_reference.map(str::to_owned))
        {
            if let Ok(reference) = encaisse::domain::Reference::parse(&r) {
                seen.push(format!(
                    "{:?}",
                    app.store.get_order_with_payments(&reference).await.unwrap()
                ));
            }
        }
        seen.push(format!(
            "{:?}",
            app.store.pending_outbox(1000).await.unwrap()
        ));
        seen.push(format!(
            "{:?}",
            app.store.read_counter("order-reference").await.unwrap()
        ));
        seen.join("\n")
    })
}

struct Route {
    path: &'static str,
    admin: bool,
    token: bool,
    idempotency_key: bool,
    /// Compare only the orders: the route records failures by design.
    orders_only: bool,
}

fn post(app: &App, route: &Route, body: Vec<u8>, key: &str) -> (u16, String, Value) {
    app.runtime.block_on(async {
        let mut request = app
            .http
            .post(format!("{}{}", app.base, route.path))
            .header("content-type", "application/json")
            .body(body);
        if route.admin {
            request = request.bearer_auth("admin");
        }
        if route.token {
            request = request.bearer_auth(&app.token);
        }
        if route.idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let reply = request.send().await.unwrap();
        let status = reply.status().as_u16();
        let ctype = reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = reply.text().await.unwrap();
        (
            status,
            ctype,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    })
}

/// One case at a time across the tests of this binary: each compares the shared store.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn check(route: &Route, body: Vec<u8>, key: String) -> Result<(), TestCaseError> {
    let _turn = one_at_a_time();
    let app = app();
    let reference = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("reference")
            .and_then(|r| r.as_str())
            .map(str::to_owned)
    });
    let before = snapshot(app, reference.as_deref());
    let shown = String::from_utf8_lossy(&body).into_owned();
    let (status, ctype, answer) = post(app, route, body, &key);
    prop_assert!(status < 500, "{} {shown} → {status} {answer}", route.path);
    if (200..300).contains(&status) {
        // A payment, capture or refund that went through has PSP webhooks still landing:
        // let them, so the next case compares a store nobody else is writing to.
        settle(app, reference.as_deref());
    }
    prop_assert!(
        (200..300).contains(&status) || (400..500).contains(&status),
        "{status}"
    );
    if status >= 400 {
        prop_assert_eq!(ctype, "application/problem+json", "{}", answer);
        prop_assert!(
            answer["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("https://encaisse.dev/problems/")),
            "{answer}"
        );
        prop_assert_eq!(answer["status"].as_u64(), Some(u64::from(status)));
        let object = serde_json::from_str::<Value>(&shown).is_ok_and(|v| v.is_object());
        // A body that is JSON but not an object has no field to name: `invalid-body`.
        if status == 422 && object {
            prop_assert!(
                answer["field"].as_str().is_some_and(|f| !f.is_empty()),
                "422 without a field: {shown} → {answer}"
            );
        }
        if status == 422 && !object {
            prop_assert_eq!(
                &answer["type"],
                "https://encaisse.dev/problems/invalid-body"
            );
        }
        let after = snapshot(app, reference.as_deref());
        if route.orders_only {
            let orders = |s: &str| s.lines().take(3).collect::<Vec<_>>().join("\n");
            prop_assert_eq!(orders(&after), orders(&before), "{} wrote", shown);
        } else {
            prop_assert_eq!(after, before, "{} → {} wrote something", shown, status);
        }
    }
    Ok(())
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
        prop_oneof![
            Just("0.00"),
            Just("-1.00"),
            Just("1e9"),
            Just("12.345"),
            Just("99999999999999999999999.99"),
            Just("ORD-10042"),
            Just("card"),
            Just("FR"),
            Just("http://localhost/return"),
            Just("a@b.fr"),
            Just(" "),
            Just("")
        ]
        .prop_map(Value::from),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Paths to every value in `v` (object keys and array indices).
fn paths(v: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let mut p = prefix.clone();
                p.push(k.clone());
                out.push(p.clone());
                paths(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(i.to_string());
                out.push(p.clone());
                paths(child, p, out);
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Bytes(Vec<u8>),
    Json(Value),
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
    AddUnknown(prop::sample::Index, Value),
    Unchanged,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Mutation::Bytes),
        1 => any_json().prop_map(Mutation::Json),
        4 => (any::<prop::sample::Index>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        1 => (any::<prop::sample::Index>(), leaf()).prop_map(|(i, v)| Mutation::AddUnknown(i, v)),
        1 => Just(Mutation::Unchanged),
    ]
}

fn apply(template: &Value, mutation: Mutation) -> Vec<u8> {
    let mut body = template.clone();
    let mut all = Vec::new();
    paths(template, Vec::new(), &mut all);
    match mutation {
        Mutation::Bytes(b) => return b,
        Mutation::Json(v) => return v.to_string().into_bytes(),
        Mutation::Replace(i, v) => {
            if let Some(slot) = at(&mut body, &all[i.index(all.len())]) {
                *slot = v;
            }
        }
        Mutation::Remove(i) => {
            let path = &all[i.index(all.len())];
            let (last, parent) = path.split_last().unwrap();
            match at(&mut body, parent) {
                Some(Value::Object(m)) => {
                    m.remove(last);
                }
                Some(Value::Array(a)) => {
                    a.remove(last.parse::<usize>().unwrap());
                }
                _ => {}
            }
        }
        Mutation::AddUnknown(i, v) => {
            // Into the object holding a random field (or the top level).
            let path = &all[i.index(all.len())];
            let parent = &path[..path.len() - 1];
            if let Some(Value::Object(m)) = at(&mut body, parent) {
                m.insert("not_a_field".into(), v);
            }
        }
        Mutation::Unchanged => {}
    }
    body.to_string().into_bytes()
}

fn order_template() -> Value {
    json!({
        "reference": "ORD-40001",
        "customer": {"email": "buyer@example.fr", "name": "Jeanne Martin", "company": "Atelier Martin", "locale": "fr"},
        "currency": "EUR",
        "lines": [{"sku": "FUS-40", "description": "Fusion laser 40 W", "quantity": 2,
                   "unit_price": "1200.00", "tax_rate": "20"}],
        "shipping": {"method": "carrier", "amount": "35.00", "tax_rate": "20",
                     "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                 "city": "Toulon", "country": "FR"}},
        "event_date": null, "expires_at": null
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn order_creation_bodies(m in mutation()) {
        let route = Route { path: "/v1/admin/orders", admin: true, token: false, idempotency_key: false, orders_only: false };
        check(&route, apply(&order_template(), m), String::new())?;
    }

    #[test]
    fn lookup_bodies(m in mutation()) {
        let route = Route { path: "/v1/order-lookups", admin: false, token: false, idempotency_key: false, orders_only: true };
        check(&route, apply(&json!({"reference": "ORD-10042", "postcode": "83000"}), m), String::new())?;
    }

    #[test]
    fn payment_bodies(m in mutation(), key in "[!-~]{0,300}") {
        let route = Route { path: "/v1/orders/ORD-10044/payments", admin: false, token: true, idempotency_key: true, orders_only: false };
        let template = integration::shop::first_order_body("http://localhost:1");
        check(&route, apply(&template, m), key)?;
    }

    #[test]
    fn sign_in_bodies(m in mutation()) {
        let route = Route { path: "/v1/me/sign-in", admin: false, token: false, idempotency_key: false, orders_only: false };
        check(&route, apply(&json!({"email": "emma.smith@example.com"}), m), String::new())?;
    }

    #[test]
    fn session_bodies(m in mutation()) {
        let route = Route { path: "/v1/me/sessions", admin: false, token: false, idempotency_key: false, orders_only: false };
        check(&route, apply(&json!({"email": "emma.smith@example.com", "code": "123456"}), m), String::new())?;
    }

    #[test]
    fn shipment_bodies(m in mutation()) {
        let route = Route { path: "/v1/admin/orders/ORD-10042/shipments", admin: true, token: false, idempotency_key: false, orders_only: false };
        check(&route, apply(&json!({"shipment_id": "parcel-1", "amount": "10.00"}), m), String::new())?;
    }

    #[test]
    fn refund_bodies(m in mutation(), key in "[!-~]{0,300}") {
        let route = Route { path: "/v1/admin/orders/ORD-10043/refunds", admin: true, token: false, idempotency_key: true, orders_only: false };
        check(&route, apply(&json!({"amount": "1.00", "reason": "Damaged box"}), m), key)?;
    }

    #[test]
    fn references_in_paths(raw in "[ -~]{0,60}") {
        // Percent-encoded so that any character reaches the router as part of one segment.
        let encoded: String = raw
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let _turn = one_at_a_time();
        let app = app();
        for (method, path, admin, key, body) in [
            ("GET", format!("/v1/orders/{encoded}"), false, None, None),
            ("GET", format!("/v1/admin/orders/{encoded}"), true, None, None),
            ("POST", format!("/v1/admin/orders/{encoded}/shipments"), true, None,
             Some(json!({"shipment_id": "p-1"}))),
            ("POST", format!("/v1/admin/orders/{encoded}/refunds"), true, Some("k-1"),
             Some(json!({"amount": "1.00"}))),
            ("POST", format!("/v1/orders/{encoded}/payments"), false, Some("k-1"),
             Some(integration::shop::first_order_body("http://localhost:1"))),
        ] {
            let (status, answer) = app.runtime.block_on(async {
                let mut request = app
                    .http
                    .request(method.parse().unwrap(), format!("{}{path}", app.base));
                request = if admin {
                    request.bearer_auth("admin")
                } else {
                    request.bearer_auth(&app.token)
                };
                if let Some(k) = key {
                    request = request.header("idempotency-key", k);
                }
                if let Some(b) = &body {
                    request = request.json(b);
                }
                let reply = request.send().await.unwrap();
                let status = reply.status().as_u16();
                (status, reply.text().await.unwrap())
            });
            prop_assert!(status < 500, "{method} {path} → {status} {answer}");
            if status >= 400 {
                let problem: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
                prop_assert!(problem["type"].is_string(), "{method} {path} → {answer}");
            }
        }
    }
}
