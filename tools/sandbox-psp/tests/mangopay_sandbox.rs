//! The sandbox's MangoPay dialect against what MangoPay publishes: every field of every object
//! it answers is one MangoPay's SDK typings declare (`fixtures/mangopay_typings/README.md`).
//! Also its rules a connector relies on: tokens, the 409 under a used key and `/responses`,
//! the 001505 capture, and hooks called with GET, retried until answered. SEPA direct debit
//! (bank accounts, mandates, direct-debit pay-ins) is in `mangopay_sandbox/sepa*.rs`, disputes
//! and repudiations in `mangopay_sandbox/disputes.rs`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use encaisse_sandbox_psp::{SandboxConfig, SandboxPsp};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[path = "mangopay_sandbox/disputes.rs"]
mod disputes;
#[path = "mangopay_sandbox/sepa.rs"]
mod sepa;
#[path = "mangopay_sandbox/sepa_clock.rs"]
mod sepa_clock;

const CLIENT: &str = "typings-check";

/// Names declared in the typings `files` (lines `Name: …;` or `Name?: …;`), plus EntityBase's.
fn declared(files: &[&str]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in files.iter().chain(&["entityBase"]) {
        let path = format!(
            "{}/tests/fixtures/mangopay_typings/{file}.d.ts",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for line in text.lines() {
            let line = line.trim();
            let Some((name, _)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim_end_matches('?');
            if !name.is_empty()
                && name.chars().next().unwrap().is_ascii_uppercase()
                && name.chars().all(|c| c.is_ascii_alphanumeric())
            {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

/// Fields MangoPay's documentation shows on an object that the SDK typings (older) lack, with
/// where: docs.mangopay.com/api-reference/preauthorizations/preauthorization-object (its
/// attributes and its "View a Preauthorization" example); api-reference/disputes/dispute-object
/// and view-dispute; api-reference/repudiations/view-repudiation (its example).
const DOCUMENTED_BEYOND_TYPINGS: &[(&str, &[&str])] = &[
    (
        "cardPreauthorization",
        &[
            "AuthorizationDate",
            "PaymentType",
            "MultiCapture",
            "Requested3DSVersion",
            "Applied3DSVersion",
        ],
    ),
    ("dispute", &["InitialTransactionNature"]),
    ("repudiation", &["InitialTransactionNature"]),
];

fn check(object: &Value, what: &str, files: &[&str]) {
    let mut known = declared(files);
    for (file, names) in DOCUMENTED_BEYOND_TYPINGS {
        if files.contains(file) {
            known.extend(names.iter().map(|n| n.to_string()));
        }
    }
    let fields: Vec<&String> = object
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {object}"))
        .keys()
        .collect();
    let unknown: Vec<&&String> = fields
        .iter()
        .filter(|f| !known.contains(f.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "{what}: fields MangoPay's typings do not declare: {unknown:?}"
    );
}

struct Sandbox {
    api: String,
    http: reqwest::Client,
    token: String,
}

impl Sandbox {
    async fn start(hook_url: Option<String>) -> Sandbox {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let psp = SandboxPsp::with_mangopay_hooks(
            SandboxConfig {
                public_base_url: base.clone(),
                ..SandboxConfig::default()
            },
            hook_url,
        );
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
        let api = format!("{base}/sandbox-psp/mangopay");
        let token: Value = http
            .post(format!("{api}/v2.01/oauth/token"))
            .basic_auth(CLIENT, Some("passphrase"))
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(token["token_type"], "bearer");
        Sandbox {
            api,
            http,
            token: token["access_token"].as_str().unwrap().to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2.01/{CLIENT}{path}", self.api)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let reply = request.bearer_auth(&self.token).send().await.unwrap();
        (reply.status(), reply.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value, key: &str) -> (StatusCode, Value) {
        self.send(
            self.http
                .post(self.url(path))
                .header("idempotency-key", key)
                .json(&body),
        )
        .await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(self.http.get(self.url(path))).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.put(self.url(path)).json(&body)).await
    }

    /// A card registered on `user` from `number`: the card's id.
    async fn card(&self, user: &str, number: &str) -> String {
        let (_, registration) = self
            .post(
                "/cardregistrations",
                json!({"UserId": user, "Currency": "EUR"}),
                &key("reg"),
            )
            .await;
        check(&registration, "card registration", &["cardRegistration"]);
        let data = self
            .http
            .post(registration["CardRegistrationURL"].as_str().unwrap())
            .form(&[
                (
                    "data",
                    registration["PreregistrationData"].as_str().unwrap(),
                ),
                ("accessKeyRef", registration["AccessKey"].as_str().unwrap()),
                ("cardNumber", number),
                ("cardExpirationDate", "1240"),
                ("cardCvx", "123"),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (status, done) = self
            .put(
                &format!(
                    "/cardregistrations/{}",
                    registration["Id"].as_str().unwrap()
                ),
                json!({"RegistrationData": data}),
            )
            .await;
        assert_eq!(
            (status, done["Status"].as_str()),
            (StatusCode::OK, Some("VALIDATED")),
            "{done}"
        );
        check(&done, "completed card registration", &["cardRegistration"]);
        done["CardId"].as_str().unwrap().to_owned()
    }
}

/// A key MangoPay takes: at most 36 letters, digits or dashes.
fn key(what: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", &what[..what.len().min(8)], &id[..24])
}

fn browser() -> Value {
    json!({"AcceptHeader": "text/html", "JavaEnabled": false, "Language": "FR", "ColorDepth": 24,
           "ScreenHeight": 1080, "ScreenWidth": 1920, "TimeZoneOffset": "-60",
           "UserAgent": "Mozilla/5.0", "JavascriptEnabled": true})
}

#[tokio::test]
async fn every_object_has_only_the_fields_mangopay_declares() {
    let mp = Sandbox::start(None).await;
    let (_, seller) = mp
        .post(
            "/users/legal",
            json!({"Name": "Boutique", "LegalPersonType": "BUSINESS", "Email": "a@b.fr",
            "UserCategory": "OWNER", "TermsAndConditionsAccepted": true}),
            &key("seller"),
        )
        .await;
    check(&seller, "legal user", &["user"]);
    let (_, wallet) = mp
        .post(
            "/wallets",
            json!({"Owners": [seller["Id"]], "Currency": "EUR", "Description": "Sales"}),
            &key("wallet"),
        )
        .await;
    check(&wallet, "wallet", &["wallet", "money"]);
    let (_, shopper) = mp
        .post(
            "/users/natural",
            json!({"FirstName": "Jeanne", "LastName": "Martin", "Email": "j@m.fr",
            "UserCategory": "PAYER", "TermsAndConditionsAccepted": true}),
            &key("shopper"),
        )
        .await;
    check(&shopper, "natural user", &["user"]);
    let user = shopper["Id"].as_str().unwrap();
    let card = mp.card(user, "4970107111111119").await;
    check(&mp.get(&format!("/cards/{card}")).await, "card", &["card"]);

    let (status, preauth) = mp
        .post("/preauthorizations/card/direct", json!({"AuthorId": user, "CardId": card,
            "DebitedFunds": {"Currency": "EUR", "Amount": 5000}, "SecureModeReturnURL": "https://shop.example/back",
            "IpAddress": "203.0.113.7", "BrowserInfo": browser(), "Tag": "t"}), &key("preauth"))
        .await;
    assert_eq!(
        (status, preauth["Status"].as_str()),
        (StatusCode::OK, Some("SUCCEEDED")),
        "{preauth}"
    );
    check(
        &preauth,
        "pre-authorisation",
        &["cardPreauthorization", "money"],
    );
    let id = preauth["Id"].as_str().unwrap();
    assert_eq!(
        preauth["SecureModeReturnURL"],
        format!("https://shop.example/back?preAuthorizationId={id}")
    );

    let capture = json!({"AuthorId": user, "CreditedWalletId": wallet["Id"], "PreauthorizationId": id,
        "DebitedFunds": {"Currency": "EUR", "Amount": 2000}, "Fees": {"Currency": "EUR", "Amount": 0}});
    let (status, payin) = mp
        .post(
            "/payins/preauthorized/direct",
            capture.clone(),
            &key("capture"),
        )
        .await;
    assert_eq!(
        (status, payin["Status"].as_str()),
        (StatusCode::OK, Some("SUCCEEDED")),
        "{payin}"
    );
    check(
        &payin,
        "pre-authorised pay-in",
        &["payIn", "transaction", "money"],
    );
    // Above what is left: 200 with a failed pay-in, 001505, as MangoPay answers.
    let mut over = capture.clone();
    over["DebitedFunds"]["Amount"] = 3001.into();
    let (status, failed) = mp
        .post("/payins/preauthorized/direct", over, &key("over"))
        .await;
    assert_eq!(
        (
            status,
            failed["Status"].as_str(),
            failed["ResultCode"].as_str()
        ),
        (StatusCode::OK, Some("FAILED"), Some("001505"))
    );
    let (status, refund) = mp
        .post(&format!("/payins/{}/refunds", payin["Id"].as_str().unwrap()),
            json!({"AuthorId": user, "DebitedFunds": {"Currency": "EUR", "Amount": 500}, "Fees": {"Currency": "EUR", "Amount": 0}}),
            &key("refund"))
        .await;
    assert_eq!(status, StatusCode::OK, "{refund}");
    check(&refund, "refund", &["refund", "transaction", "money"]);
    let (status, released) = mp
        .put(
            &format!("/preauthorizations/{id}"),
            json!({"PaymentStatus": "VALIDATED"}),
        )
        .await;
    assert_eq!(
        (status, released["PaymentStatus"].as_str()),
        (StatusCode::OK, Some("VALIDATED"))
    );
    assert_eq!(released["RemainingFunds"]["Amount"], 0);
    sepa::sepa_objects_have_only_declared_fields(&mp).await;
    disputes::dispute_objects_have_only_declared_fields(&mp).await;
}

#[tokio::test]
async fn a_used_key_is_refused_and_its_first_answer_kept() {
    let mp = Sandbox::start(None).await;
    let used = key("user");
    let body = json!({"FirstName": "Paul", "LastName": "Durand", "Email": "p@d.fr"});
    let (status, first) = mp.post("/users/natural", body.clone(), &used).await;
    assert_eq!(status, StatusCode::OK);
    let (status, again) = mp.post("/users/natural", body, &used).await;
    assert_eq!(
        (status, again["Type"].as_str()),
        (StatusCode::CONFLICT, Some("idempotent_creation_conflict"))
    );
    let kept = mp.get(&format!("/responses/{used}")).await;
    assert_eq!(
        (kept["StatusCode"].as_str(), &kept["Resource"]),
        (Some("200"), &first)
    );
    assert!(kept["Date"].as_str().unwrap().ends_with(" GMT"));
    // Keys MangoPay refuses: too short, or with other characters.
    for bad in ["short", "with space in the key", "é-é-é-é-é-é-é-é-é"] {
        let (status, problem) = mp.post("/users/natural", json!({}), bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
    }
    // Without a token, or with another client's: 401.
    let reply = mp.http.get(mp.url("/users/x")).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    let other = mp
        .http
        .get(format!("{}/v2.01/someone-else/users/x", mp.api))
        .bearer_auth(&mp.token)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn hooks_are_called_with_get_and_retried_until_answered() {
    // A hook endpoint that fails its first call, then records.
    let calls: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::get(move |uri: axum::http::Uri| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push(uri.query().unwrap_or_default().to_owned());
                if seen.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mp = Sandbox::start(Some(hook_url)).await;
    let (_, user) = mp
        .post(
            "/users/natural",
            json!({"FirstName": "A", "LastName": "B", "Email": "a@b.fr"}),
            &key("u"),
        )
        .await;
    let card = mp
        .card(user["Id"].as_str().unwrap(), "4970107111111119")
        .await;
    let (_, preauth) = mp
        .post("/preauthorizations/card/direct", json!({"AuthorId": user["Id"], "CardId": card,
            "DebitedFunds": {"Currency": "EUR", "Amount": 1200}, "SecureModeReturnURL": "https://shop.example/b",
            "IpAddress": "203.0.113.7", "BrowserInfo": browser()}), &key("p"))
        .await;
    let id = preauth["Id"].as_str().unwrap();
    // PREAUTHORIZATION_CREATED (refused once, retried after 1 s) and PREAUTHORIZATION_SUCCEEDED.
    for _ in 0..60 {
        if calls.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "{calls:?}");
    for query in &calls {
        assert!(query.starts_with("EventType=PREAUTHORIZATION_"), "{query}");
        assert!(
            query.contains(&format!("RessourceId={id}")) && query.contains("&Date="),
            "{query}"
        );
    }
    assert_eq!(
        calls
            .iter()
            .filter(|q| q.contains("PREAUTHORIZATION_CREATED"))
            .count(),
        2,
        "retried: {calls:?}"
    );
}
