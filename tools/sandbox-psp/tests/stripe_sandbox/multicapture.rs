//! Multicapture availability as Stripe reports it, on the charge
//! (`latest_charge.payment_method_details.card.multicapture.status`), `latest_charge` expanded
//! on request only, and a card without multicapture, whose every capture is final.

use reqwest::StatusCode;
use serde_json::Value;

use crate::schema_check::Schemas;
use crate::support::*;

const CARD_WITHOUT_MULTICAPTURE: &str = "4000 0099 0000 0004";
const MULTICAPTURE: (&str, &str) = (
    "payment_method_options[card][request_multicapture]",
    "if_available",
);

fn multicapture_status(pi: &Value) -> &Value {
    &pi["latest_charge"]["payment_method_details"]["card"]["multicapture"]["status"]
}

/// Pays a manual-capture session asking for multicapture with `card`; the PaymentIntent id.
async fn paid(sb: &Sandbox, card: &str) -> String {
    let cs = sb.session(&[MULTICAPTURE]).await;
    let resp = sb.pay(cs["url"].as_str().unwrap(), card).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, pi) = session_intent(sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(pi["status"], "requires_capture");
    pi["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn latest_charge_is_an_id_unless_expanded_and_says_multicapture_is_available() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let id = paid(&sb, CARD_OK).await;
    let pi = sb.intent(&id).await;
    assert!(pi["latest_charge"].as_str().unwrap().starts_with("ch_"));
    let (_, expanded) = sb
        .get(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"))
        .await;
    assert_eq!(expanded["latest_charge"]["id"], pi["latest_charge"]);
    assert_eq!(expanded["latest_charge"]["object"], "charge");
    assert_eq!(multicapture_status(&expanded), "available");
    schemas.assert_valid("payment_intent", &expanded);

    // Expanded on capture too; a partial capture leaves the rest capturable.
    let cap = format!("/v1/payment_intents/{id}/capture");
    let (s, pi) = sb
        .post(
            &cap,
            &[
                ("amount_to_capture", "5000"),
                ("final_capture", "false"),
                ("metadata[note]", "first parcel"),
                ("expand[]", "latest_charge"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(
        (pi["status"].as_str(), pi["amount_capturable"].as_i64()),
        (Some("requires_capture"), Some(7500))
    );
    assert_eq!(pi["latest_charge"]["amount_captured"], 5000);
    assert_eq!(pi["metadata"]["note"], "first parcel");
    // The final capture's metadata is merged into the PaymentIntent's, as at Stripe (an empty
    // value unsets a key): later reads and the webhook's object carry it.
    let (_, pi) = sb
        .post(
            &cap,
            &[
                ("amount_to_capture", "2500"),
                ("metadata[encaisse_release]", "last_parcel"),
                ("metadata[note]", ""),
            ],
        )
        .await;
    assert_eq!(pi["status"], "succeeded");
    assert!(pi["latest_charge"].is_string(), "not asked to expand");
    assert_eq!(pi["metadata"]["encaisse_release"], "last_parcel");
    assert!(pi["metadata"].get("note").is_none(), "unset: {pi}");
    assert_eq!(
        sb.intent(&id).await["metadata"]["encaisse_release"],
        "last_parcel"
    );
    schemas.assert_valid("payment_intent", &pi);

    // Create and confirm expand it as well; without request_multicapture, no status at all.
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("expand[]", "latest_charge"),
            ],
        )
        .await;
    assert_eq!(pi["latest_charge"]["object"], "charge");
    assert_eq!(multicapture_status(&pi), &Value::Null);
    let card = &pi["latest_charge"]["payment_method_details"]["card"];
    assert!(card.get("multicapture").is_none(), "{card}");
    assert!(card["capture_before"].as_i64().unwrap() > pi["created"].as_i64().unwrap());
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[("amount", "2500"), ("currency", "eur"), MULTICAPTURE],
        )
        .await;
    let (_, pi) = sb
        .post(
            &format!("/v1/payment_intents/{}/confirm", pi["id"].as_str().unwrap()),
            &[
                ("payment_method", "pm_card_mastercard"),
                ("expand[]", "latest_charge"),
            ],
        )
        .await;
    assert_eq!(multicapture_status(&pi), "available");
    schemas.assert_valid("payment_intent", &pi);
}

#[tokio::test]
async fn without_multicapture_on_the_card_every_capture_is_final() {
    let schemas = Schemas::load();
    let sb = sandbox().await;
    let id = paid(&sb, CARD_WITHOUT_MULTICAPTURE).await;
    let (_, pi) = sb
        .get(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"))
        .await;
    assert_eq!(multicapture_status(&pi), "unavailable");
    assert_eq!(
        pi["latest_charge"]["payment_method_details"]["card"]["last4"],
        "0004"
    );
    schemas.assert_valid("payment_intent", &pi);

    let cap = format!("/v1/payment_intents/{id}/capture");
    let (s, pi) = sb
        .post(
            &cap,
            &[("amount_to_capture", "5000"), ("final_capture", "false")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 5000);
    assert_eq!(pi["amount_capturable"], 0, "the rest released");
    let (s, err) = sb
        .post(
            &cap,
            &[("amount_to_capture", "2500"), ("final_capture", "false")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "payment_intent_unexpected_state");
    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.amount_capturable_updated",
            "checkout.session.completed",
            "payment_intent.succeeded"
        ]
    );

    // The same through the API, with the sandbox's test PaymentMethod.
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_multicaptureUnavailable"),
                ("confirm", "true"),
                ("expand[]", "latest_charge"),
                MULTICAPTURE,
            ],
        )
        .await;
    assert_eq!(multicapture_status(&pi), "unavailable");
}
