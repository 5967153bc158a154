//! Parsing of realistic Stripe JSON (as captured from test mode, trimmed) and request forms.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::*;
use crate::domain::{Currency, Reference, ReleaseReason};
use crate::ports::{
    AfterCapture, HostedPaymentRequest, HostedPaymentState, PaymentFailure, ProviderPayment,
    ProviderPaymentStatus, RefundState, SavedCard, SavedCardCharge,
};

fn fixture(name: &str) -> Value {
    let text = match name {
        "pi_requires_capture" => include_str!("../fixtures/payment_intent_requires_capture.json"),
        "pi_requires_action" => include_str!("../fixtures/payment_intent_requires_action.json"),
        "pi_declined" => include_str!("../fixtures/payment_intent_declined.json"),
        "pi_succeeded" => include_str!("../fixtures/payment_intent_succeeded_expanded.json"),
        "cs_open" => include_str!("../fixtures/checkout_session_open.json"),
        "cs_complete" => include_str!("../fixtures/checkout_session_complete.json"),
        "refund_pending" => include_str!("../fixtures/refund_pending.json"),
        "payment_methods" => include_str!("../fixtures/payment_methods.json"),
        "event_capturable" => include_str!("../fixtures/event_amount_capturable_updated.json"),
        "event_session" => include_str!("../fixtures/event_checkout_session_completed.json"),
        "event_charge_refunded" => include_str!("../fixtures/event_charge_refunded.json"),
        "event_refund_updated" => include_str!("../fixtures/event_refund_updated.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).unwrap()
}

fn eur(minor: i64) -> Money {
    Money::from_minor_units(minor, Currency::EUR).unwrap()
}

fn payment(value: Value) -> ProviderPayment {
    serde_json::from_value::<PaymentIntent>(value)
        .unwrap()
        .into_payment()
        .unwrap()
}

#[test]
fn an_authorised_payment_intent() {
    let p = payment(fixture("pi_requires_capture"));
    assert_eq!(p.id, "pi_3QxA1b2C3d4E5f6G");
    assert_eq!(p.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(p.amount, eur(291_000));
    assert_eq!(p.amount_capturable, eur(291_000));
    assert_eq!(p.amount_received, eur(0));
    assert_eq!(p.amount_refunded, eur(0));
    assert_eq!(p.customer.as_deref(), Some("cus_RqS1t2U3v4W5x6"));
    assert_eq!(p.payment_method.as_deref(), Some("pm_1QxA0a9B8c7D6e5F"));
    assert_eq!(p.next_action_url, None);
    assert_eq!(p.failure, None);
    assert_eq!(p.order_reference.as_deref(), Some("ORD-10042"));
    assert_eq!(p.payment_id.as_deref(), Some("pay_01JD4Q7Y3M"));
    assert_eq!(p.created_at.unix_timestamp(), 1_799_999_900);
}

#[test]
fn every_payment_intent_status_maps() {
    for (wire, port) in [
        (
            "requires_payment_method",
            ProviderPaymentStatus::RequiresPaymentMethod,
        ),
        (
            "requires_confirmation",
            ProviderPaymentStatus::RequiresConfirmation,
        ),
        ("requires_action", ProviderPaymentStatus::RequiresAction),
        ("processing", ProviderPaymentStatus::Processing),
        ("requires_capture", ProviderPaymentStatus::RequiresCapture),
        ("succeeded", ProviderPaymentStatus::Succeeded),
        ("canceled", ProviderPaymentStatus::Canceled),
    ] {
        let mut value = fixture("pi_requires_capture");
        value["status"] = json!(wire);
        assert_eq!(payment(value).status, port, "{wire}");
    }
}

#[test]
fn an_unknown_status_is_refused_rather_than_guessed() {
    let mut value = fixture("pi_requires_capture");
    value["status"] = json!("requires_teleportation");
    let intent: PaymentIntent = serde_json::from_value(value).unwrap();
    assert!(intent.into_payment().is_err());
}

#[test]
fn a_payment_waiting_for_3ds_gives_the_redirect() {
    let p = payment(fixture("pi_requires_action"));
    assert_eq!(p.status, ProviderPaymentStatus::RequiresAction);
    assert_eq!(
        p.next_action_url.as_deref(),
        Some("https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1Q&payment_intent=pi_3QxB7h8I9j0K1l2M")
    );
    // An expanded payment method still gives its id; a null customer stays absent.
    assert_eq!(
        p.payment_method.as_deref(),
        Some("pm_card_authenticationRequired")
    );
    assert_eq!(p.customer, None);
}

#[test]
fn a_declined_attempt_gives_the_failure() {
    let p = payment(fixture("pi_declined"));
    assert_eq!(p.status, ProviderPaymentStatus::RequiresPaymentMethod);
    assert_eq!(
        p.failure,
        Some(PaymentFailure {
            code: "card_declined".into(),
            decline_code: Some("insufficient_funds".into()),
            message: "Your card has insufficient funds.".into(),
        })
    );
    assert_eq!(p.order_reference, None);
}

#[test]
fn the_refunded_amount_comes_from_the_expanded_charge() {
    let value = fixture("pi_succeeded");
    let intent: PaymentIntent = serde_json::from_value(value).unwrap();
    assert!(!intent.refunds_unknown());
    let p = intent.into_payment().unwrap();
    assert_eq!(p.status, ProviderPaymentStatus::Succeeded);
    assert_eq!(p.amount_received, eur(150_000));
    assert_eq!(p.amount_refunded, eur(2_500));
}

#[test]
fn a_bare_charge_id_after_a_capture_means_refunds_are_unknown() {
    let mut value = fixture("pi_succeeded");
    value["latest_charge"] = json!("ch_3QxA1b2C3d4E5f6G0a1b2c3d");
    let intent: PaymentIntent = serde_json::from_value(value).unwrap();
    assert!(intent.refunds_unknown());
    let authorised: PaymentIntent = serde_json::from_value(fixture("pi_requires_capture")).unwrap();
    assert!(!authorised.refunds_unknown());
}

#[test]
fn minimal_payment_intents_parse_and_other_currencies_keep_their_units() {
    let value = json!({"id": "pi_1", "amount": 1500, "currency": "jpy",
                       "status": "succeeded", "created": 1_800_000_000});
    let p = payment(value);
    assert_eq!(
        p.amount,
        Money::from_minor_units(1500, Currency::from_code("JPY").unwrap()).unwrap()
    );
    assert_eq!(p.amount_capturable.amount(), 0.into());
    let unknown = json!({"id": "pi_1", "amount": 1, "currency": "xyz",
                         "status": "succeeded", "created": 1});
    let intent: PaymentIntent = serde_json::from_value(unknown).unwrap();
    assert!(intent.into_payment().is_err());
}

#[test]
fn checkout_sessions_open_and_complete() {
    let open: CheckoutSession = serde_json::from_value(fixture("cs_open")).unwrap();
    let hosted = open.clone().into_hosted_payment(None).unwrap();
    assert_eq!(hosted.session_id, "cs_test_a1B2c3D4e5F6g7H8i9J0");
    assert!(hosted
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://checkout.stripe.com/c/pay/cs_test_")));
    assert_eq!(hosted.embedded, None);
    let status = open.into_status().unwrap();
    assert_eq!(status.state, HostedPaymentState::Open);
    assert_eq!(status.payment, None);

    let complete: CheckoutSession = serde_json::from_value(fixture("cs_complete")).unwrap();
    let status = complete.clone().into_status().unwrap();
    assert_eq!(status.state, HostedPaymentState::Complete);
    assert_eq!(status.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));
    assert!(
        complete.into_hosted_payment(None).is_err(),
        "no url once complete"
    );

    let mut expired = fixture("cs_open");
    expired["status"] = json!("expired");
    expired["url"] = Value::Null;
    let expired: CheckoutSession = serde_json::from_value(expired).unwrap();
    assert_eq!(
        expired.into_status().unwrap().state,
        HostedPaymentState::Expired
    );
}

#[test]
fn refunds_in_each_state() {
    let pending: Refund = serde_json::from_value(fixture("refund_pending")).unwrap();
    let refund = pending.into_refund().unwrap();
    assert_eq!(refund.id, "re_3QxA1b2C3d4E5f6G1h2i3j4k");
    assert_eq!(refund.payment, "pi_3QxA1b2C3d4E5f6G");
    assert_eq!(refund.amount, eur(2_500));
    assert_eq!(refund.state, RefundState::Pending);
    for (wire, state) in [
        ("succeeded", RefundState::Succeeded),
        ("failed", RefundState::Failed),
        ("canceled", RefundState::Canceled),
        ("requires_action", RefundState::Pending),
        ("something_new", RefundState::Pending),
    ] {
        let mut value = fixture("refund_pending");
        value["status"] = json!(wire);
        let refund: Refund = serde_json::from_value(value).unwrap();
        assert_eq!(refund.into_refund().unwrap().state, state, "{wire}");
    }
}

#[test]
fn saved_cards_skip_what_is_not_a_complete_card() {
    let list: PaymentMethodList = serde_json::from_value(fixture("payment_methods")).unwrap();
    assert!(!list.has_more);
    let cards: Vec<SavedCard> = list
        .data
        .into_iter()
        .filter_map(PaymentMethod::into_saved_card)
        .collect();
    assert_eq!(
        cards,
        vec![
            SavedCard {
                payment_method: "pm_1QxA0a9B8c7D6e5F".into(),
                brand: "visa".into(),
                last4: "4242".into(),
                exp_month: 12,
                exp_year: 2034,
                holder: None,
            },
            SavedCard {
                payment_method: "pm_1QxB1c2D3e4F5g6H".into(),
                brand: "mastercard".into(),
                last4: "4444".into(),
                exp_month: 3,
                exp_year: 2027,
                holder: None,
            },
        ]
    );
}

#[test]
fn stripe_error_bodies() {
    let body: ErrorEnvelope =
        serde_json::from_str(include_str!("../fixtures/error_insufficient_funds.json")).unwrap();
    assert!(body.error.is("card_error"));
    assert!(!body.error.is_authentication_required());
    assert_eq!(
        body.error.failure().decline_code.as_deref(),
        Some("insufficient_funds")
    );
    let body: ErrorEnvelope = serde_json::from_str(include_str!(
        "../fixtures/error_authentication_required.json"
    ))
    .unwrap();
    assert!(body.error.is_authentication_required());
    let body: ErrorEnvelope =
        serde_json::from_str(include_str!("../fixtures/error_resource_missing.json")).unwrap();
    assert!(body.error.has_code("resource_missing"));
    let body: ErrorEnvelope =
        serde_json::from_str(include_str!("../fixtures/error_idempotency.json")).unwrap();
    assert!(body.error.is("idempotency_error"));
    assert_eq!(body.error.code, None);
}

#[test]
fn events_name_what_to_refetch() {
    let event = parse_event(fixture("event_capturable").to_string().as_bytes()).unwrap();
    assert_eq!(event.kind, "payment_intent.amount_capturable_updated");
    assert_eq!(event.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));
    assert_eq!((event.session, event.refund), (None, None));

    let event = parse_event(fixture("event_session").to_string().as_bytes()).unwrap();
    assert_eq!(event.id, "evt_1QxSessCompl0002");
    assert_eq!(
        event.session.as_deref(),
        Some("cs_test_a1B2c3D4e5F6g7H8i9J0")
    );
    assert_eq!(event.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));

    let event = parse_event(fixture("event_charge_refunded").to_string().as_bytes()).unwrap();
    assert_eq!(event.kind, "charge.refunded");
    assert_eq!(event.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));
    assert_eq!(event.refund, None);

    let event = parse_event(fixture("event_refund_updated").to_string().as_bytes()).unwrap();
    assert_eq!(event.refund.as_deref(), Some("re_3QxA1b2C3d4E5f6G1h2i3j4k"));
    assert_eq!(event.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));
    assert_eq!(event.created_at.unix_timestamp(), 1_800_000_200);
}

#[test]
fn events_about_other_objects_or_without_data_still_parse() {
    let event = parse_event(
        br#"{"id":"evt_1","type":"customer.created","created":1800000000,
             "data":{"object":{"id":"cus_1","object":"customer"}}}"#,
    )
    .unwrap();
    assert_eq!(
        (event.payment, event.session, event.refund),
        (None, None, None)
    );
    let event = parse_event(br#"{"id":"evt_2","type":"ping","created":1800000000}"#).unwrap();
    assert_eq!(event.kind, "ping");
    // A session not yet paid has a null payment_intent.
    let event = parse_event(
        br#"{"id":"evt_3","type":"checkout.session.expired","created":1800000000,
             "data":{"object":{"id":"cs_test_1","object":"checkout.session","payment_intent":null}}}"#,
    )
    .unwrap();
    assert_eq!(event.session.as_deref(), Some("cs_test_1"));
    assert_eq!(event.payment, None);
    assert!(parse_event(br#"{"id":"evt_4","created":1}"#).is_err());
    assert!(parse_event(b"not json").is_err());
}

#[test]
fn created_is_a_whole_number_as_json_schema_reads_one() {
    // openapi.yaml's `type: integer`: 1742573.0 is the integer 1742573.
    for (created, unix) in [
        ("1742573.0", 1_742_573),
        ("1.8e9", 1_800_000_000),
        ("-5", -5),
        ("-5.0", -5),
    ] {
        let body = format!(r#"{{"id":"evt_1","type":"ping","created":{created}}}"#);
        let event = parse_event(body.as_bytes()).unwrap();
        assert_eq!(event.created_at.unix_timestamp(), unix, "{created}");
    }
    for created in ["1742573.5", "\"1742573\"", "1e300", "null", "253402300800"] {
        let body = format!(r#"{{"id":"evt_1","type":"ping","created":{created}}}"#);
        assert!(parse_event(body.as_bytes()).is_err(), "{created}");
    }
}

fn hosted_request(customer: Option<&str>, save_card: bool) -> HostedPaymentRequest {
    HostedPaymentRequest {
        order_reference: Reference::parse("ORD-10042").unwrap(),
        payment_id: "pay_01JD4Q7Y3M".into(),
        amount: eur(291_000),
        description: "Order ORD-10042".into(),
        customer: customer.map(str::to_owned),
        customer_email: "buyer@example.fr".into(),
        success_url: "https://shop.example.fr/paid".into(),
        cancel_url: "https://shop.example.fr/cancel".into(),
        save_card,
        expires_at: OffsetDateTime::from_unix_timestamp(1_800_003_600).unwrap(),
        three_d_secure: Default::default(),
        embedded: false,
        wallet: None,
        capture_at_once: false,
        idempotency_key: "open-ORD-10042-1".into(),
    }
}

fn keys(form: &Form) -> Vec<&str> {
    form.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn a_checkout_session_for_a_known_customer_saves_the_card_and_omits_the_email() {
    let form = checkout_session_form(&hosted_request(Some("cus_1"), true)).unwrap();
    assert!(form.contains(&field("customer", "cus_1")));
    assert!(!keys(&form).contains(&"customer_email"));
    assert!(form.contains(&field(
        "payment_intent_data[setup_future_usage]",
        "off_session"
    )));
    let form = checkout_session_form(&hosted_request(None, false)).unwrap();
    assert!(form.contains(&field("customer_email", "buyer@example.fr")));
    assert!(!keys(&form).contains(&"customer"));
    assert!(!keys(&form).contains(&"payment_intent_data[setup_future_usage]"));
}

#[test]
fn amounts_that_stripe_would_refuse_are_refused_here() {
    assert!(capture_form(Some(&eur(0)), AfterCapture::FINAL).is_err());
    assert!(refund_form("pi_1", &eur(-5)).is_err());
    assert_eq!(
        capture_form(Some(&eur(1050)), AfterCapture::FINAL).unwrap(),
        vec![
            field("amount_to_capture", "1050"),
            field("expand[]", "latest_charge")
        ]
    );
    // Everything capturable, finally: Stripe's defaults, only the expansion to send.
    assert_eq!(
        capture_form(None, AfterCapture::FINAL).unwrap(),
        vec![field("expand[]", "latest_charge")]
    );
    assert_eq!(
        capture_form(Some(&eur(1050)), AfterCapture::KeepRest).unwrap(),
        vec![
            field("amount_to_capture", "1050"),
            field("final_capture", "false"),
            field("expand[]", "latest_charge")
        ]
    );
}

#[test]
fn why_a_final_capture_releases_the_rest_goes_in_the_metadata_and_comes_back() {
    let after = AfterCapture::ReleaseRest(Some(ReleaseReason::LastParcel));
    assert_eq!(
        capture_form(Some(&eur(1050)), after).unwrap(),
        vec![
            field("amount_to_capture", "1050"),
            field("metadata[encaisse_release]", "last_parcel"),
            field("expand[]", "latest_charge")
        ]
    );
    let mut intent = fixture("pi_succeeded");
    intent["metadata"]["encaisse_release"] = json!("replaced");
    assert_eq!(
        payment(intent).release_reason,
        Some(ReleaseReason::Replaced)
    );
    // Metadata is free text at Stripe: an unknown value is no reason.
    let mut intent = fixture("pi_succeeded");
    intent["metadata"]["encaisse_release"] = json!("because");
    assert_eq!(payment(intent).release_reason, None);
}

#[test]
fn a_saved_card_charge_on_session_has_a_return_url_and_no_off_session() {
    let charge = SavedCardCharge {
        capture_at_once: false,
        order_reference: Reference::parse("ORD-10042").unwrap(),
        payment_id: "pay_1".into(),
        amount: eur(100),
        customer: "cus_1".into(),
        payment_method: "pm_1".into(),
        off_session: false,
        return_url: Some("https://shop.example.fr/3ds".into()),
        shopper_confirms: false,
        three_d_secure: crate::domain::three_d_secure::ThreeDSecureRequest::Automatic,
        idempotency_key: "k".into(),
    };
    let form = payment_intent_form(&charge).unwrap();
    assert!(!keys(&form).contains(&"off_session"));
    assert!(form.contains(&field("return_url", "https://shop.example.fr/3ds")));
}

#[test]
fn a_saved_card_the_shopper_confirms_is_not_confirmed_here_and_asks_for_its_security_code() {
    use crate::domain::three_d_secure::ThreeDSecureRequest;
    let mut charge = SavedCardCharge {
        capture_at_once: false,
        order_reference: Reference::parse("ORD-10042").unwrap(),
        payment_id: "pay_1".into(),
        amount: eur(100),
        customer: "cus_1".into(),
        payment_method: "pm_1".into(),
        off_session: false,
        return_url: Some("https://shop.example.fr/return".into()),
        shopper_confirms: true,
        three_d_secure: ThreeDSecureRequest::Request,
        idempotency_key: "k".into(),
    };
    let form = payment_intent_form(&charge).unwrap();
    let sent = keys(&form);
    // Stripe takes `return_url` only with `confirm=true`: the shopper's confirmation gives it.
    assert!(
        !sent.contains(&"confirm") && !sent.contains(&"return_url"),
        "{sent:?}"
    );
    assert!(form.contains(&field(
        "payment_method_options[card][require_cvc_recollection]",
        "true"
    )));
    assert!(form.contains(&field(
        "payment_method_options[card][request_three_d_secure]",
        "any"
    )));
    // Off session nobody is there to authenticate: 3-D Secure is never asked for.
    charge.shopper_confirms = false;
    charge.off_session = true;
    let form = payment_intent_form(&charge).unwrap();
    assert!(!keys(&form).contains(&"payment_method_options[card][request_three_d_secure]"));
    assert!(form.contains(&field("confirm", "true")));
}

#[test]
fn an_embedded_page_asks_for_ui_mode_embedded_with_one_way_back() {
    let mut request = hosted_request(None, false);
    request.embedded = true;
    let form = checkout_session_form(&request).unwrap();
    let sent = keys(&form);
    assert!(form.contains(&field("ui_mode", "embedded")));
    assert!(form.contains(&field("return_url", &request.success_url)));
    assert!(
        !sent.contains(&"success_url") && !sent.contains(&"cancel_url"),
        "Stripe refuses them with ui_mode=embedded: {sent:?}"
    );
    let mut session: CheckoutSession = serde_json::from_value(fixture("cs_open")).unwrap();
    session.url = None;
    let script = crate::adapters::stripe::EmbeddedScript {
        script_url: "https://js.stripe.com/v3/".into(),
        publishable_key: "pk_test_1".into(),
    };
    assert!(
        session.clone().into_hosted_payment(Some(&script)).is_err(),
        "an embedded session without a client secret"
    );
    session.client_secret = Some("cs_test_a1B2_secret_x".into());
    let page = session.into_hosted_payment(Some(&script)).unwrap();
    assert_eq!(page.url, None);
    assert_eq!(
        page.embedded.map(|e| (e.publishable_key, e.client_secret)),
        Some(("pk_test_1".into(), "cs_test_a1B2_secret_x".into()))
    );
}

#[test]
fn a_payment_the_policy_wants_authenticated_asks_stripe_for_3_d_secure() {
    use crate::domain::three_d_secure::ThreeDSecureRequest;
    let key = "payment_method_options[card][request_three_d_secure]";
    let mut request = hosted_request(None, false);
    let automatic = checkout_session_form(&request).unwrap();
    assert!(
        !keys(&automatic).contains(&key),
        "Stripe's default is left alone"
    );
    request.three_d_secure = ThreeDSecureRequest::Request;
    let asked = checkout_session_form(&request).unwrap();
    assert!(asked.contains(&(key.to_string(), "any".to_string())));
}

#[test]
fn a_card_update_sends_the_expiry_and_a_given_holder_only() {
    use crate::ports::CardUpdate;
    let mut update = CardUpdate {
        exp_month: 3,
        exp_year: 2031,
        holder: None,
    };
    assert_eq!(
        card_update_form(&update),
        vec![
            ("card[exp_month]".to_string(), "3".to_string()),
            ("card[exp_year]".to_string(), "2031".to_string())
        ]
    );
    update.holder = Some("Jeanne Martin".into());
    assert!(card_update_form(&update).contains(&(
        "billing_details[name]".to_string(),
        "Jeanne Martin".to_string()
    )));
}
