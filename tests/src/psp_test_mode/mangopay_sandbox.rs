//! The MangoPay connector on the sandbox PSP's MangoPay dialect, served alone on a loopback
//! port, and its test mode: the browser's post to the tokenisation server, the 3-D Secure page
//! driven like a browser, the sandbox-only `_expire_preauthorization` and `_hooks`, hooks as
//! MangoPay calls them (GET with a query, unsigned).

use std::sync::Arc;

use async_trait::async_trait;
use encaisse::adapters::mangopay::{MangopayConfig, MangopayConnector};
use encaisse::contract::psp::{About, IdKind, PageAnswer, PspTestMode, Subject, TestCard};
use encaisse::ports::{CardForm, HostedPayment, MandateSetupPage, NotificationRequest};
use encaisse_dev::sandbox_psp::{SandboxConfig, SandboxPsp, MOUNT};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "encaisse-contract";
pub const API_KEY: &str = "sandbox-passphrase";

pub struct MangopaySandboxMode {
    /// `http://127.0.0.1:<port>`, the server hosting the sandbox under [`MOUNT`].
    base: String,
    http: reqwest::Client,
}

/// `{base}/sandbox-psp/mangopay`.
pub fn api_base(base: &str) -> String {
    format!("{base}{MOUNT}/mangopay")
}

/// The seller's legal user and wallet, made as a shop's setup would make them: the wallet id.
pub async fn seller_wallet(api_base: &str, http: &reqwest::Client) -> String {
    let token: Value = http
        .post(format!("{api_base}/v2.01/oauth/token"))
        .basic_auth(CLIENT_ID, Some(API_KEY))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["access_token"].as_str().expect("a token").to_owned();
    let post = |path: &str, body: Value| {
        http.post(format!("{api_base}/v2.01/{CLIENT_ID}{path}"))
            .bearer_auth(&bearer)
            .json(&body)
            .send()
    };
    let seller: Value = post(
        "/users/legal",
        json!({"Name": "Boutique Exemple", "LegalPersonType": "BUSINESS",
               "Email": "compta@boutique.example", "UserCategory": "OWNER",
               "TermsAndConditionsAccepted": true}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let wallet: Value = post(
        "/wallets",
        json!({"Owners": [seller["Id"]], "Currency": "EUR", "Description": "Encaisse sales"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    wallet["Id"].as_str().expect("a wallet").to_owned()
}

/// A fresh sandbox on 127.0.0.1:0 and the production connector pointed at it.
pub async fn subject() -> Subject {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = SandboxPsp::new(SandboxConfig {
        public_base_url: base.clone(),
        webhook_url: None,
        ..SandboxConfig::default()
    });
    tokio::spawn(async move {
        let app = sandbox
            .app()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).await.unwrap()
    });
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let wallet = seller_wallet(&api_base(&base), &http).await;
    let mut config = MangopayConfig::new(CLIENT_ID, API_KEY, &wallet);
    config.api_base = api_base(&base);
    let connector = MangopayConnector::new(config).expect("mangopay connector");
    Subject::new(
        Arc::new(connector),
        Arc::new(MangopaySandboxMode { base, http }),
    )
}

fn number(card: TestCard) -> &'static str {
    match card {
        TestCard::Success | TestCard::Declined => "4970107111111119",
        TestCard::ThreeDs => "4970105181818183",
        TestCard::NoMulticapture => unreachable!("not played"),
    }
}

fn location(reply: &reqwest::Response) -> Option<String> {
    reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

fn hook(event_type: &str, id: &str, date: &str) -> NotificationRequest {
    NotificationRequest {
        method: "GET".into(),
        path: "/v1/webhooks/mangopay".into(),
        // MangoPay's values are upper-case names, ids and digits: nothing to escape.
        query: format!("EventType={event_type}&RessourceId={id}&Date={date}"),
        headers: vec![("user-agent".into(), "MangoPay-Hooks".into())],
        body: vec![],
    }
}

impl MangopaySandboxMode {
    async fn hooks(&self) -> Vec<Value> {
        let listed: Value = self
            .http
            .get(format!("{}{MOUNT}/mangopay/_hooks", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["data"].as_array().cloned().unwrap_or_default()
    }
}

#[async_trait]
impl PspTestMode for MangopaySandboxMode {
    /// MangoPay's sandbox refuses by amount or by the security code 999 (its older docs), and
    /// has no card that forbids a second capture.
    fn plays(&self, card: TestCard) -> bool {
        card != TestCard::NoMulticapture
    }

    async fn pay_hosted_page(&self, _page: &HostedPayment, _card: TestCard) -> PageAnswer {
        panic!("MangoPay has no hosted page: the card form is played instead")
    }

    async fn tokenise_card(&self, form: &CardForm, card: TestCard) -> String {
        let cvx = if card == TestCard::Declined {
            "999"
        } else {
            "123"
        };
        let mut fields = form.fields.clone();
        fields.push((form.card_fields.number.clone(), number(card).into()));
        fields.push((form.card_fields.expiry.clone(), "1240".into()));
        fields.push((form.card_fields.security_code.clone(), cvx.into()));
        let reply = self
            .http
            .post(&form.post_url)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        reply.text().await.unwrap()
    }

    async fn pass_three_ds(&self, url: &str) -> String {
        let page = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let start = page.find("data-test-code>").expect("the test code") + "data-test-code>".len();
        let code = &page[start..start + page[start..].find('<').unwrap()];
        let reply = self
            .http
            .post(url)
            .form(&[("code", code)])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::SEE_OTHER);
        location(&reply).expect("sent back")
    }

    /// The IBAN was given with the set-up: the customer confirms on MangoPay's page.
    async fn accept_mandate(&self, page: &MandateSetupPage, _iban: &str) {
        let reply = self
            .http
            .post(&page.url)
            .form(&[("action", "confirm")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            StatusCode::SEE_OTHER,
            "the mandate confirmed"
        );
    }

    async fn expire_uncaptured(&self, payment: &str) {
        let reply = self
            .http
            .post(format!(
                "{}{MOUNT}/mangopay/_expire_preauthorization/{payment}",
                self.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            StatusCode::OK,
            "{}",
            reply.text().await.unwrap()
        );
    }

    async fn notification_for(&self, about: &About) -> NotificationRequest {
        let hooks = self.hooks().await;
        let wanted = |h: &Value| {
            let (kind, id) = (
                h["EventType"].as_str().unwrap_or(""),
                h["RessourceId"].as_str(),
            );
            match about {
                About::Payment(p) => kind.starts_with("PREAUTHORIZATION_") && id == Some(p),
                About::Refund { refund, .. } => {
                    kind.starts_with("PAYIN_REFUND_") && refund.split('+').any(|r| id == Some(r))
                }
                About::Session(_) => false,
            }
        };
        let found = hooks
            .iter()
            .rev()
            .find(|h| wanted(h))
            .unwrap_or_else(|| panic!("no sandbox hook about {about:?} in {hooks:?}"));
        hook(
            found["EventType"].as_str().unwrap(),
            found["RessourceId"].as_str().unwrap(),
            &found["Date"].to_string(),
        )
    }

    fn tampered(&self, genuine: &NotificationRequest) -> Vec<(String, NotificationRequest)> {
        let mut posted = genuine.clone();
        posted.method = "POST".into();
        let swap = |from: &str, to: &str| {
            let mut forged = genuine.clone();
            forged.query = genuine.query.replace(from, to);
            forged
        };
        let mut no_date = genuine.clone();
        no_date.query = genuine
            .query
            .split('&')
            .filter(|p| !p.starts_with("Date="))
            .collect::<Vec<_>>()
            .join("&");
        vec![
            ("posted instead of called with GET".into(), posted),
            (
                "an id that walks up the path".into(),
                swap("RessourceId=", "RessourceId=..%2F"),
            ),
            (
                "an event type MangoPay never sends".into(),
                swap("EventType=", "EventType=x"),
            ),
            ("no Date".into(), no_date),
        ]
    }

    fn unknown_id(&self, kind: IdKind) -> String {
        let prefix = match kind {
            IdKind::Payment => "preauth",
            IdKind::Session => "cardreg",
            IdKind::Refund => "refund",
            IdKind::Customer => "user",
        };
        format!("{prefix}_m_01NEVERISSUED00000000000000")
    }
}
