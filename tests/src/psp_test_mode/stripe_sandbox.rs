//! The Stripe connector on the sandbox PSP, served alone on a loopback port (no moto, no
//! devserver), and its test mode: the hosted Checkout and 3-D Secure pages driven like a
//! browser, the sandbox-only `_expire_authorisation` and `_events`, webhooks signed with the
//! endpoint secret as Stripe signs them.

use std::sync::Arc;

use async_trait::async_trait;
use encaisse::adapters::stripe::{StripeConfig, StripeConnector};
use encaisse::contract::psp::{About, IdKind, PageAnswer, PspTestMode, Subject, TestCard};
use encaisse::ports::{HostedPayment, MandateSetupPage, NotificationRequest};
use encaisse_dev::sandbox_psp::{SandboxConfig, SandboxPsp, MOUNT};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::Value;

use crate::shop::sign;

pub const WEBHOOK_SECRET: &str = "whsec_psp_contract";

pub struct StripeSandboxMode {
    /// `http://127.0.0.1:<port>`, the server hosting the sandbox under [`MOUNT`].
    base: String,
    http: reqwest::Client,
}

/// A fresh sandbox on 127.0.0.1:0 and the production connector pointed at it.
pub async fn subject() -> Subject {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = SandboxPsp::new(SandboxConfig {
        public_base_url: base.clone(),
        // Events are only listed (`_events`): the test mode hands them to the connector.
        webhook_url: None,
        webhook_secret: WEBHOOK_SECRET.into(),
    });
    tokio::spawn(async move {
        let app = sandbox
            .app()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).await.unwrap()
    });
    let mut config = StripeConfig::new("sk_test_psp_contract", vec![WEBHOOK_SECRET.into()]);
    config.api_base = format!("{base}{MOUNT}");
    let connector = StripeConnector::new(config).expect("stripe connector");
    let mode = StripeSandboxMode {
        base,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
    };
    Subject::new(Arc::new(connector), Arc::new(mode))
}

fn number(card: TestCard) -> &'static str {
    match card {
        TestCard::Success => "4242424242424242",
        TestCard::Declined => "4000000000000002",
        TestCard::ThreeDs => "4000002760003184",
        TestCard::NoMulticapture => "4000009900000004",
    }
}

impl StripeSandboxMode {
    fn absolute(&self, location: &str) -> String {
        match location.starts_with('/') {
            true => format!("{}{location}", self.base),
            false => location.to_owned(),
        }
    }

    /// Reads the code the challenge page shows for tests and posts it; where it sends us.
    async fn pass_challenge(&self, challenge: &str) -> Option<String> {
        let page = self
            .http
            .get(challenge)
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
            .post(challenge)
            .form(&[("code", code)])
            .send()
            .await
            .unwrap();
        location(&reply)
    }

    async fn events(&self) -> Vec<Value> {
        let listed: Value = self
            .http
            .get(format!("{}{MOUNT}/_events", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["data"].as_array().cloned().unwrap_or_default()
    }
}

fn location(reply: &reqwest::Response) -> Option<String> {
    reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

fn signed(body: &[u8], at: i64, secret: &str) -> NotificationRequest {
    let payload = std::str::from_utf8(body).expect("a JSON event");
    let signature = sign(payload, at, secret);
    NotificationRequest::post(
        "/v1/webhooks/stripe",
        &[
            ("content-type", "application/json"),
            ("stripe-signature", &signature),
        ],
        body,
    )
}

fn is_about(event: &Value, about: &About) -> bool {
    let object = &event["data"]["object"];
    let (kind, id) = (object["object"].as_str(), object["id"].as_str());
    match about {
        About::Payment(pi) => kind == Some("payment_intent") && id == Some(pi),
        About::Session(cs) => kind == Some("checkout.session") && id == Some(cs),
        About::Refund { refund, payment } => {
            (kind == Some("refund") && id == Some(refund))
                || (event["type"] == "charge.refunded"
                    && object["payment_intent"].as_str() == Some(payment))
        }
    }
}

#[async_trait]
impl PspTestMode for StripeSandboxMode {
    fn plays(&self, _card: TestCard) -> bool {
        true
    }

    async fn pay_hosted_page(&self, page: &HostedPayment, card: TestCard) -> PageAnswer {
        let reply = self
            .http
            .post(page.url.as_deref().expect("a page to redirect to"))
            .form(&[
                ("name", "Jeanne Martin"),
                ("number", number(card)),
                ("exp", "12/40"),
                ("cvc", "123"),
            ])
            .send()
            .await
            .unwrap();
        let status = reply.status();
        let mut to = location(&reply);
        let body = reply.text().await.unwrap();
        if let Some(challenge) = to.clone().filter(|l| l.contains("/3ds/")) {
            to = self.pass_challenge(&self.absolute(&challenge)).await;
        }
        match (status, to) {
            (StatusCode::SEE_OTHER, Some(to)) if to.starts_with("https://shop.example/") => {
                PageAnswer::Accepted
            }
            (StatusCode::GONE, None) => PageAnswer::Closed,
            (StatusCode::OK, None) if body.contains("already complete") => PageAnswer::Closed,
            (StatusCode::OK, None) if body.contains("Please try another card") => {
                PageAnswer::Refused
            }
            (status, to) => panic!("the checkout page answered {status} to {to:?}: {body}"),
        }
    }

    /// Stripe's set-up page takes the holder, their email and the IBAN.
    async fn accept_mandate(&self, page: &MandateSetupPage, iban: &str) {
        let form = [
            ("name", "Jeanne Martin"),
            ("email", "jeanne.martin@example.fr"),
            ("iban", iban),
        ];
        let reply = self.http.post(&page.url).form(&form).send().await.unwrap();
        assert_eq!(
            reply.status(),
            StatusCode::SEE_OTHER,
            "the set-up page takes the IBAN"
        );
    }

    async fn expire_uncaptured(&self, payment: &str) {
        let reply = self
            .http
            .post(format!(
                "{}{MOUNT}/_expire_authorisation/{payment}",
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
        let events = self.events().await;
        let event = events
            .iter()
            .rev()
            .find(|e| is_about(e, about))
            .unwrap_or_else(|| panic!("no sandbox event about {about:?} in {events:?}"));
        let body = serde_json::to_vec(event).unwrap();
        signed(
            &body,
            time::OffsetDateTime::now_utc().unix_timestamp(),
            WEBHOOK_SECRET,
        )
    }

    fn tampered(&self, genuine: &NotificationRequest) -> Vec<(String, NotificationRequest)> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut altered = genuine.clone();
        altered.body.push(b' ');
        let mut unsigned = genuine.clone();
        unsigned
            .headers
            .retain(|(name, _)| name != "stripe-signature");
        vec![
            ("the body changed after signing".into(), altered),
            ("no Stripe-Signature".into(), unsigned),
            (
                "signed with another secret".into(),
                signed(&genuine.body, now, "whsec_someone_else"),
            ),
            (
                "signed an hour ago (replayed)".into(),
                signed(&genuine.body, now - 3600, WEBHOOK_SECRET),
            ),
        ]
    }

    fn unknown_id(&self, kind: IdKind) -> String {
        let prefix = match kind {
            IdKind::Payment => "pi_",
            IdKind::Session => "cs_test_",
            IdKind::Refund => "re_",
            IdKind::Customer => "cus_",
        };
        format!("{prefix}NeverIssued0000000000")
    }
}
