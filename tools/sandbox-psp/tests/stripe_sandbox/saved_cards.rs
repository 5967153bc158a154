//! A saved card's expiry and holder name changed, then the card detached from its customer, as
//! Stripe does it: the objects and events checked against Stripe's schemas.

use reqwest::StatusCode;

use crate::schema_check::{schema_of, Schemas};
use crate::support::*;

#[tokio::test]
async fn a_saved_card_is_updated_then_detached() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let cus = sb.customer().await;
    let cs = sb
        .session(&[
            ("customer", &cus),
            ("payment_intent_data[setup_future_usage]", "off_session"),
        ])
        .await;
    let resp = sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let list_path = format!("/v1/payment_methods?customer={cus}&type=card");
    let (_, list) = sb.get(&list_path).await;
    let pm = list["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/payment_methods/{pm}");

    let (s, updated) = sb
        .post(
            &path,
            &[
                ("card[exp_month]", "3"),
                ("card[exp_year]", "2031"),
                ("billing_details[name]", "Jeanne Martin"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    schemas.assert_valid("payment_method", &updated);
    assert_eq!(
        (
            updated["card"]["exp_month"].as_i64(),
            updated["card"]["exp_year"].as_i64()
        ),
        (Some(3), Some(2031))
    );
    assert_eq!(updated["billing_details"]["name"], "Jeanne Martin");
    let (_, list) = sb.get(&list_path).await;
    assert_eq!(list["data"][0]["card"]["exp_year"], 2031);

    for (field, value, code) in [
        ("card[exp_month]", "13", "invalid_expiry_month"),
        ("card[exp_year]", "2001", "invalid_expiry_year"),
    ] {
        let (s, err) = sb.post(&path, &[(field, value)]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(err["error"]["code"], code);
        schemas.assert_valid("error", &err);
    }

    let (s, detached) = sb.post(&format!("{path}/detach"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{detached}");
    assert_eq!(detached["customer"], serde_json::Value::Null);
    schemas.assert_valid("payment_method", &detached);
    let (_, list) = sb.get(&list_path).await;
    assert_eq!(list["data"], serde_json::json!([]));
    let (s, _) = sb.post(&format!("{path}/detach"), &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "not attached any more");
    let (s, _) = sb.post("/v1/payment_methods/pm_unknown", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let kinds: Vec<String> = sb
        .events()
        .await
        .iter()
        .inspect(|event| {
            schemas.assert_valid("event", event);
            let object = &event["data"]["object"];
            schemas.assert_valid(schema_of(object).unwrap(), object);
        })
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("payment_method."))
        .collect();
    assert_eq!(kinds, ["payment_method.updated", "payment_method.detached"]);
}

/// A saved card paid on session with its security code asked again: the PaymentIntent waits,
/// the API cannot confirm it, and only the PSP's page (with the client secret and the code)
/// does, then sends the shopper back with Stripe's query parameters.
#[tokio::test]
async fn a_saved_card_is_confirmed_with_its_security_code_on_the_psps_page() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let cus = sb.customer().await;
    let cs = sb
        .session(&[
            ("customer", &cus),
            ("payment_intent_data[setup_future_usage]", "off_session"),
        ])
        .await;
    sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    let (_, list) = sb
        .get(&format!("/v1/payment_methods?customer={cus}&type=card"))
        .await;
    let pm = list["data"][0]["id"].as_str().unwrap().to_owned();

    let create = |confirm: &'static str| {
        let (cus, pm) = (cus.clone(), pm.clone());
        async move {
            let mut form = vec![
                ("amount", "2568".to_string()),
                ("currency", "eur".into()),
                ("capture_method", "manual".into()),
                ("customer", cus),
                ("payment_method", pm),
                (
                    "payment_method_options[card][require_cvc_recollection]",
                    "true".into(),
                ),
            ];
            if !confirm.is_empty() {
                form.push(("confirm", confirm.into()));
            }
            form
        }
    };
    // Confirmed at creation: refused, it needs the shopper's code.
    let form = create("true").await;
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, refused) = sb.post("/v1/payment_intents", &pairs).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused["error"]["param"],
        "payment_method_options[card][cvc_token]"
    );
    schemas.assert_valid("error", &refused);

    let form = create("").await;
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, pi) = sb.post("/v1/payment_intents", &pairs).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    schemas.assert_valid("payment_intent", &pi);
    assert_eq!(pi["status"], "requires_confirmation");
    assert_eq!(
        pi["payment_method_options"]["card"]["require_cvc_recollection"],
        true
    );
    let id = pi["id"].as_str().unwrap();
    let (s, _) = sb
        .post(&format!("/v1/payment_intents/{id}/confirm"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the API cannot confirm it");

    let secret = pi["client_secret"].as_str().unwrap();
    let back = "http://127.0.0.1:9/return?reference=ORD-1";
    let query =
        serde_urlencoded::to_string([("client_secret", secret), ("return_url", back)]).unwrap();
    let page = sb.url(&format!("/confirm/{id}?{query}"));
    let wrong = sb.url(&format!(
        "/confirm/{id}?client_secret={id}_secret_wrong&return_url=http://x/"
    ));
    assert_eq!(sb.page(&wrong).await.0, StatusCode::NOT_FOUND);
    let (s, html) = sb.page(&page).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("visa •••• 4242") && html.contains("25.68 EUR"),
        "{html}"
    );

    let post = sb.url(&format!("/confirm/{id}"));
    let form = [
        ("client_secret", secret),
        ("return_url", back),
        ("cvc", "1234"),
    ];
    let resp = sb.submit(&post, &form).await;
    assert_eq!(
        resp.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a Visa code has 3 digits"
    );
    let form = [
        ("client_secret", secret),
        ("return_url", back),
        ("cvc", "123"),
    ];
    let resp = sb.submit(&post, &form).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    assert!(
        to.starts_with(&format!(
            "{back}&payment_intent={id}&payment_intent_client_secret="
        )) && to.ends_with("&redirect_status=succeeded"),
        "{to}"
    );
    let pi = sb.intent(id).await;
    assert_eq!(pi["status"], "requires_capture");
    // Confirmed once: the page says so instead of charging again.
    assert_eq!(sb.submit(&post, &form).await.status(), StatusCode::CONFLICT);
}
