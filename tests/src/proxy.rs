//! A small HTTP proxy for hostile tests: forwards everything to one upstream, records every
//! request (method, path, DynamoDB operation, status), and answers chosen requests with a fault
//! instead: DynamoDB's throttling errors, or a delay before forwarding. In front of the
//! devserver it counts what reached the sandbox PSP; in front of moto it throttles DynamoDB.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The DynamoDB operation (`X-Amz-Target` without its prefix), if any.
    pub operation: Option<String>,
    /// What the client got: the upstream's status, or the injected fault's.
    pub status: u16,
    pub injected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 400 `ProvisionedThroughputExceededException`, as DynamoDB answers a hot partition.
    ProvisionedThroughputExceeded,
    /// 400 `ThrottlingException`, as DynamoDB answers a control-plane or account-level limit.
    Throttling,
    /// Forwarded after this many milliseconds.
    Delay(u64),
}

#[derive(Debug, Clone)]
struct Rule {
    /// Matches the DynamoDB operation exactly, or else is a substring of the path.
    matches: String,
    remaining: u32,
    fault: Fault,
}

#[derive(Default)]
struct Shared {
    seen: Vec<Seen>,
    rules: Vec<Rule>,
}

#[derive(Clone)]
pub struct Proxy {
    pub base: String,
    shared: Arc<Mutex<Shared>>,
}

#[derive(Clone)]
struct Upstream {
    base: String,
    http: reqwest::Client,
    shared: Arc<Mutex<Shared>>,
    /// Held while a request is forwarded: one request at a time upstream.
    serial: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://127.0.0.1:port`).
    pub async fn start(upstream: &str) -> Proxy {
        Self::listen(upstream, false).await
    }

    /// Forwards one request at a time. In front of moto this restores what DynamoDB
    /// guarantees and moto does not: moto's TransactWriteItems checks its conditions and writes
    /// without a lock (and rolls back by restoring a copy of the whole table), so concurrent
    /// transactions on one item can both commit, or undo each other's writes.
    pub async fn start_serialising(upstream: &str) -> Proxy {
        Self::listen(upstream, true).await
    }

    async fn listen(upstream: &str, serialise: bool) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let base = format!("http://{}", listener.local_addr().expect("proxy address"));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let state = Upstream {
            base: upstream.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("proxy client"),
            shared: shared.clone(),
            serial: serialise.then(|| Arc::new(tokio::sync::Mutex::new(()))),
        };
        let app = Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await.expect("proxy serves") });
        Proxy { base, shared }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next `times` requests matching `matches` (a DynamoDB operation, or a path part) get
    /// `fault`.
    pub fn inject(&self, matches: &str, times: u32, fault: Fault) {
        self.lock().rules.push(Rule {
            matches: matches.into(),
            remaining: times,
            fault,
        });
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// How many requests with this method had a path containing `part` and reached upstream.
    pub fn forwarded(&self, method: &str, part: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path.contains(part) && !s.injected)
            .count()
    }

    /// How many requests got an injected fault, per DynamoDB operation or path.
    pub fn injected(&self) -> usize {
        self.seen().iter().filter(|s| s.injected).count()
    }
}

fn take_fault(shared: &Mutex<Shared>, path: &str, operation: Option<&str>) -> Option<Fault> {
    let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
    let rule = shared.rules.iter_mut().find(|r| {
        r.remaining > 0 && (operation == Some(r.matches.as_str()) || path.contains(&r.matches))
    })?;
    rule.remaining -= 1;
    Some(rule.fault)
}

fn dynamodb_error(kind: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"),
        "message": message,
    });
    Response::builder()
        .status(400)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "proxy-injected")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

async fn forward(State(up): State<Upstream>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_string());
    let record = |status: u16, injected: bool| {
        let mut shared = up.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.seen.push(Seen {
            method: parts.method.to_string(),
            path: path.clone(),
            operation: operation.clone(),
            status,
            injected,
        });
    };
    match take_fault(&up.shared, &path, operation.as_deref()) {
        Some(Fault::ProvisionedThroughputExceeded) => {
            record(400, true);
            return dynamodb_error(
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded.",
            );
        }
        Some(Fault::Throttling) => {
            record(400, true);
            return dynamodb_error(
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            );
        }
        Some(Fault::Delay(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        None => {}
    }
    let _turn = match &up.serial {
        Some(serial) => Some(serial.lock().await),
        None => None,
    };
    let bytes: Bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return Response::builder()
                .status(400)
                .body(Body::empty())
                .unwrap_or_default()
        }
    };
    let mut outgoing = up
        .http
        .request(parts.method.clone(), format!("{}{path}", up.base))
        .body(bytes);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(a) => a,
        Err(_) => {
            record(502, false);
            return Response::builder()
                .status(502)
                .body(Body::empty())
                .unwrap_or_default();
        }
    };
    let status = answer.status();
    record(status.as_u16(), false);
    let mut response = Response::builder().status(status);
    for (name, value) in answer.headers() {
        if name != "transfer-encoding" && name != "connection" && name != "content-length" {
            response = response.header(name, value);
        }
    }
    let body = answer.bytes().await.unwrap_or_default();
    response.body(Body::from(body)).unwrap_or_default()
}
