//! The sandbox PSP over real HTTP: the devserver app on 127.0.0.1:0, driven with reqwest like
//! the stripe connector would, webhooks received by a small axum server that checks every
//! Stripe-Signature.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use encaisse_dev::{build, Options, SandboxConfig};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Sha256;

const KEY: &str = "sk_test_sandbox";
const SECRET: &str = "whsec_test_secret";
const CARD_OK: &str = "4242 4242 4242 4242";
const CARD_3DS: &str = "4000 0027 6000 3184";
const CARD_DECLINED: &str = "4000 0000 0000 0002";
const CARD_NO_FUNDS: &str = "4000 0000 0000 9995";

struct Sandbox {
    base: String,
    http: reqwest::Client,
}

async fn sandbox_with(webhook_url: Option<String>) -> Sandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = build(Options {
        admin_api_key: "admin".into(),
        access_token_secret: b"sandbox-test-secret-at-least-32-bytes".to_vec(),
        dynamodb_table: None,
        sandbox: SandboxConfig {
            public_base_url: base.clone(),
            webhook_url,
            webhook_secret: SECRET.into(),
        },
        return_origins: encaisse::app::return_url::ReturnOrigins::local_development(),
        dynamodb_request_counter: None,
        run_notifier: true,
    })
    .await
    .unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Sandbox { base, http }
}

async fn sandbox() -> Sandbox {
    sandbox_with(None).await
}

impl Sandbox {
    fn url(&self, path: &str) -> String {
        format!("{}/sandbox-psp{path}", self.base)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        self.send(self.http.post(self.url(path)).form(form)).await
    }

    async fn post_idem(&self, path: &str, form: &[(&str, &str)], key: &str) -> (StatusCode, Value) {
        self.send(
            self.http
                .post(self.url(path))
                .header("idempotency-key", key)
                .form(form),
        )
        .await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(self.url(path))).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.bearer_auth(KEY).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    async fn page(&self, url: &str) -> (StatusCode, String) {
        let resp = self.http.get(url).send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    async fn submit(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(url).form(form).send().await.unwrap()
    }

    async fn pay(&self, checkout_url: &str, number: &str) -> reqwest::Response {
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

    async fn customer(&self) -> String {
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
    async fn session(&self, extra: &[(&str, &str)]) -> Value {
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

    async fn intent(&self, id: &str) -> Value {
        let (s, pi) = self.get(&format!("/v1/payment_intents/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        pi
    }

    async fn events(&self) -> Vec<Value> {
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

    async fn event_types(&self) -> Vec<String> {
        self.events()
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn faults(&self, body: Value) -> (StatusCode, Value) {
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

fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"].to_str().unwrap().to_owned()
}

fn challenge_code(html: &str) -> String {
    let start = html.find("data-test-code>").unwrap() + "data-test-code>".len();
    html[start..start + 6].to_owned()
}

/// The PaymentIntent a session created when the card was submitted.
async fn session_intent(sb: &Sandbox, cs_id: &str) -> (Value, Value) {
    let (_, cs) = sb.get(&format!("/v1/checkout/sessions/{cs_id}")).await;
    let pi = sb.intent(cs["payment_intent"].as_str().unwrap()).await;
    (cs, pi)
}

#[tokio::test]
async fn hosted_checkout_manual_capture_saved_card_multicapture_and_refunds() {
    let sb = sandbox().await;
    let cus = sb.customer().await;
    let cs = sb
        .session(&[
            ("customer", &cus),
            ("payment_intent_data[setup_future_usage]", "off_session"),
            (
                "payment_method_options[card][request_multicapture]",
                "if_available",
            ),
        ])
        .await;
    assert_eq!(cs["object"], "checkout.session");
    assert_eq!(cs["status"], "open");
    assert_eq!(cs["payment_status"], "unpaid");
    assert_eq!(cs["payment_intent"], Value::Null);
    assert_eq!(cs["amount_total"], 12500);
    assert_eq!(cs["client_reference_id"], "ORD-10042");
    let cs_id = cs["id"].as_str().unwrap();
    assert!(cs_id.starts_with("cs_test_"));
    let url = cs["url"].as_str().unwrap();
    assert_eq!(url, sb.url(&format!("/checkout/{cs_id}")));

    let (status, html) = sb.page(url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("125.00 EUR"));
    assert!(
        html.contains("Order &lt;ORD-10042&gt; &amp; co"),
        "escaped description"
    );
    assert!(!html.contains("<ORD-10042>"));
    assert!(!html.contains("<script"), "no JavaScript");
    for (id, token) in [
        ("name", "cc-name"),
        ("number", "cc-number"),
        ("exp", "cc-exp"),
        ("cvc", "cc-csc"),
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "label for {id}"
        );
        assert!(
            html.contains(&format!(
                "id=\"{id}\" name=\"{id}\" autocomplete=\"{token}\""
            )),
            "{token}"
        );
    }
    assert!(html.contains(&format!("action=\"/sandbox-psp/checkout/{cs_id}\"")));
    assert!(html.contains("href=\"https://shop.example/cancelled\""));

    let resp = sb.pay(url, CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp),
        format!("https://shop.example/done?session={cs_id}")
    );

    let (cs, pi) = session_intent(&sb, cs_id).await;
    assert_eq!(cs["status"], "complete");
    assert_eq!(cs["payment_status"], "unpaid");
    assert_eq!(cs["customer"], cus.as_str());
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["amount_capturable"], 12500);
    assert_eq!(pi["capture_method"], "manual");
    assert_eq!(pi["metadata"]["order_reference"], "ORD-10042");
    let pi_id = pi["id"].as_str().unwrap().to_owned();
    let (status, html) = sb.page(url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("already complete") && !html.contains("cc-number"));

    let (s, list) = sb
        .get(&format!("/v1/payment_methods?customer={cus}&type=card"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["object"], "list");
    let pms = list["data"].as_array().unwrap();
    assert_eq!(pms.len(), 1);
    assert_eq!(pms[0]["card"]["last4"], "4242");
    assert_eq!(pms[0]["card"]["brand"], "visa");
    assert_eq!(pms[0]["card"]["exp_month"], 12);
    assert_eq!(pms[0]["card"]["exp_year"], 2040);
    assert_eq!(pms[0]["customer"], cus.as_str());
    let saved_pm = pms[0]["id"].as_str().unwrap().to_owned();

    // Multicapture: 50.00 now, the rest later.
    let cap = format!("/v1/payment_intents/{pi_id}/capture");
    let (s, pi) = sb
        .post(
            &cap,
            &[("amount_to_capture", "5000"), ("final_capture", "false")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["amount_capturable"], 7500);
    assert_eq!(pi["amount_received"], 5000);
    let (s, err) = sb.post(&cap, &[("amount_to_capture", "9000")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["param"], "amount_to_capture");
    let (s, pi) = sb.post(&cap, &[("amount_to_capture", "7500")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 12500);
    assert_eq!(pi["amount_capturable"], 0);

    let (s, re) = sb
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &pi_id),
                ("amount", "2000"),
                ("metadata[reason]", "damaged"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["object"], "refund");
    assert_eq!(re["status"], "succeeded");
    assert_eq!(re["amount"], 2000);
    assert_eq!(re["metadata"]["reason"], "damaged");
    let (s, err) = sb
        .post(
            "/v1/refunds",
            &[("payment_intent", &pi_id), ("amount", "10501")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert_eq!(err["error"]["param"], "amount");
    let (s, fetched) = sb
        .get(&format!("/v1/refunds/{}", re["id"].as_str().unwrap()))
        .await;
    assert_eq!((s, &fetched), (StatusCode::OK, &re));
    let (_, pi) = sb
        .get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=latest_charge"
        ))
        .await;
    assert_eq!(pi["latest_charge"]["object"], "charge");
    assert_eq!(pi["latest_charge"]["amount_refunded"], 2000);
    assert_eq!(pi["latest_charge"]["amount_captured"], 12500);

    // The saved card pays off-session.
    let (s, pi2) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "eur"),
                ("customer", &cus),
                ("payment_method", &saved_pm),
                ("confirm", "true"),
                ("off_session", "true"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi2}");
    assert_eq!(pi2["status"], "requires_capture");

    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.amount_capturable_updated",
            "checkout.session.completed",
            "payment_intent.amount_capturable_updated",
            "payment_intent.succeeded",
            "charge.refunded",
            "payment_intent.amount_capturable_updated",
        ]
    );
    // The card number is kept nowhere (brand and last4 only).
    let everything = serde_json::to_string(&sb.events().await).unwrap() + &list.to_string();
    assert!(!everything.contains("4242424242424242") && !everything.contains("4242 4242"));
}

#[tokio::test]
async fn three_d_secure_challenge_three_tries() {
    let sb = sandbox().await;
    // Right code at the third try.
    let cs = sb.session(&[]).await;
    let resp = sb.pay(cs["url"].as_str().unwrap(), CARD_3DS).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let challenge = location(&resp);
    assert!(challenge.starts_with("/sandbox-psp/3ds/pi_"), "{challenge}");
    let (_, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(pi["next_action"]["type"], "redirect_to_url");
    let challenge_url = format!("{}{challenge}", sb.base);
    assert_eq!(
        pi["next_action"]["redirect_to_url"]["url"],
        challenge_url.as_str()
    );
    let (s, html) = sb.page(&challenge_url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("autocomplete=\"one-time-code\"") && html.contains("<label for=\"code\">")
    );
    assert!(html.contains("125.00 EUR"));
    let code = challenge_code(&html);
    for left in ["2 attempt", "1 attempt"] {
        let resp = sb.submit(&challenge_url, &[("code", "000000x")]).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(resp.text().await.unwrap().contains(left));
    }
    let resp = sb.submit(&challenge_url, &[("code", &code)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("https://shop.example/done?session=cs_test_"));
    let (cs, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(
        (cs["status"].as_str(), pi["status"].as_str()),
        (Some("complete"), Some("requires_capture"))
    );

    // Three wrong codes fail the payment; another card can be tried.
    let cs = sb.session(&[]).await;
    let url = cs["url"].as_str().unwrap();
    let challenge_url = format!("{}{}", sb.base, location(&sb.pay(url, CARD_3DS).await));
    for _ in 0..2 {
        assert_eq!(
            sb.submit(&challenge_url, &[("code", "999999x")])
                .await
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let resp = sb.submit(&challenge_url, &[("code", "999999x")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Authentication failed"));
    assert!(html.contains(&format!(
        "href=\"/sandbox-psp/checkout/{}\"",
        cs["id"].as_str().unwrap()
    )));
    let (cs_now, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(cs_now["status"], "open");
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(
        pi["last_payment_error"]["code"],
        "payment_intent_authentication_failure"
    );
    assert_eq!(
        sb.event_types().await.last().unwrap(),
        "payment_intent.payment_failed"
    );
    let (_, html) = sb.page(url).await;
    assert!(html.contains("failed authentication") && html.contains("cc-number"));
    let resp = sb.pay(url, CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sb.intent(pi["id"].as_str().unwrap()).await["status"],
        "requires_capture"
    );
}

#[tokio::test]
async fn declined_cards_show_the_form_again() {
    let sb = sandbox().await;
    let cs = sb.session(&[]).await;
    let url = cs["url"].as_str().unwrap();
    let cs_id = cs["id"].as_str().unwrap();

    let resp = sb
        .submit(
            url,
            &[
                ("name", "Ada"),
                ("number", "4242 4242 4242 4241"),
                ("exp", "01/20"),
                ("cvc", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Your card number is invalid."));
    assert!(html.contains("expiration date is in the past"));
    assert!(html.contains("security code is incomplete"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        !html.contains("4242 4242 4242 4241"),
        "the number is never echoed"
    );

    for (card, decline_code, text) in [
        (CARD_DECLINED, "generic_decline", "Your card was declined."),
        (
            CARD_NO_FUNDS,
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
    ] {
        let resp = sb.pay(url, card).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let html = resp.text().await.unwrap();
        assert!(
            html.contains(text) && html.contains("role=\"alert\"") && html.contains("cc-number")
        );
        let (cs, pi) = session_intent(&sb, cs_id).await;
        assert_eq!(cs["status"], "open");
        assert_eq!(pi["status"], "requires_payment_method");
        assert_eq!(pi["last_payment_error"]["type"], "card_error");
        assert_eq!(pi["last_payment_error"]["code"], "card_declined");
        assert_eq!(pi["last_payment_error"]["decline_code"], decline_code);
    }
    let resp = sb.pay(url, CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.payment_failed",
            "payment_intent.payment_failed",
            "payment_intent.amount_capturable_updated",
            "checkout.session.completed",
        ]
    );
}

#[tokio::test]
async fn stripe_test_payment_methods_through_the_api() {
    let sb = sandbox().await;
    let create = |pm: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![
            ("amount", "2500"),
            ("currency", "eur"),
            ("payment_method", pm),
            ("confirm", "true"),
        ];
        form.extend(extra);
        form
    };
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &create("pm_card_visa", vec![("capture_method", "manual")]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["object"], "payment_intent");
    assert_eq!(pi["status"], "requires_capture");
    assert!(pi["payment_method"].as_str().unwrap().starts_with("pm_"));
    assert!(pi["latest_charge"].as_str().unwrap().starts_with("ch_"));
    let (s, pi) = sb
        .post("/v1/payment_intents", &create("pm_card_visa", vec![]))
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded"))
    );
    assert_eq!(pi["amount_received"], 2500);

    for (pm, decline_code) in [
        ("pm_card_chargeDeclined", "generic_decline"),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
        ),
    ] {
        let (s, err) = sb.post("/v1/payment_intents", &create(pm, vec![])).await;
        assert_eq!(s, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(err["error"]["type"], "card_error");
        assert_eq!(err["error"]["code"], "card_declined");
        assert_eq!(err["error"]["decline_code"], decline_code);
        assert_eq!(
            err["error"]["payment_intent"]["status"],
            "requires_payment_method"
        );
    }

    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &create(
                "pm_card_authenticationRequired",
                vec![("off_session", "true")],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(err["error"]["code"], "authentication_required");
    assert_eq!(
        err["error"]["payment_intent"]["last_payment_error"]["code"],
        "authentication_required"
    );

    // On-session: 3-D Secure, then back to return_url with Stripe's query parameters.
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &create(
                "pm_card_authenticationRequired",
                vec![
                    ("return_url", "https://shop.example/back"),
                    ("capture_method", "manual"),
                ],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(
        pi["next_action"]["redirect_to_url"]["return_url"],
        "https://shop.example/back"
    );
    let challenge = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let code = challenge_code(&sb.page(challenge).await.1);
    let resp = sb.submit(challenge, &[("code", &code)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let id = pi["id"].as_str().unwrap();
    assert!(location(&resp).starts_with(&format!(
        "https://shop.example/back?payment_intent={id}&payment_intent_client_secret="
    )));
    assert!(location(&resp).ends_with("&redirect_status=succeeded"));
    assert_eq!(sb.intent(id).await["status"], "requires_capture");

    // Create, then confirm; state rules on capture and cancel.
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "4000"),
                ("currency", "eur"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("requires_payment_method"))
    );
    let id = pi["id"].as_str().unwrap();
    let (s, err) = sb
        .post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "payment_intent_unexpected_state");
    let (s, pi) = sb
        .post(
            &format!("/v1/payment_intents/{id}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("requires_capture"))
    );
    let (s, err) = sb
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "1000"), ("final_capture", "false")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "multicapture was not requested");
    assert_eq!(err["error"]["param"], "final_capture");
    let (s, err) = sb.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "nothing captured yet: {err}");
    let (s, pi) = sb
        .post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pi["status"], "canceled");
    assert_eq!(pi["cancellation_reason"], "requested_by_customer");
    let (s, err) = sb
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "payment_intent_unexpected_state");

    // Partial capture without multicapture releases the rest.
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &create("pm_card_visa", vec![("capture_method", "manual")]),
        )
        .await;
    let id = pi["id"].as_str().unwrap();
    let (_, pi) = sb
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "1000")],
        )
        .await;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(
        (
            pi["amount_received"].as_i64(),
            pi["amount_capturable"].as_i64()
        ),
        (Some(1000), Some(0))
    );
    let (_, re) = sb.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(re["amount"], 1000, "refund defaults to what is left");
    let (s, err) = sb
        .post("/v1/refunds", &[("payment_intent", id), ("amount", "1")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "charge_already_refunded");
}

#[tokio::test]
async fn errors_auth_and_parameters() {
    let sb = sandbox().await;
    let resp = sb
        .http
        .post(sb.url("/v1/customers"))
        .form(&[("email", "a@b.c")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("did not provide an API key"));
    let resp = sb
        .http
        .get(sb.url("/v1/customers/cus_x"))
        .bearer_auth("sk_live_abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Basic auth with the key as user name, as `curl -u sk_test_…:` in Stripe's docs.
    let resp = sb
        .http
        .get(sb.url("/v1/customers/cus_x"))
        .basic_auth(KEY, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "authenticated, then not found"
    );
    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "900"),
                ("currency", "eur"),
                ("return_url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("return_url"))
    );

    let (s, err) = sb.get("/v1/payment_intents/pi_missing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(err["error"]["code"], "resource_missing");
    assert_eq!(
        err["error"]["message"],
        "No such payment_intent: 'pi_missing'"
    );
    let (s, err) = sb.post("/v1/payment_intents", &[("currency", "eur")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            err["error"]["code"].as_str(),
            err["error"]["param"].as_str()
        ),
        (Some("parameter_missing"), Some("amount"))
    );
    let (s, err) = sb
        .post("/v1/customers", &[("emial", "typo@example.com")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "parameter_unknown");
    assert_eq!(err["error"]["param"], "emial");
    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &[("amount", "ten"), ("currency", "eur")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "parameter_invalid_integer");
    let (s, err) = sb.get("/v1/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    let (s, err) = sb
        .get("/v1/payment_methods?customer=cus_nobody&type=card")
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::NOT_FOUND, Some("customer"))
    );
    let (s, err) = sb
        .post(
            "/v1/checkout/sessions",
            &[("mode", "payment"), ("success_url", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("success_url"))
    );
}

#[tokio::test]
async fn idempotency_keys_replay_and_mismatch() {
    let sb = sandbox().await;
    let form = [("email", "ada@example.com")];
    let (s1, a) = sb.post_idem("/v1/customers", &form, "key-1").await;
    let resp = sb
        .http
        .post(sb.url("/v1/customers"))
        .bearer_auth(KEY)
        .header("idempotency-key", "key-1")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["idempotent-replayed"], "true");
    let (s2, b): (StatusCode, Value) = (resp.status(), resp.json().await.unwrap());
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(a, b, "the stored response, not a second customer");
    let (s, err) = sb
        .post_idem("/v1/customers", &[("email", "other@example.com")], "key-1")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["type"], "idempotency_error");

    // Card errors are stored and replayed too.
    let declined = [
        ("amount", "2500"),
        ("currency", "eur"),
        ("payment_method", "pm_card_chargeDeclined"),
        ("confirm", "true"),
    ];
    let (s1, a) = sb
        .post_idem("/v1/payment_intents", &declined, "key-2")
        .await;
    let (s2, b) = sb
        .post_idem("/v1/payment_intents", &declined, "key-2")
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::PAYMENT_REQUIRED, StatusCode::PAYMENT_REQUIRED)
    );
    assert_eq!(a, b);
    assert_eq!(
        sb.event_types().await,
        ["payment_intent.payment_failed"],
        "confirmed once"
    );

    // A request refused for its parameters saves nothing: the key can be used again.
    let (s, _) = sb
        .post_idem("/v1/payment_intents", &[("currency", "eur")], "key-3")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = sb
        .post_idem(
            "/v1/payment_intents",
            &[("amount", "900"), ("currency", "eur")],
            "key-3",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn checkout_session_expiry() {
    let sb = sandbox().await;
    let cs = sb.session(&[]).await;
    let id = cs["id"].as_str().unwrap();
    let (s, expired) = sb
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(expired["status"], "expired");
    let (s, _) = sb
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, html) = sb.page(cs["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(html.contains("expired") && !html.contains("cc-number"));

    let cs = sb.session(&[]).await;
    sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    let (s, err) = sb
        .post(
            &format!(
                "/v1/checkout/sessions/{}/expire",
                cs["id"].as_str().unwrap()
            ),
            &[],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "complete sessions cannot expire: {err}"
    );
    let (s, err) = sb
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("success_url", "https://x.example/"),
                ("line_items[0][price_data][currency]", "eur"),
                ("line_items[0][price_data][unit_amount]", "100"),
                ("line_items[0][price_data][product_data][name]", "x"),
                ("line_items[0][quantity]", "1"),
                ("expires_at", "1"),
            ],
        )
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("expires_at"))
    );
    assert_eq!(sb.event_types().await[0], "checkout.session.expired");
}

#[tokio::test]
async fn fault_switches() {
    let sb = sandbox().await;
    let (s, f) = sb.faults(serde_json::json!({"fail_next": 1})).await;
    assert_eq!((s, f["fail_next"].as_u64()), (StatusCode::OK, Some(1)));
    let (s, err) = sb
        .post_idem("/v1/customers", &[("email", "a@example.com")], "retry-me")
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(err["error"]["type"], "api_error");
    let (s, _) = sb
        .post_idem("/v1/customers", &[("email", "a@example.com")], "retry-me")
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "an injected failure is not saved under the key"
    );

    sb.faults(serde_json::json!({"rate_limit_next": 1})).await;
    let (s, err) = sb.get("/v1/customers/cus_missing").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(err["error"]["type"], "rate_limit_error");

    sb.faults(serde_json::json!({"error_rate": 0.5})).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(sb.get("/v1/customers/cus_missing").await.0.as_u16());
    }
    assert_eq!(statuses, [404, 500, 404, 500]);
    sb.faults(serde_json::json!({"error_rate": 0.0, "latency_ms": 150}))
        .await;
    let started = Instant::now();
    assert_eq!(
        sb.get("/v1/customers/cus_missing").await.0,
        StatusCode::NOT_FOUND
    );
    assert!(started.elapsed() >= Duration::from_millis(150));

    let got: Value = sb
        .http
        .get(sb.url("/_faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["latency_ms"], 150);
    assert_eq!(got["fail_next"], 0);
    let (s, _) = sb.faults(serde_json::json!({"error_rate": 1.5})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = sb.faults(serde_json::json!({"eror_rate": 0.5})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pending_refunds_settle_with_refund_updated() {
    let sb = sandbox().await;
    sb.faults(serde_json::json!({"pending_refunds": true}))
        .await;
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    let (_, re) = sb
        .post(
            "/v1/refunds",
            &[("payment_intent", pi["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(re["status"], "pending");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, re) = sb
        .get(&format!("/v1/refunds/{}", re["id"].as_str().unwrap()))
        .await;
    assert_eq!(re["status"], "succeeded");
    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.succeeded",
            "charge.refunded",
            "refund.updated"
        ]
    );
}

/// Webhook receiver: records (signature header, body) and answers 500 to the first `fail`
/// deliveries.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, Bytes)>>>,
    fail: Arc<Mutex<u32>>,
}

async fn receiver() -> (Receiver, String) {
    let rx = Receiver::default();
    let state = rx.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let sig = headers["stripe-signature"].to_str().unwrap().to_owned();
                state.got.lock().unwrap().push((sig, body));
                let mut fail = state.fail.lock().unwrap();
                if *fail > 0 {
                    *fail -= 1;
                    return AxStatus::INTERNAL_SERVER_ERROR;
                }
                AxStatus::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rx, url)
}

impl Receiver {
    /// Waits for `n` deliveries; checks every signature as a Stripe library does.
    async fn wait(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.got.lock().unwrap().len() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} webhooks",
                self.got.lock().unwrap().len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = self.got.lock().unwrap().clone();
        got.iter()
            .map(|(sig, body)| {
                let (t, v1) = sig.split_once(',').unwrap();
                let t = t.strip_prefix("t=").unwrap();
                let v1 = v1.strip_prefix("v1=").unwrap();
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(format!("{t}.").as_bytes());
                mac.update(body);
                mac.verify_slice(&hex::decode(v1).unwrap())
                    .expect("valid Stripe-Signature");
                let age =
                    time::OffsetDateTime::now_utc().unix_timestamp() - t.parse::<i64>().unwrap();
                assert!(
                    (0..300).contains(&age),
                    "timestamp within Stripe's tolerance"
                );
                serde_json::from_slice(body).unwrap()
            })
            .collect()
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn webhooks_are_signed_and_in_order() {
    let (rx, url) = receiver().await;
    let sb = sandbox_with(Some(url)).await;
    let (_, pi) = sb
        .post_idem(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("capture_method", "manual"),
            ],
            "idem-webhook",
        )
        .await;
    let id = pi["id"].as_str().unwrap();
    sb.post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    sb.post("/v1/refunds", &[("payment_intent", id), ("amount", "500")])
        .await;
    let got = rx.wait(3).await;
    assert_eq!(
        types(&got),
        [
            "payment_intent.amount_capturable_updated",
            "payment_intent.succeeded",
            "charge.refunded"
        ]
    );
    let first = &got[0];
    assert_eq!(first["object"], "event");
    assert_eq!(first["livemode"], false);
    assert!(first["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(first["data"]["object"]["id"], id);
    assert_eq!(first["data"]["object"]["status"], "requires_capture");
    assert_eq!(first["request"]["idempotency_key"], "idem-webhook");
    assert!(first["request"]["id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(got[2]["data"]["object"]["object"], "charge");
    assert_eq!(got[2]["data"]["object"]["amount_refunded"], 500);
    assert_eq!(
        got,
        sb.events().await,
        "_events lists the same events, newest last"
    );
}

#[tokio::test]
async fn webhook_fault_switches_duplicate_reorder_and_retry() {
    let (rx, url) = receiver().await;
    let sb = sandbox_with(Some(url)).await;
    let confirm = [
        ("amount", "2500"),
        ("currency", "eur"),
        ("payment_method", "pm_card_visa"),
        ("confirm", "true"),
    ];

    sb.faults(serde_json::json!({"duplicate_webhooks": true}))
        .await;
    sb.post("/v1/payment_intents", &confirm).await;
    let got = rx.wait(2).await;
    assert_eq!(got[0], got[1], "the same event twice");

    sb.faults(serde_json::json!({"duplicate_webhooks": false, "reorder_webhooks": true}))
        .await;
    let cs = sb.session(&[]).await;
    sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    let got = rx.wait(4).await;
    assert_eq!(
        types(&got[2..]),
        [
            "checkout.session.completed",
            "payment_intent.amount_capturable_updated"
        ]
    );
    let listed = sb.event_types().await;
    assert_eq!(
        listed[1..],
        [
            "payment_intent.amount_capturable_updated",
            "checkout.session.completed"
        ]
    );

    // A refused delivery is retried with backoff.
    sb.faults(serde_json::json!({"reorder_webhooks": false}))
        .await;
    *rx.fail.lock().unwrap() = 1;
    sb.post("/v1/payment_intents", &confirm).await;
    let got = rx.wait(6).await;
    assert_eq!(
        got[4]["id"], got[5]["id"],
        "the refused event delivered again"
    );
}
