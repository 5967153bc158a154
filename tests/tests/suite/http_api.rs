//! The API over real HTTP: the devserver's app (every router) on a loopback port, DynamoDB on
//! moto server. Lookup security, tokens, admin auth, and bad input: each bad request gets a
//! problem+json 4xx naming the field, and nothing is written.

use std::net::SocketAddr;
use std::sync::Arc;

use encaisse::domain::{throttle, Reference};
use encaisse::ports::{LookupKeys, Store};
use encaisse_dev::{build, seed_demo_orders, Options};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADMIN_KEY: &str = "test-admin-key";

struct Api {
    base: String,
    http: reqwest::Client,
    store: Arc<dyn Store>,
}

async fn api() -> Api {
    integration::hostile::moto_behind_serialising_proxy();
    let app = build(Options {
        admin_api_key: ADMIN_KEY.into(),
        access_token_secret: b"http-test-secret-at-least-32-bytes".to_vec(),
        dynamodb_table: Some(format!("encaisse-http-{}", uuid::Uuid::new_v4().simple())),
        sandbox: Default::default(),
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
    .expect("devserver app on moto");
    seed_demo_orders(app.store.as_ref()).await.expect("seed");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    Api {
        base,
        http: reqwest::Client::new(),
        store: app.store,
    }
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Api {
    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request");
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    async fn lookup(&self, reference: &str, postcode: &str) -> Reply {
        self.send(
            self.http
                .post(format!("{}/v1/order-lookups", self.base))
                .json(&json!({"reference": reference, "postcode": postcode})),
        )
        .await
    }

    async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>, admin: bool) -> Reply {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if admin {
            request = request.bearer_auth(ADMIN_KEY);
        }
        self.send(request).await
    }

    async fn failures(&self, reference: &str) -> (u32, u32) {
        let keys = LookupKeys {
            reference: Reference::parse(reference).unwrap(),
            client: encaisse::app::order_lookup::client_key("127.0.0.1"),
        };
        let snapshot = self.store.load_lookup(&keys).await.unwrap();
        let now = time::OffsetDateTime::now_utc();
        (
            snapshot.reference_failures.recent_failures(now),
            snapshot.client_failures.recent_failures(now),
        )
    }
}

fn assert_problem(reply: &Reply, status: u16, slug: &str, field: Option<&str>) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(
        reply.headers["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body = reply.json();
    assert_eq!(
        body["type"],
        format!("https://encaisse.dev/problems/{slug}"),
        "{}",
        reply.text
    );
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string());
    assert_eq!(body["field"].as_str(), field, "{}", reply.text);
}

#[tokio::test]
async fn unknown_reference_and_wrong_postcode_are_indistinguishable() {
    let api = api().await;
    let unknown = api.lookup("ORD-99999", "83000").await;
    let wrong = api.lookup("ORD-10042", "83001").await;
    assert_problem(&unknown, 404, "order-not-found", None);
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.text, wrong.text, "bodies must be byte-identical");
    let names = |r: &Reply| {
        let mut n: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(k, _)| *k != "date")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&unknown), names(&wrong));
    // Both count as failures, against the reference and the client.
    assert_eq!(api.failures("ORD-99999").await, (1, 2));
    assert_eq!(api.failures("ORD-10042").await, (1, 2));
}

#[tokio::test]
async fn five_failures_lock_a_reference_even_for_the_right_postcode() {
    let api = api().await;
    for _ in 0..5 {
        assert_eq!(api.lookup("ORD-10042", "00000").await.status, 404);
    }
    let locked = api.lookup("ORD-10042", "83000").await;
    assert_problem(&locked, 429, "too-many-attempts", None);
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=16 * 60).contains(&retry), "Retry-After {retry}");
    // A 429 is not another failure, and other orders stay reachable from this client.
    assert_eq!(api.failures("ORD-10042").await.0, 5);
    assert_eq!(api.lookup("ORD-10043", "75011").await.status, 200);
}

#[tokio::test]
async fn twenty_failures_lock_a_client_address() {
    let api = api().await;
    for i in 0..throttle::MAX_FAILURES_PER_CLIENT {
        let reply = api.lookup(&format!("ORD-{}", 50_000 + i), "83000").await;
        assert_eq!(reply.status, 404);
    }
    let locked = api.lookup("ORD-10042", "83000").await;
    assert_problem(&locked, 429, "too-many-attempts", None);
    assert!(locked.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn the_access_token_opens_one_order_only() {
    let api = api().await;
    let granted = api.lookup("ord-10043", " 75 011 ").await;
    assert_eq!(granted.status, 200, "{}", granted.text);
    let body = granted.json();
    let token = body["access_token"].as_str().unwrap();
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["order"]["totals"]["gross"], "137.71");

    let get = |reference: &str, auth: Option<String>| {
        let mut request = api.http.get(format!("{}/v1/orders/{reference}", api.base));
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        request
    };
    let ok = api
        .send(get("ORD-10043", Some(format!("Bearer {token}"))))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), body["order"]);
    assert_problem(
        &api.send(get("ORD-10043", None)).await,
        401,
        "unauthorized",
        None,
    );
    assert_problem(
        &api.send(get("ORD-10042", Some(format!("Bearer {token}"))))
            .await,
        401,
        "unauthorized",
        None,
    );
    // Change one character of the signature (the part after the '.') to another.
    let dot = token.find('.').unwrap();
    let mut forged = token.to_string();
    let replacement = if &token[dot + 1..dot + 2] == "A" {
        "B"
    } else {
        "A"
    };
    forged.replace_range(dot + 1..dot + 2, replacement);
    assert_problem(
        &api.send(get("ORD-10043", Some(format!("Bearer {forged}"))))
            .await,
        401,
        "unauthorized",
        None,
    );
}

fn quote() -> Value {
    json!({
        "customer": {"email": "buyer@example.fr", "name": "Jeanne Martin", "company": "Atelier Martin", "locale": "fr"},
        "currency": "EUR",
        "lines": [
            {"sku": "FUS-40", "description": "Fusion laser 40 W", "quantity": 2, "unit_price": "1200.00", "tax_rate": "20"},
            {"sku": "LIV-01", "description": "Livre", "quantity": 1, "unit_price": "29.90", "tax_rate": "5.5"}
        ],
        "shipping": {"method": "carrier", "amount": "35.00", "tax_rate": "20",
                     "address": {"name": "Jeanne Martin", "line1": "9 rue d'Antrechaus", "postcode": "83000",
                                 "city": "Toulon", "country": "FR"}},
        "event_date": null, "expires_at": null
    })
}

#[tokio::test]
async fn generated_references_are_sequential_and_skip_taken_ones() {
    let api = api().await;
    let mut references = Vec::new();
    for _ in 0..2 {
        let reply = api
            .post_raw("/v1/admin/orders", quote().to_string(), true)
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        let body = reply.json();
        // 2435.00 at 20 % (487.00) + 29.90 at 5.5 % (1.6445 → 1.64)
        assert_eq!(body["totals"]["tax"], "488.64");
        assert_eq!(body["totals"]["gross"], "2953.54");
        references.push(body["reference"].as_str().unwrap().to_string());
    }
    assert_eq!(references, ["ORD-10001", "ORD-10002"]);
    // A seller takes the next number by hand: generation skips it.
    let mut manual = quote();
    manual["reference"] = "ORD-10003".into();
    assert_eq!(
        api.post_raw("/v1/admin/orders", manual.to_string(), true)
            .await
            .status,
        201
    );
    let next = api
        .post_raw("/v1/admin/orders", quote().to_string(), true)
        .await;
    assert_eq!(next.json()["reference"], "ORD-10004");
}

/// openapi.yaml's `type: integer` is JSON Schema's: `2.0` is the integer 2 (schemathesis sends
/// such), `2.5` is no integer and is refused naming the field.
#[tokio::test]
async fn a_whole_number_written_with_a_fraction_is_an_integer() {
    let api = api().await;
    let mut whole = quote();
    whole["lines"][0]["quantity"] = json!(2.0);
    whole["lines"][1]["quantity"] = json!(1e0);
    let body = whole.to_string();
    assert!(body.contains("\"quantity\":2.0"), "{body}");
    let reply = api.post_raw("/v1/admin/orders", body, true).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let order = reply.json();
    assert_eq!(order["lines"][0]["quantity"], 2, "{}", reply.text);
    assert_eq!(order["lines"][1]["quantity"], 1, "{}", reply.text);
    assert_eq!(order["totals"]["gross"], "2953.54");
    for fraction in [json!(2.5), json!(1e-1)] {
        let mut part = quote();
        part["lines"][0]["quantity"] = fraction.clone();
        let reply = api
            .post_raw("/v1/admin/orders", part.to_string(), true)
            .await;
        assert_problem(&reply, 422, "invalid-field", Some("lines[0].quantity"));
        assert!(
            reply.json()["detail"]
                .as_str()
                .unwrap()
                .starts_with("lines[0].quantity"),
            "{fraction}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn a_retried_creation_with_an_idempotency_key_makes_one_order() {
    let api = api().await;
    let create = |key: &'static str, body: Value| {
        api.send(
            api.http
                .post(format!("{}/v1/admin/orders", api.base))
                .bearer_auth(ADMIN_KEY)
                .header("idempotency-key", key)
                .json(&body),
        )
    };
    let first = create("quote-2026-0042", quote()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json()["reference"], "ORD-10001");
    assert_eq!(first.headers["location"], "/v1/admin/orders/ORD-10001");
    // The answer was lost; the back office retries: the same order, not ORD-10002.
    let again = create("quote-2026-0042", quote()).await;
    assert_eq!((again.status, &again.text), (first.status, &first.text));
    assert_eq!(again.headers["location"], "/v1/admin/orders/ORD-10001");
    let mut other = quote();
    other["currency"] = "USD".into();
    let reused = create("quote-2026-0042", other).await;
    assert_problem(&reused, 409, "idempotency-key-reused", None);
    let bad_key = create(" ", quote()).await;
    assert_problem(
        &bad_key,
        400,
        "idempotency-key-required",
        Some("Idempotency-Key"),
    );
    // Another key is another order.
    let second = create("quote-2026-0043", quote()).await;
    assert_eq!(second.json()["reference"], "ORD-10002");
}

#[tokio::test]
async fn admin_routes_need_the_key() {
    let api = api().await;
    let reply = api
        .post_raw("/v1/admin/orders", quote().to_string(), false)
        .await;
    assert_problem(&reply, 401, "unauthorized", None);
    let wrong = api
        .send(
            api.http
                .get(format!("{}/v1/admin/orders/ORD-10042", api.base))
                .bearer_auth("not-the-key"),
        )
        .await;
    assert_problem(&wrong, 401, "unauthorized", None);
    let right = api
        .send(
            api.http
                .get(format!("{}/v1/admin/orders/ORD-10042", api.base))
                .bearer_auth(ADMIN_KEY),
        )
        .await;
    assert_eq!(right.status, 200);
    assert_eq!(
        right.json()["shipping"]["address"]["line1"],
        "9 rue d'Antrechaus"
    );
}

/// Every bad order request: status, problem type and field, and no order and no counter written.
#[tokio::test]
async fn bad_order_requests_name_the_field_and_write_nothing() {
    let api = api().await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut q = quote();
        q["reference"] = "ORD-77777".into();
        edit(&mut q);
        q.to_string()
    };
    let cases: Vec<(&str, String, u16, &str, Option<&str>)> = vec![
        (
            "malformed JSON",
            r#"{"currency": "EUR", "lines": ["#.into(),
            400,
            "malformed-json",
            None,
        ),
        (
            "trailing garbage",
            format!("{} x", with(&|_| {})),
            400,
            "malformed-json",
            None,
        ),
        (
            "unknown top-level field",
            with(&|q| q["colour"] = "red".into()),
            400,
            "unknown-field",
            Some("colour"),
        ),
        (
            "unknown nested field",
            with(&|q| q["lines"][0]["discount"] = "5".into()),
            400,
            "unknown-field",
            Some("lines[0].discount"),
        ),
        (
            "empty reference",
            with(&|q| q["reference"] = "".into()),
            422,
            "invalid-field",
            Some("reference"),
        ),
        (
            "over-long reference",
            with(&|q| q["reference"] = "ORD-".repeat(20).into()),
            422,
            "invalid-field",
            Some("reference"),
        ),
        (
            "odd-Unicode reference",
            with(&|q| q["reference"] = "ORD\u{200B}-1".into()),
            422,
            "invalid-field",
            Some("reference"),
        ),
        (
            "fullwidth reference",
            with(&|q| q["reference"] = "ＯＲＤ-1".into()),
            422,
            "invalid-field",
            Some("reference"),
        ),
        (
            "empty postcode",
            with(&|q| q["shipping"]["address"]["postcode"] = " ".into()),
            422,
            "invalid-field",
            Some("shipping.address.postcode"),
        ),
        (
            "odd-Unicode postcode",
            with(&|q| q["shipping"]["address"]["postcode"] = "８３０００".into()),
            422,
            "invalid-field",
            Some("shipping.address.postcode"),
        ),
        (
            "negative amount",
            with(&|q| q["lines"][0]["unit_price"] = "-5.00".into()),
            422,
            "invalid-field",
            Some("lines[0].unit_price"),
        ),
        (
            "over-precise amount",
            with(&|q| q["lines"][1]["unit_price"] = "29.905".into()),
            422,
            "invalid-field",
            Some("lines[1].unit_price"),
        ),
        (
            "exponent amount",
            with(&|q| q["shipping"]["amount"] = "3.5e1".into()),
            422,
            "invalid-field",
            Some("shipping.amount"),
        ),
        (
            "amount as a JSON number",
            with(&|q| q["lines"][0]["unit_price"] = json!(1200.0)),
            422,
            "invalid-field",
            Some("lines[0].unit_price"),
        ),
        (
            "unknown currency",
            with(&|q| q["currency"] = "XYZ".into()),
            422,
            "invalid-field",
            Some("currency"),
        ),
        (
            "currency mismatch between lines",
            with(&|q| q["lines"][1]["currency"] = "USD".into()),
            422,
            "invalid-field",
            Some("lines[1].currency"),
        ),
        (
            "zero quantity",
            with(&|q| q["lines"][0]["quantity"] = 0.into()),
            422,
            "invalid-field",
            Some("lines[0].quantity"),
        ),
        (
            "negative quantity",
            with(&|q| q["lines"][0]["quantity"] = (-2).into()),
            422,
            "invalid-field",
            Some("lines[0].quantity"),
        ),
        (
            "tax rate over 100",
            with(&|q| q["lines"][0]["tax_rate"] = "120".into()),
            422,
            "invalid-field",
            Some("lines[0].tax_rate"),
        ),
        (
            "no lines",
            with(&|q| q["lines"] = json!([])),
            422,
            "invalid-field",
            Some("lines"),
        ),
        (
            "missing customer",
            with(&|q| {
                q.as_object_mut().unwrap().remove("customer");
            }),
            422,
            "invalid-field",
            Some("customer"),
        ),
        (
            "bad email",
            with(&|q| q["customer"]["email"] = "jeanne at example".into()),
            422,
            "invalid-field",
            Some("customer.email"),
        ),
        (
            "bad country",
            with(&|q| q["shipping"]["address"]["country"] = "France".into()),
            422,
            "invalid-field",
            Some("shipping.address.country"),
        ),
        (
            "past expiry",
            with(&|q| q["expires_at"] = "2020-01-01T00:00:00Z".into()),
            422,
            "invalid-field",
            Some("expires_at"),
        ),
        (
            "body over 64 KiB",
            with(&|q| q["lines"][0]["description"] = "x".repeat(70_000).into()),
            413,
            "payload-too-large",
            None,
        ),
    ];
    for (name, body, status, slug, field) in cases {
        let reply = api.post_raw("/v1/admin/orders", body, true).await;
        assert_eq!(reply.status.as_u16(), status, "{name}: {}", reply.text);
        assert_problem(&reply, status, slug, field);
    }
    let not_json = api
        .send(
            api.http
                .post(format!("{}/v1/admin/orders", api.base))
                .bearer_auth(ADMIN_KEY)
                .header("content-type", "text/plain")
                .body(quote().to_string()),
        )
        .await;
    assert_problem(&not_json, 415, "unsupported-media-type", None);

    assert!(api
        .store
        .get_order(&Reference::parse("ORD-77777").unwrap())
        .await
        .unwrap()
        .is_none());
    assert_eq!(api.store.read_counter("order-reference").await.unwrap(), 0);
}

/// Bad lookups are refused before anything is read or counted.
#[tokio::test]
async fn bad_lookups_name_the_field_and_count_nothing() {
    let api = api().await;
    let cases: Vec<(&str, String, u16, &str, Option<&str>)> = vec![
        (
            "malformed",
            r#"{"reference": "ORD-10042", "postcode":"#.into(),
            400,
            "malformed-json",
            None,
        ),
        (
            "unknown field",
            json!({"reference": "ORD-10042", "postcode": "83000", "email": "x"}).to_string(),
            400,
            "unknown-field",
            Some("email"),
        ),
        (
            "missing postcode",
            json!({"reference": "ORD-10042"}).to_string(),
            422,
            "invalid-field",
            Some("postcode"),
        ),
        (
            "empty reference",
            json!({"reference": "", "postcode": "83000"}).to_string(),
            422,
            "invalid-field",
            Some("reference"),
        ),
        (
            "over-long reference",
            json!({"reference": "R".repeat(300), "postcode": "83000"}).to_string(),
            422,
            "invalid-field",
            Some("reference"),
        ),
        (
            "odd-Unicode reference",
            json!({"reference": "ORD-1004\u{0662}", "postcode": "83000"}).to_string(),
            422,
            "invalid-field",
            Some("reference"),
        ),
        (
            "empty postcode",
            json!({"reference": "ORD-10042", "postcode": ""}).to_string(),
            422,
            "invalid-field",
            Some("postcode"),
        ),
        (
            "over-long postcode",
            json!({"reference": "ORD-10042", "postcode": "8".repeat(40)}).to_string(),
            422,
            "invalid-field",
            Some("postcode"),
        ),
        (
            "odd-Unicode postcode",
            json!({"reference": "ORD-10042", "postcode": "83\u{200B}000"}).to_string(),
            422,
            "invalid-field",
            Some("postcode"),
        ),
        (
            "number postcode",
            r#"{"reference": "ORD-10042", "postcode": 83000}"#.into(),
            422,
            "invalid-field",
            Some("postcode"),
        ),
        (
            "over 64 KiB",
            json!({"reference": "ORD-10042", "postcode": "8".repeat(70_000)}).to_string(),
            413,
            "payload-too-large",
            None,
        ),
    ];
    for (name, body, status, slug, field) in cases {
        let reply = api.post_raw("/v1/order-lookups", body, false).await;
        assert_eq!(reply.status.as_u16(), status, "{name}: {}", reply.text);
        assert_problem(&reply, status, slug, field);
    }
    assert_eq!(api.failures("ORD-10042").await, (0, 0));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let api = api().await;
    let missing = api
        .send(api.http.get(format!("{}/v1/nothing", api.base)))
        .await;
    assert_problem(&missing, 404, "not-found", None);
    let method = api
        .send(api.http.delete(format!("{}/v1/order-lookups", api.base)))
        .await;
    assert_problem(&method, 405, "method-not-allowed", None);
    let health = api
        .send(api.http.get(format!("{}/healthz", api.base)))
        .await;
    assert_eq!((health.status.as_u16(), health.text.as_str()), (200, "ok"));
}
