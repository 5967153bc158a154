//! SEPA Direct Debit: the mandate collected by a setup-mode Checkout Session on the hosted
//! page, then debits on it whose outcome follows Stripe's test IBANs, immediately (within a
//! few seconds, or at once when the clock moves) or once the sandbox clock passes 3 minutes;
//! detached methods, late returns and idempotent replays.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

pub const IBAN_OK: &str = "DE89370400440532013000";
pub const IBAN_DELAYED_OK: &str = "DE08370400440532013003";
pub const IBAN_FAILS: &str = "DE62370400440532013001";
pub const IBAN_DELAYED_FAILS: &str = "DE78370400440532013004";
pub const IBAN_DISPUTED: &str = "DE35370400440532013002";
pub const IBAN_NO_FUNDS: &str = "DE65370400440002222227";

/// A setup-mode session for `cus`.
pub async fn setup_session(sb: &Sandbox, cus: &str) -> Value {
    let (s, cs) = sb
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "setup"),
                ("payment_method_types[0]", "sepa_debit"),
                ("customer", cus),
                (
                    "success_url",
                    "https://shop.example/mandate?cs={CHECKOUT_SESSION_ID}",
                ),
                ("cancel_url", "https://shop.example/cancelled"),
                ("metadata[plan_id]", "PLAN-7"),
                ("setup_intent_data[metadata][plan_id]", "PLAN-7"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    cs
}

/// Types the account holder, email and IBAN on the session's page.
pub async fn submit_iban(sb: &Sandbox, cs: &Value, iban: &str) -> reqwest::Response {
    sb.http
        .post(cs["url"].as_str().unwrap())
        .header("user-agent", "SandboxTest/1.0")
        .form(&[
            ("name", "Ada Lovelace"),
            ("email", "ada@example.com"),
            ("iban", iban),
        ])
        .send()
        .await
        .unwrap()
}

/// A customer with a mandate on `iban`: (customer, payment method, mandate).
pub async fn mandate_on(sb: &Sandbox, iban: &str) -> (String, String, String) {
    let cus = sb.customer().await;
    let cs = setup_session(sb, &cus).await;
    let resp = submit_iban(sb, &cs, iban).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cs_id = cs["id"].as_str().unwrap();
    let (_, cs) = sb
        .get(&format!(
            "/v1/checkout/sessions/{cs_id}?expand[]=setup_intent"
        ))
        .await;
    let seti = &cs["setup_intent"];
    let pm = seti["payment_method"].as_str().unwrap().to_owned();
    (cus, pm, seti["mandate"].as_str().unwrap().to_owned())
}

pub fn debit_form<'a>(cus: &'a str, pm: &'a str, mandate: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", "4200"),
        ("currency", "eur"),
        ("customer", cus),
        ("payment_method", pm),
        ("payment_method_types[0]", "sepa_debit"),
        ("mandate", mandate),
        ("confirm", "true"),
        ("off_session", "true"),
        ("metadata[instalment]", "2"),
        ("expand[]", "latest_charge"),
    ]
}

/// A debit of 42.00 EUR on a new mandate on `iban`; answers the PaymentIntent.
pub async fn debit(sb: &Sandbox, iban: &str) -> Value {
    let (cus, pm, mandate) = mandate_on(sb, iban).await;
    let (s, pi) = sb
        .post_idem(
            "/v1/payment_intents",
            &debit_form(&cus, &pm, &mandate),
            iban,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "processing");
    assert_eq!(pi["latest_charge"]["status"], "pending");
    let details = &pi["latest_charge"]["payment_method_details"];
    assert_eq!(details["type"], "sepa_debit");
    assert_eq!(details["sepa_debit"]["mandate"], mandate.as_str());
    assert_eq!(details["sepa_debit"]["last4"], &iban[iban.len() - 4..]);
    pi
}

pub async fn advance(sb: &Sandbox, seconds: i64) -> Value {
    let resp = sb
        .http
        .post(sb.url("/_clock"))
        .json(&json!({ "advance_seconds": seconds }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn intent_with_charge(sb: &Sandbox, id: &str) -> Value {
    sb.get(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"))
        .await
        .1
}

/// The event types about one PaymentIntent (or its charge), in order.
async fn events_of(sb: &Sandbox, pi: &str) -> Vec<String> {
    sb.events()
        .await
        .iter()
        .filter(|e| {
            let o = &e["data"]["object"];
            o["id"] == pi || o["payment_intent"] == pi
        })
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_setup_session_collects_a_mandate_on_the_hosted_page() {
    let sb = sandbox().await;
    let cus = sb.customer().await;
    let cs = setup_session(&sb, &cus).await;
    assert_eq!(cs["mode"], "setup");
    assert_eq!(cs["payment_status"], "no_payment_required");
    assert!(cs["payment_intent"].is_null() && cs["amount_total"].is_null());
    assert!(cs["currency"].is_null());
    assert_eq!(cs["metadata"]["plan_id"], "PLAN-7");
    let seti_id = cs["setup_intent"].as_str().unwrap();
    assert!(seti_id.starts_with("seti_"));
    let (_, seti) = sb.get(&format!("/v1/setup_intents/{seti_id}")).await;
    assert_eq!(seti["status"], "requires_payment_method");
    assert_eq!(seti["usage"], "off_session");
    assert_eq!(seti["payment_method_types"], json!(["sepa_debit"]));
    assert_eq!(seti["metadata"]["plan_id"], "PLAN-7");

    let (s, html) = sb.page(cs["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"iban\"") && html.contains("Sandbox PSP Test Merchant"));
    assert!(!html.contains("name=\"number\""), "no card form");
    // A bad checksum and Stripe's unsupported bank: the form again, nothing created.
    for (iban, says) in [
        ("DE89370400440532013001", "Your IBAN is invalid."),
        ("DE91370400440000055555", "sepa_debit_bank_not_supported"),
    ] {
        let resp = submit_iban(&sb, &cs, iban).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = resp.text().await.unwrap();
        assert!(html.contains(says), "{html}");
        assert!(!html.contains(iban), "the IBAN is never echoed");
    }
    let list = format!("/v1/payment_methods?customer={cus}&type=sepa_debit");
    assert_eq!(sb.get(&list).await.1["data"], json!([]));
    assert!(sb.events().await.is_empty());

    let resp = submit_iban(&sb, &cs, "DE89 3704 0044 0532 0130 00").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cs_id = cs["id"].as_str().unwrap();
    assert_eq!(
        location(&resp),
        format!("https://shop.example/mandate?cs={cs_id}")
    );
    let (_, cs) = sb
        .get(&format!(
            "/v1/checkout/sessions/{cs_id}?expand[]=setup_intent"
        ))
        .await;
    assert_eq!(cs["status"], "complete");
    let seti = &cs["setup_intent"];
    assert_eq!(seti["status"], "succeeded");
    let pm_id = seti["payment_method"].as_str().unwrap();
    let (_, pm) = sb.get(&format!("/v1/payment_methods/{pm_id}")).await;
    assert_eq!(pm["type"], "sepa_debit");
    assert_eq!(pm["customer"], cus.as_str());
    assert_eq!(pm["billing_details"]["email"], "ada@example.com");
    let sepa = &pm["sepa_debit"];
    assert_eq!(
        (&sepa["bank_code"], &sepa["country"], &sepa["last4"]),
        (&json!("37040044"), &json!("DE"), &json!("3000"))
    );
    assert!(sepa["generated_from"].is_null());
    assert!(
        !pm.to_string().contains("0532013000"),
        "only last4 of the IBAN"
    );
    let mandate_id = seti["mandate"].as_str().unwrap();
    let (_, mandate) = sb.get(&format!("/v1/mandates/{mandate_id}")).await;
    assert_eq!(
        (&mandate["status"], &mandate["type"]),
        (&json!("active"), &json!("multi_use"))
    );
    assert_eq!(mandate["payment_method"], pm_id);
    let acceptance = &mandate["customer_acceptance"];
    assert_eq!(acceptance["type"], "online");
    assert_eq!(acceptance["online"]["ip_address"], "127.0.0.1");
    assert_eq!(acceptance["online"]["user_agent"], "SandboxTest/1.0");
    let reference = mandate["payment_method_details"]["sepa_debit"]["reference"]
        .as_str()
        .unwrap();
    assert!(reference.len() <= 35 && !reference.is_empty());
    assert!(reference
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    let url = mandate["payment_method_details"]["sepa_debit"]["url"]
        .as_str()
        .unwrap();
    let (s, page) = sb.page(url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(reference) && page.contains("3000"));
    assert_eq!(sb.get(&list).await.1["data"][0]["id"], pm_id);
    assert_eq!(
        sb.event_types().await,
        [
            "payment_method.attached",
            "mandate.updated",
            "setup_intent.succeeded",
            "checkout.session.completed"
        ]
    );
}

#[tokio::test]
async fn setup_mode_refuses_what_stripe_refuses() {
    let sb = sandbox().await;
    let cus = sb.customer().await;
    let base = [
        ("mode", "setup"),
        ("payment_method_types[0]", "sepa_debit"),
        ("success_url", "https://shop.example/ok"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut f = base.to_vec();
        f.extend_from_slice(extra);
        f
    };
    let line_item = [("line_items[0][quantity]", "1"), ("customer", "cus_x")];
    let (s, err) = sb.post("/v1/checkout/sessions", &with(&line_item)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        err["error"]["message"],
        "You can not pass `line_items` in `setup` mode."
    );
    let (s, err) = sb.post("/v1/checkout/sessions", &with(&[])).await;
    assert_eq!(
        (s, &err["error"]["param"]),
        (StatusCode::BAD_REQUEST, &json!("customer"))
    );
    // Expiring a setup session cancels its SetupIntent.
    let cs = setup_session(&sb, &cus).await;
    let cs_id = cs["id"].as_str().unwrap();
    let (s, cs) = sb
        .post(
            &format!("/v1/checkout/sessions/{cs_id}/expire"),
            &[("expand[]", "setup_intent")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    assert_eq!(cs["status"], "expired");
    assert_eq!(cs["setup_intent"]["status"], "canceled");
    assert_eq!(
        sb.event_types().await,
        ["setup_intent.canceled", "checkout.session.expired"]
    );
}

#[tokio::test]
async fn immediate_scenarios_settle_within_seconds_without_the_clock() {
    let sb = sandbox().await;
    let ok = debit(&sb, IBAN_OK).await;
    let fails = debit(&sb, IBAN_FAILS).await;
    let no_funds = debit(&sb, IBAN_NO_FUNDS).await;
    let disputed = debit(&sb, IBAN_DISPUTED).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let mut settled = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut all = true;
        for pi in [&ok, &fails, &no_funds, &disputed] {
            all &= sb.intent(&id(pi)).await["status"] != "processing";
        }
        if all {
            settled = true;
            break;
        }
    }
    assert!(settled, "immediate scenarios settle within a few seconds");

    let pi = intent_with_charge(&sb, &id(&ok)).await;
    assert_eq!(
        (&pi["status"], &pi["amount_received"]),
        (&json!("succeeded"), &json!(4200))
    );
    assert_eq!(pi["latest_charge"]["status"], "succeeded");
    assert_eq!(
        events_of(&sb, &id(&ok)).await,
        [
            "charge.pending",
            "payment_intent.processing",
            "payment_intent.succeeded",
            "charge.succeeded"
        ]
    );

    for (pi, code) in [
        (&fails, "generic_could_not_process"),
        (&no_funds, "insufficient_funds"),
    ] {
        let pi = intent_with_charge(&sb, &id(pi)).await;
        assert_eq!(pi["status"], "requires_payment_method");
        assert!(pi["payment_method"].is_null());
        assert_eq!(pi["last_payment_error"]["decline_code"], code);
        assert_eq!(pi["last_payment_error"]["type"], "card_error");
        assert_eq!(
            pi["last_payment_error"]["payment_method"]["type"],
            "sepa_debit"
        );
        assert_eq!(pi["latest_charge"]["status"], "failed");
        assert_eq!(pi["latest_charge"]["failure_code"], code);
        let events = events_of(&sb, pi["id"].as_str().unwrap()).await;
        assert_eq!(
            events[2..],
            ["charge.failed", "payment_intent.payment_failed"]
        );
    }
    let pi = intent_with_charge(&sb, &id(&no_funds)).await;
    assert_eq!(pi["last_payment_error"]["code"], "insufficient_funds");

    let (_, list) = sb
        .get(&format!("/v1/disputes?payment_intent={}", id(&disputed)))
        .await;
    let dispute = &list["data"][0];
    assert_eq!(
        (&dispute["status"], &dispute["reason"]),
        (&json!("lost"), &json!("general"))
    );
    assert_eq!(dispute["amount"], 4200);
    assert_eq!(
        events_of(&sb, &id(&disputed)).await[2..],
        [
            "payment_intent.succeeded",
            "charge.succeeded",
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.closed"
        ]
    );
}

#[tokio::test]
async fn delayed_scenarios_wait_for_the_sandbox_clock() {
    let sb = sandbox().await;
    let before = advance(&sb, 0).await["now"].as_i64().unwrap();
    let ok = debit(&sb, IBAN_DELAYED_OK).await;
    let fails = debit(&sb, IBAN_DELAYED_FAILS).await;
    let immediate = debit(&sb, IBAN_OK).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    // Any move of the clock settles the immediate ones at once; 100 s are not 3 minutes.
    let now = advance(&sb, 100).await["now"].as_i64().unwrap();
    assert!(now >= before + 100, "{before} {now}");
    let (_, clock) = sb.send(sb.http.get(sb.url("/_clock"))).await;
    assert!(clock["now"].as_i64().unwrap() >= now);
    assert_eq!(sb.intent(&id(&immediate)).await["status"], "succeeded");
    assert_eq!(sb.intent(&id(&ok)).await["status"], "processing");
    assert_eq!(sb.intent(&id(&fails)).await["status"], "processing");
    advance(&sb, 81).await;
    assert_eq!(sb.intent(&id(&ok)).await["status"], "succeeded");
    let pi = intent_with_charge(&sb, &id(&fails)).await;
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(
        pi["latest_charge"]["failure_code"],
        "generic_could_not_process"
    );
    let types = sb.event_types().await;
    assert!(types.contains(&"payment_intent.payment_failed".to_owned()));
    // The clock never goes back.
    let resp = sb
        .http
        .post(sb.url("/_clock"))
        .json(&json!({ "advance_seconds": -5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_detached_method_has_an_inactive_mandate_and_cannot_be_debited() {
    let sb = sandbox().await;
    let (cus, pm, mandate) = mandate_on(&sb, IBAN_OK).await;
    let (s, detached) = sb
        .post(&format!("/v1/payment_methods/{pm}/detach"), &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(detached["customer"].is_null());
    let (_, m) = sb.get(&format!("/v1/mandates/{mandate}")).await;
    assert_eq!(m["status"], "inactive");
    let types = sb.event_types().await;
    assert_eq!(
        types[types.len() - 2..],
        ["payment_method.detached", "mandate.updated"]
    );
    let (s, err) = sb
        .post("/v1/payment_intents", &debit_form(&cus, &pm, &mandate))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["param"], "mandate");
    assert_eq!(err["error"]["code"], "payment_intent_mandate_invalid");
}

#[tokio::test]
async fn debits_refuse_other_currencies_and_card_methods() {
    let sb = sandbox().await;
    let (cus, pm, mandate) = mandate_on(&sb, IBAN_OK).await;
    let mut form = debit_form(&cus, &pm, &mandate);
    form[1] = ("currency", "usd");
    let (s, err) = sb.post("/v1/payment_intents", &form).await;
    assert_eq!(
        (s, &err["error"]["param"]),
        (StatusCode::BAD_REQUEST, &json!("currency"))
    );
    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &debit_form(&cus, "pm_card_visa", &mandate),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &debit_form(&cus, &pm, "mandate_unknown"),
        )
        .await;
    assert_eq!(
        (s, &err["error"]["param"]),
        (StatusCode::NOT_FOUND, &json!("mandate"))
    );
}

#[tokio::test]
async fn a_late_return_is_a_final_dispute() {
    let sb = sandbox().await;
    let pi = debit(&sb, IBAN_OK).await;
    let pi_id = pi["id"].as_str().unwrap();
    let ret = |body: Value| {
        sb.http
            .post(sb.url(&format!("/_sepa/{pi_id}/return")))
            .json(&body)
            .send()
    };
    // Still processing: nothing to return yet.
    assert_eq!(
        ret(json!({"reason": "insufficient_funds"}))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    advance(&sb, 0).await;
    assert_eq!(sb.intent(pi_id).await["status"], "succeeded");
    let resp = ret(json!({"reason": "insufficient_funds"})).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let dispute: Value = resp.json().await.unwrap();
    assert_eq!(
        (&dispute["status"], &dispute["reason"]),
        (&json!("lost"), &json!("insufficient_funds"))
    );
    assert_eq!(dispute["payment_intent"], pi_id);
    let (_, list) = sb
        .get(&format!("/v1/disputes?payment_intent={pi_id}"))
        .await;
    assert_eq!(list["data"][0]["id"], dispute["id"]);
    let pi = intent_with_charge(&sb, pi_id).await;
    assert_eq!(pi["latest_charge"]["disputed"], true);
    assert_eq!(
        ret(json!({"reason": "debit_not_authorized"}))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST,
        "a charge is disputed once"
    );
    assert_eq!(
        ret(json!({"reason": "changed_my_mind"}))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    let types = sb.event_types().await;
    assert_eq!(
        types[types.len() - 3..],
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.closed"
        ]
    );
}

#[tokio::test]
async fn a_debit_create_is_replayed_under_its_idempotency_key() {
    let sb = sandbox().await;
    let (cus, pm, mandate) = mandate_on(&sb, IBAN_OK).await;
    let form = debit_form(&cus, &pm, &mandate);
    let (s1, first) = sb.post_idem("/v1/payment_intents", &form, "debit-1").await;
    let (s2, again) = sb.post_idem("/v1/payment_intents", &form, "debit-1").await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(first["id"], again["id"]);
    let processing = sb
        .event_types()
        .await
        .iter()
        .filter(|t| *t == "payment_intent.processing")
        .count();
    assert_eq!(processing, 1, "one debit");
    let mut other = form.clone();
    other[0] = ("amount", "4300");
    let (s, err) = sb.post_idem("/v1/payment_intents", &other, "debit-1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["type"], "idempotency_error");
}
