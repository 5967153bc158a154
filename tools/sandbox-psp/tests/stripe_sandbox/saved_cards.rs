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
