//! A shop on a loopback port for end-to-end tests: the devserver app (every router) over
//! DynamoDB on moto server, with its sandbox PSP delivering signed webhooks back to it, driven
//! like a browser and a back office would.

use std::net::SocketAddr;
use std::time::Duration;

use encaisse::app::return_url::ReturnOrigins;
use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig};
use hmac::{Hmac, Mac};
use reqwest::redirect::Policy;
use serde_json::{json, Value};
use sha2::Sha256;

pub const WEBHOOK_SECRET: &str = "whsec_card_journey_test";

/// The test shop's instalment plans: 3 or 4 monthly instalments from 100 EUR.
pub const SHOP_INSTALMENT_PLANS: &str = "counts:3|4,minimum:100";

#[derive(Clone)]
pub struct Shop {
    pub base: String,
    pub http: reqwest::Client,
    pub store: std::sync::Arc<dyn encaisse::ports::Store>,
    /// Every DynamoDB request the shop's store made, by operation.
    pub requests: encaisse::adapters::dynamodb::request_counter::RequestCounter,
}

pub async fn shop() -> Shop {
    shop_with_webhooks(true).await
}

/// `deliver_webhooks` false: the sandbox keeps its events (`GET /sandbox-psp/_events`) and
/// the test delivers them itself, in the order it wants.
pub async fn shop_with_webhooks(deliver_webhooks: bool) -> Shop {
    shop_with(deliver_webhooks, Default::default()).await
}

/// A shop whose seller has this 3-D Secure policy.
pub async fn shop_with(
    deliver_webhooks: bool,
    three_d_secure: encaisse::domain::three_d_secure::ThreeDSecurePolicy,
) -> Shop {
    shop_configured(deliver_webhooks, three_d_secure, Default::default()).await
}

/// A shop with these seller policies.
pub async fn shop_configured(
    deliver_webhooks: bool,
    three_d_secure: encaisse::domain::three_d_secure::ThreeDSecurePolicy,
    card_saving: encaisse::domain::card_saving::CardSavingPolicy,
) -> Shop {
    shop_full(
        deliver_webhooks,
        three_d_secure,
        card_saving,
        None,
        Default::default(),
        None,
    )
    .await
}

/// A shop whose web channel has these payment modes (`WEB_PAYMENT_MODES`).
pub async fn shop_with_modes(modes: encaisse::domain::payment_modes::ChannelModes) -> Shop {
    shop_full(
        true,
        Default::default(),
        Default::default(),
        None,
        modes,
        None,
    )
    .await
}

/// A shop whose new card payments go to `provider` without any webhook or hook delivered (to
/// count a request's own DynamoDB calls).
pub async fn shop_with_cards_on_without_hooks(provider: &'static str) -> Shop {
    shop_full(
        false,
        Default::default(),
        Default::default(),
        Some(provider),
        Default::default(),
        None,
    )
    .await
}

/// A shop whose new card payments go to `cards` and new SEPA mandates to `sepa`
/// (`CARD_PROVIDER`, `SEPA_PROVIDER`), hooks and webhooks delivered or not.
pub async fn shop_with_providers(
    cards: &'static str,
    sepa: &'static str,
    deliver_webhooks: bool,
) -> Shop {
    shop_full(
        deliver_webhooks,
        Default::default(),
        Default::default(),
        Some(cards),
        Default::default(),
        Some(sepa),
    )
    .await
}

/// A shop whose new card payments go to `provider` (`CARD_PROVIDER`): `stripe` or `mangopay`,
/// both on the sandbox PSP, hooks delivered.
pub async fn shop_with_cards_on(provider: &'static str) -> Shop {
    shop_full(
        true,
        Default::default(),
        Default::default(),
        Some(provider),
        Default::default(),
        None,
    )
    .await
}

async fn shop_full(
    deliver_webhooks: bool,
    three_d_secure: encaisse::domain::three_d_secure::ThreeDSecurePolicy,
    card_saving: encaisse::domain::card_saving::CardSavingPolicy,
    card_provider: Option<&'static str>,
    modes: encaisse::domain::payment_modes::ChannelModes,
    sepa_provider: Option<&'static str>,
) -> Shop {
    // moto does not isolate concurrent transactions (a cancelled one restores a copy of the
    // table taken when it began, erasing writes committed meanwhile): one request at a time.
    crate::hostile::moto_behind_serialising_proxy();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let requests = encaisse::adapters::dynamodb::request_counter::RequestCounter::recording();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = build(Options {
        admin_api_key: "admin".into(),
        access_token_secret: b"card-journey-secret-at-least-32-bytes".to_vec(),
        dynamodb_table: Some(format!("encaisse-card-{}", uuid::Uuid::new_v4().simple())),
        sandbox: SandboxConfig {
            public_base_url: base.clone(),
            webhook_url: deliver_webhooks.then(|| format!("{base}/v1/webhooks/stripe")),
            webhook_secret: WEBHOOK_SECRET.into(),
        },
        return_origins: ReturnOrigins::local_development(),
        dynamodb_request_counter: Some(requests.clone()),
        run_notifier: true,
        three_d_secure,
        card_saving,
        fraud_review: Default::default(),
        wallets: encaisse::domain::Wallet::ALL.to_vec(),
        offline: encaisse_dev::demo_offline_instructions(),
        card_provider: card_provider.map(str::to_owned),
        sepa_provider: sepa_provider.map(str::to_owned),
        modes,
        sepa: Some(encaisse::app::start_sepa::SepaSettings::local()),
        instalments: encaisse::domain::instalments::InstalmentPolicy::parse(SHOP_INSTALMENT_PLANS)
            .expect("the test shop's plans"),
    })
    .await
    .expect("devserver app on moto");
    seed_demo_orders(app.store.as_ref()).await.unwrap();
    let store = app.store.clone();
    let router = app.router;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    Shop {
        requests,
        base,
        store,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
    }
}

impl Shop {
    pub async fn token(&self, reference: &str, postcode: &str) -> String {
        let reply: Value = self
            .http
            .post(format!("{}/v1/order-lookups", self.base))
            .json(&json!({"reference": reference, "postcode": postcode}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["access_token"].as_str().unwrap().to_string()
    }

    pub async fn start(
        &self,
        reference: &str,
        token: &str,
        key: &str,
        body: &Value,
    ) -> (u16, Value) {
        let reply = self
            .http
            .post(format!("{}/v1/orders/{reference}/payments", self.base))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        (
            reply.status().as_u16(),
            reply.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Submits a card on the sandbox's hosted page; returns the redirect target, if any.
    pub async fn pay(&self, page: &str, number: &str) -> Option<String> {
        let reply = self
            .http
            .post(page)
            .form(&[
                ("name", "Jeanne Martin"),
                ("number", number),
                ("exp", "12/40"),
                ("cvc", "123"),
            ])
            .send()
            .await
            .unwrap();
        reply
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
    }

    /// Waits for the webhook to land: the payment reaches `status` within a few seconds.
    pub async fn payment_reaches(
        &self,
        reference: &str,
        payment: &str,
        token: &str,
        status: &str,
    ) -> Value {
        let path = format!("/v1/orders/{reference}/payments/{payment}");
        for _ in 0..100 {
            let seen = self.get(&path, token).await;
            if seen["status"] == status {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "payment never became {status}: {}",
            self.get(&path, token).await
        );
    }
}

pub fn first_order_body(return_port_base: &str) -> Value {
    json!({
        "method": "card",
        "billing": {"company": "Atelier Martin", "name": "Jeanne Martin", "email": "jeanne.martin@example.fr",
                    "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "Toulon", "country": "FR"}},
        "return_url": format!("{return_port_base}/return"),
        "save_card": true
    })
}

/// The first order's card body without keeping the card, with `extra`'s fields set over it.
pub fn body_with(shop: &Shop, extra: Value) -> Value {
    let mut body = first_order_body(&shop.base);
    body["save_card"] = false.into();
    for (k, v) in extra.as_object().expect("extra is a JSON object") {
        body[k] = v.clone();
    }
    body
}

/// A Stripe-Signature header for `payload`, as Stripe computes it.
pub fn sign(payload: &str, at: i64, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{at}.{payload}").as_bytes());
    format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
}

impl Shop {
    pub async fn admin_post(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth("admin")
            .json(body);
        if let Some(k) = key {
            request = request.header("idempotency-key", k);
        }
        let reply = request.send().await.unwrap();
        (
            reply.status().as_u16(),
            reply.json().await.unwrap_or(Value::Null),
        )
    }

    /// Looks the order up, pays it by card on the hosted page, waits for the authorisation.
    pub async fn authorised_order(
        &self,
        reference: &str,
        postcode: &str,
        email: &str,
    ) -> (String, String) {
        let token = self.token(reference, postcode).await;
        let mut body = first_order_body(&self.base);
        body["billing"]["email"] = email.into();
        let (status, started) = self.start(reference, &token, "pay-1", &body).await;
        assert_eq!(status, 201, "{started}");
        let page = started["next_action"]["url"].as_str().unwrap().to_string();
        let payment = started["payment"]["id"].as_str().unwrap().to_string();
        self.pay(&page, "4242424242424242")
            .await
            .expect("redirect back");
        self.payment_reaches(reference, &payment, &token, "authorised")
            .await;
        (token, payment)
    }
}

impl Shop {
    /// Every email the devserver sent so far (`GET /dev/outbox`).
    pub async fn emails(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/dev/outbox", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The sandbox's 3-D Secure page as an absolute URL (it redirects with a path).
    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location.to_string()
        }
    }

    /// The code the sandbox's 3-D Secure page shows for tests.
    pub async fn three_ds_code(&self, challenge: &str) -> String {
        let page = self
            .http
            .get(challenge)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("autocomplete=\"one-time-code\""));
        let start = page.find("data-test-code>").expect("test hint") + "data-test-code>".len();
        page[start..start + page[start..].find('<').unwrap()].to_string()
    }

    /// Posts a one-time code on the 3-D Secure page; returns where it redirects, if anywhere.
    pub async fn answer_3ds(&self, challenge: &str, code: &str) -> Option<String> {
        let reply = self
            .http
            .post(challenge)
            .form(&[("code", code)])
            .send()
            .await
            .unwrap();
        reply
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
    }
}

impl Shop {
    /// Every event the sandbox PSP created, oldest first (`GET /sandbox-psp/_events`).
    pub async fn sandbox_events(&self) -> Vec<Value> {
        let listed: Value = self
            .http
            .get(format!("{}/sandbox-psp/_events", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["data"].as_array().cloned().unwrap_or_default()
    }

    /// Posts `payload` to the webhook endpoint with a `Stripe-Signature` made at `at` with
    /// `secret`; returns the status and the JSON answer.
    pub async fn webhook(&self, payload: &str, at: i64, secret: &str) -> (u16, Value) {
        let reply = self
            .http
            .post(format!("{}/v1/webhooks/stripe", self.base))
            .header("content-type", "application/json")
            .header("stripe-signature", sign(payload, at, secret))
            .body(payload.to_string())
            .send()
            .await
            .expect("webhook");
        (
            reply.status().as_u16(),
            reply.json().await.unwrap_or(Value::Null),
        )
    }
}
