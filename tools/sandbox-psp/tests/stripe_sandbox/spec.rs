//! Everything the sandbox answers, checked against Stripe's schemas for the pinned API version
//! (fixtures/stripe_schemas.json): customers, Checkout Sessions before and after the hosted
//! page, PaymentIntents (created, confirmed, 3-D Secure, declined, captured, cancelled, their
//! expanded charge), refunds, the payment methods list, error bodies and every event with the
//! object it carries.

use reqwest::StatusCode;
use serde_json::Value;

use crate::schema_check::{schema_of, Schemas};
use crate::support::*;

/// Checks a Stripe object by its own `object` field, and that it is the one expected.
fn check(schemas: &Schemas, expected: &str, value: &Value) {
    assert_eq!(schema_of(value), Some(expected), "{value:#}");
    schemas.assert_valid(expected, value);
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_object_matches_stripes_schema() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let cus = sb.customer().await;
    let (_, customer) = sb.get(&format!("/v1/customers/{cus}")).await;
    check(&schemas, "customer", &customer);

    // Hosted checkout, manual capture, card saved, multicapture asked for.
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
    check(&schemas, "checkout.session", &cs);
    let resp = sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, cs) = sb
        .get(&format!(
            "/v1/checkout/sessions/{}?expand[]=payment_intent",
            id(&cs)
        ))
        .await;
    check(&schemas, "checkout.session", &cs);
    check(&schemas, "payment_intent", &cs["payment_intent"]);
    let pi_id = id(&cs["payment_intent"]);
    let (_, pi) = sb
        .get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=latest_charge"
        ))
        .await;
    check(&schemas, "payment_intent", &pi);
    check(&schemas, "charge", &pi["latest_charge"]);

    let cap = format!("/v1/payment_intents/{pi_id}/capture");
    for form in [
        vec![
            ("amount_to_capture", "5000"),
            ("final_capture", "false"),
            ("expand[]", "latest_charge"),
        ],
        vec![("expand[]", "latest_charge")],
    ] {
        let (s, pi) = sb.post(&cap, &form).await;
        assert_eq!(s, StatusCode::OK, "{pi}");
        check(&schemas, "payment_intent", &pi);
        check(&schemas, "charge", &pi["latest_charge"]);
    }
    let (_, re) = sb
        .post(
            "/v1/refunds",
            &[("payment_intent", pi_id.as_str()), ("amount", "700")],
        )
        .await;
    check(&schemas, "refund", &re);
    let (_, re) = sb.get(&format!("/v1/refunds/{}", id(&re))).await;
    check(&schemas, "refund", &re);
    let (_, list) = sb
        .get(&format!("/v1/payment_methods?customer={cus}&type=card"))
        .await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    check(&schemas, "list", &list);

    // Through the API: off-session on the saved card, 3-D Secure, a decline, a cancel.
    let pm = id(&list["data"][0]);
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "eur"),
                ("customer", &cus),
                ("payment_method", &pm),
                ("confirm", "true"),
                ("off_session", "true"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    check(&schemas, "payment_intent", &pi);
    let (_, pi) = sb
        .post(
            &format!("/v1/payment_intents/{}/cancel", id(&pi)),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await;
    assert_eq!(pi["status"], "canceled");
    check(&schemas, "payment_intent", &pi);
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("payment_method", "pm_card_authenticationRequired"),
                ("confirm", "true"),
                ("return_url", "https://shop.example/back"),
            ],
        )
        .await;
    assert_eq!(pi["status"], "requires_action");
    check(&schemas, "payment_intent", &pi);
    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("payment_method", "pm_card_chargeDeclined"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED);
    schemas.assert_valid("error", &err);
    let (_, pi) = sb
        .get(&format!(
            "/v1/payment_intents/{}",
            err["error"]["payment_intent"]["id"].as_str().unwrap()
        ))
        .await;
    check(&schemas, "payment_intent", &pi);

    // A session expired before any card was tried.
    let (_, expired) = sb
        .post(
            &format!(
                "/v1/checkout/sessions/{}/expire",
                id(&sb.session(&[]).await)
            ),
            &[],
        )
        .await;
    check(&schemas, "checkout.session", &expired);

    let events = sb.events().await;
    assert!(events.len() >= 10, "{}", events.len());
    for event in &events {
        check(&schemas, "event", event);
        let object = &event["data"]["object"];
        let name = schema_of(object).unwrap();
        schemas.assert_valid(name, object);
    }
}

#[tokio::test]
async fn error_bodies_match_stripes_schema() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let (s, err) = sb.get("/v1/payment_intents/pi_missing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    schemas.assert_valid("error", &err);
    let (s, err) = sb.post("/v1/payment_intents", &[("currency", "eur")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    schemas.assert_valid("error", &err);
    let (s, err) = sb
        .post("/v1/customers", &[("emial", "typo@example.com")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    schemas.assert_valid("error", &err);
    let key = [("email", "a@example.com")];
    sb.post_idem("/v1/customers", &key, "k").await;
    let (s, err) = sb
        .post_idem("/v1/customers", &[("email", "b@example.com")], "k")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    schemas.assert_valid("error", &err);
    sb.faults(serde_json::json!({"fail_next": 1})).await;
    let (s, err) = sb.get("/v1/customers/cus_x").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    schemas.assert_valid("error", &err);
}

/// SEPA Direct Debit: the setup-mode session before and after the hosted form, its
/// SetupIntent, the Mandate, the `sepa_debit` PaymentMethod (alone and listed), debits
/// processing, succeeded, failed and disputed with their charges, and every event.
#[tokio::test]
async fn sepa_objects_match_stripes_schema() {
    use crate::sepa::*;
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let cus = sb.customer().await;
    let cs = setup_session(&sb, &cus).await;
    check(&schemas, "checkout.session", &cs);
    let (_, seti) = sb
        .get(&format!(
            "/v1/setup_intents/{}",
            cs["setup_intent"].as_str().unwrap()
        ))
        .await;
    check(&schemas, "setup_intent", &seti);
    submit_iban(&sb, &cs, IBAN_OK).await;
    let (_, cs) = sb
        .get(&format!(
            "/v1/checkout/sessions/{}?expand[]=setup_intent",
            id(&cs)
        ))
        .await;
    check(&schemas, "checkout.session", &cs);
    check(&schemas, "setup_intent", &cs["setup_intent"]);
    let (pm, mandate) = (
        &cs["setup_intent"]["payment_method"],
        &cs["setup_intent"]["mandate"],
    );
    let (_, pm) = sb
        .get(&format!("/v1/payment_methods/{}", pm.as_str().unwrap()))
        .await;
    check(&schemas, "payment_method", &pm);
    let (_, m) = sb
        .get(&format!("/v1/mandates/{}", mandate.as_str().unwrap()))
        .await;
    check(&schemas, "mandate", &m);
    let (_, list) = sb
        .get(&format!(
            "/v1/payment_methods?customer={cus}&type=sepa_debit"
        ))
        .await;
    check(&schemas, "list", &list);

    let mut debits = Vec::new();
    for iban in [IBAN_OK, IBAN_NO_FUNDS, IBAN_DISPUTED] {
        let pi = debit(&sb, iban).await;
        check(&schemas, "payment_intent", &pi);
        check(&schemas, "charge", &pi["latest_charge"]);
        debits.push(id(&pi));
    }
    advance(&sb, 0).await;
    for pi in &debits {
        let (_, pi) = sb
            .get(&format!("/v1/payment_intents/{pi}?expand[]=latest_charge"))
            .await;
        assert_ne!(pi["status"], "processing");
        check(&schemas, "payment_intent", &pi);
        check(&schemas, "charge", &pi["latest_charge"]);
    }
    let (_, disputes) = sb
        .get(&format!("/v1/disputes?payment_intent={}", debits[2]))
        .await;
    check(&schemas, "dispute", &disputes["data"][0]);
    let (_, expired) = sb
        .post(
            &format!(
                "/v1/checkout/sessions/{}/expire",
                id(&setup_session(&sb, &cus).await)
            ),
            &[],
        )
        .await;
    check(&schemas, "checkout.session", &expired);

    let events = sb.events().await;
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    for kind in [
        "setup_intent.succeeded",
        "setup_intent.canceled",
        "mandate.updated",
        "payment_method.attached",
        "charge.pending",
        "payment_intent.processing",
        "payment_intent.payment_failed",
        "charge.failed",
        "charge.dispute.closed",
    ] {
        assert!(types.contains(&kind), "{kind} in {types:?}");
    }
    for event in &events {
        check(&schemas, "event", event);
        let object = &event["data"]["object"];
        schemas.assert_valid(schema_of(object).unwrap(), object);
    }
}
