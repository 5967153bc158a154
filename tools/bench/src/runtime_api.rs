//! A local Lambda Runtime API (the 2018-06-01 interface a `provided.al2023` bootstrap polls), so
//! a release binary can be started exactly as Lambda starts it and timed from exec to its first
//! answer. One server per process under test: it hands out the invocations it is given, in
//! order, and reports the first `/next` poll (init finished) and every response or error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

const PREFIX: &str = "/2018-06-01/runtime";

/// What the process under test reported.
#[derive(Debug)]
pub enum Report {
    /// The first `GET …/invocation/next`: the function's init code has finished.
    Ready(Instant),
    /// `POST …/invocation/{id}/response`.
    Response(Instant, Bytes),
    /// `POST …/invocation/{id}/error` or `POST …/init/error`.
    Error(String),
}

struct Shared {
    invocations: Mutex<mpsc::UnboundedReceiver<Vec<u8>>>,
    reports: mpsc::UnboundedSender<Report>,
    polled: std::sync::atomic::AtomicBool,
    sequence: std::sync::atomic::AtomicU64,
}

pub struct RuntimeApi {
    pub address: SocketAddr,
    invocations: mpsc::UnboundedSender<Vec<u8>>,
    reports: mpsc::UnboundedReceiver<Report>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (invocations, queued) = mpsc::unbounded_channel();
        let (report, reports) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            invocations: Mutex::new(queued),
            reports: report,
            polled: Default::default(),
            sequence: Default::default(),
        });
        let app = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(
                &format!("{PREFIX}/invocation/{{id}}/response"),
                post(response),
            )
            .route(&format!("{PREFIX}/invocation/{{id}}/error"), post(error))
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state(shared);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            invocations,
            reports,
            server,
        })
    }

    /// Queues one invocation; a waiting `/next` poll gets it at once.
    pub fn invoke(&self, payload: Vec<u8>) {
        let _ = self.invocations.send(payload);
    }

    /// The next report, or None after `limit`.
    pub async fn report(&mut self, limit: Duration) -> Option<Report> {
        tokio::time::timeout(limit, self.reports.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    use std::sync::atomic::Ordering;
    if !shared.polled.swap(true, Ordering::SeqCst) {
        let _ = shared.reports.send(Report::Ready(Instant::now()));
    }
    // Long poll, like Lambda: the process waits here until there is work (or is killed).
    let payload = shared.invocations.lock().await.recv().await;
    let Some(payload) = payload else {
        return StatusCode::GONE.into_response();
    };
    let n = shared.sequence.fetch_add(1, Ordering::SeqCst);
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 30_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", format!("bench-{n}"));
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:eu-west-1:123456789012:function:bench".into(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    set("content-type", "application/json".into());
    (StatusCode::OK, headers, payload).into_response()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = shared.reports.send(Report::Response(Instant::now(), body));
    StatusCode::ACCEPTED
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let text = String::from_utf8_lossy(&body).into_owned();
    let _ = shared.reports.send(Report::Error(text));
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let text = String::from_utf8_lossy(&body).into_owned();
    let _ = shared.reports.send(Report::Error(text));
    StatusCode::ACCEPTED
}
