//! The sandbox on a server of its own at 127.0.0.1:0 and a client that speaks to it like the
//! stripe connector (form bodies, bearer key) or like a browser (pages, no redirects followed).

use encaisse_sandbox_psp::{SandboxConfig, SandboxPsp};
use reqwest::StatusCode;
use serde_json::Value;

pub const KEY: &str = "sk_test_sandbox";
pub const SECRET: &str = "whsec_test_secret";
pub const CARD_OK: &str = "4242 4242 4242 4242";
pub const CARD_3DS: &str = "4000 0027 6000 3184";
pub const CARD_DECLINED: &str = "4000 0000 0000 0002";
pub const CARD_NO_FUNDS: &str = "4000 0000 0000 9995";

pub struct Sandbox {
    pub base: String,
    pub http: reqwest::Client,
}

pub async fn sandbox_with(webhook_url: Option<String>) -> Sandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let psp = SandboxPsp::new(SandboxConfig {
        public_base_url: base.clone(),
        webhook_url,
        webhook_secret: SECRET.into(),
    });
    tokio::spawn(async move {
        let app = psp
            .app()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).await.unwrap()
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Sandbox { base, http }
}

pub async fn sandbox() -> Sandbox {
    sandbox_with(None).await
}

impl Sandbox {
    pub fn url(&self, path: &str) -> String {
        format!("{}/sandbox-psp{path}", self.base)
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        self.send(self.http.post(self.url(path)).form(form)).await
    }

    pub async fn post_idem(
        &self,
        path: &str,
        form: &[(&str, &str)],
        key: &str,
    ) -> (StatusCode, Value) {
        self.send(
            self.http
                .post(self.url(path))
                .header("idempotency-key", key)
                .form(form),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.bearer_auth(KEY).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    /// A sandbox-only control (`/_expire_authorisation/…`): POST, no API key.
    pub async fn control(&self, path: &str) -> (StatusCode, Value) {
        let resp = self.http.post(self.url(path)).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    pub async fn page(&self, url: &str) -> (StatusCode, String) {
        let resp = self.http.get(url).send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    pub async fn submit(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(url).form(form).send().await.unwrap()
    }

    pub async fn pay(&self, checkout_url: &str, number: &str) -> reqwest::Response {
        self.submit(
            checkout_url,
            &[
                ("name", "Ada Lovelace"),
                ("number", number),
                ("exp", "12/40"),
                ("cvc", "123"),
            ],
        )
        .await
    }

    pub async fn customer(&self) -> String {
        let (s, c) = self
            .post(
                "/v1/customers",
                &[
                    ("email", "ada@example.com"),
                    ("name", "Ada"),
                    ("metadata[ref]", "C1"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        assert_eq!(c["object"], "customer");
        assert_eq!(c["metadata"]["ref"], "C1");
        c["id"].as_str().unwrap().to_owned()
    }

    /// A manual-capture session for 125.00 EUR.
    pub async fn session(&self, extra: &[(&str, &str)]) -> Value {
        let mut form = vec![
            ("mode", "payment"),
            (
                "success_url",
                "https://shop.example/done?session={CHECKOUT_SESSION_ID}",
            ),
            ("cancel_url", "https://shop.example/cancelled"),
            ("client_reference_id", "ORD-10042"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "12500"),
            (
                "line_items[0][price_data][product_data][name]",
                "Order <ORD-10042> & co",
            ),
            ("line_items[0][quantity]", "1"),
            ("payment_intent_data[capture_method]", "manual"),
            (
                "payment_intent_data[metadata][order_reference]",
                "ORD-10042",
            ),
            ("metadata[order_reference]", "ORD-10042"),
        ];
        form.extend_from_slice(extra);
        let (s, cs) = self.post("/v1/checkout/sessions", &form).await;
        assert_eq!(s, StatusCode::OK, "{cs}");
        cs
    }

    pub async fn intent(&self, id: &str) -> Value {
        let (s, pi) = self.get(&format!("/v1/payment_intents/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        pi
    }

    pub async fn events(&self) -> Vec<Value> {
        let v: Value = self
            .http
            .get(self.url("/_events"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["data"].as_array().unwrap().clone()
    }

    pub async fn event_types(&self) -> Vec<String> {
        self.events()
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn faults(&self, body: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.url("/_faults"))
            .json(&body)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"].to_str().unwrap().to_owned()
}

pub fn challenge_code(html: &str) -> String {
    let start = html.find("data-test-code>").unwrap() + "data-test-code>".len();
    html[start..start + 6].to_owned()
}

/// The PaymentIntent a session created when the card was submitted.
pub async fn session_intent(sb: &Sandbox, cs_id: &str) -> (Value, Value) {
    let (_, cs) = sb.get(&format!("/v1/checkout/sessions/{cs_id}")).await;
    let pi = sb.intent(cs["payment_intent"].as_str().unwrap()).await;
    (cs, pi)
}
