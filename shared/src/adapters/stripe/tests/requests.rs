//! Request encoding and response mapping, one port method at a time.

use time::OffsetDateTime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::domain::Reference;
use crate::ports::psp::prelude::*;
use crate::ports::{
    HostedPaymentRequest, HostedPaymentState, ProviderError, ProviderPaymentStatus, RefundState,
    SavedCardCharge,
};

const PI_AUTHORISED: &str = include_str!("../fixtures/payment_intent_requires_capture.json");
const PI_SUCCEEDED: &str = include_str!("../fixtures/payment_intent_succeeded_expanded.json");
const CS_OPEN: &str = include_str!("../fixtures/checkout_session_open.json");
const CS_COMPLETE: &str = include_str!("../fixtures/checkout_session_complete.json");
const REFUND: &str = include_str!("../fixtures/refund_pending.json");

async fn respond(server: &MockServer, verb: &str, at: &str, status: u16, body: serde_json::Value) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn create_customer_posts_email_and_name() {
    let server = MockServer::start().await;
    let body = serde_json::json!({"id": "cus_RqS1t2U3v4W5x6", "object": "customer",
        "email": "buyer@example.fr", "name": "Jeanne Martin", "created": 1_800_000_000});
    respond(&server, "POST", "/v1/customers", 200, body).await;

    let id = connector(&server)
        .create_customer("buyer@example.fr", "Jeanne Martin", "cust-ORD-10042")
        .await
        .unwrap();

    assert_eq!(id, "cus_RqS1t2U3v4W5x6");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_post(&requests[0], "/v1/customers", "cust-ORD-10042");
    assert_eq!(
        form(&requests[0]),
        pairs(&[("email", "buyer@example.fr"), ("name", "Jeanne Martin")])
    );
}

#[tokio::test]
async fn open_hosted_payment_sends_the_checkout_session_form() {
    let server = MockServer::start().await;
    respond(&server, "POST", "/v1/checkout/sessions", 200, json(CS_OPEN)).await;
    let request = HostedPaymentRequest {
        order_reference: Reference::parse("ORD-10042").unwrap(),
        payment_id: "pay_01JD4Q7Y3M".into(),
        amount: eur(291_000),
        description: "Order ORD-10042".into(),
        customer: None,
        customer_email: "buyer@example.fr".into(),
        success_url: "https://shop.example.fr/orders/ORD-10042/paid".into(),
        cancel_url: "https://shop.example.fr/orders/ORD-10042/cancel".into(),
        save_card: true,
        expires_at: OffsetDateTime::from_unix_timestamp(1_800_003_600).unwrap(),
        three_d_secure: Default::default(),
        embedded: false,
        wallet: None,
        capture_at_once: false,
        idempotency_key: "open-ORD-10042-1".into(),
    };

    let hosted = connector(&server)
        .open_hosted_payment(&request)
        .await
        .unwrap();

    assert_eq!(hosted.session_id, "cs_test_a1B2c3D4e5F6g7H8i9J0");
    assert!(hosted
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://checkout.stripe.com/")));
    let requests = received(&server).await;
    assert_post(&requests[0], "/v1/checkout/sessions", "open-ORD-10042-1");
    assert_eq!(
        form(&requests[0]),
        pairs(&[
            ("mode", "payment"),
            (
                "success_url",
                "https://shop.example.fr/orders/ORD-10042/paid"
            ),
            (
                "cancel_url",
                "https://shop.example.fr/orders/ORD-10042/cancel"
            ),
            ("customer_email", "buyer@example.fr"),
            ("client_reference_id", "ORD-10042"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "291000"),
            (
                "line_items[0][price_data][product_data][name]",
                "Order ORD-10042"
            ),
            ("line_items[0][quantity]", "1"),
            ("payment_method_types[0]", "card"),
            ("payment_intent_data[capture_method]", "manual"),
            ("payment_intent_data[setup_future_usage]", "off_session"),
            (
                "payment_intent_data[metadata][order_reference]",
                "ORD-10042"
            ),
            (
                "payment_intent_data[metadata][payment_id]",
                "pay_01JD4Q7Y3M"
            ),
            ("metadata[order_reference]", "ORD-10042"),
            ("metadata[payment_id]", "pay_01JD4Q7Y3M"),
            ("expires_at", "1800003600"),
            (
                "payment_method_options[card][request_multicapture]",
                "if_available"
            ),
        ])
    );
    // Brackets travel percent-encoded, as Stripe's own clients send them.
    let raw = String::from_utf8(requests[0].body.clone()).unwrap();
    assert!(raw.contains("line_items%5B0%5D%5Bquantity%5D=1"), "{raw}");
}

#[tokio::test]
async fn hosted_payment_status_reads_the_session() {
    let server = MockServer::start().await;
    let at = "/v1/checkout/sessions/cs_test_a1B2c3D4e5F6g7H8i9J0";
    respond(&server, "GET", at, 200, json(CS_COMPLETE)).await;

    let status = connector(&server)
        .hosted_payment_status("cs_test_a1B2c3D4e5F6g7H8i9J0")
        .await
        .unwrap();

    assert_eq!(status.state, HostedPaymentState::Complete);
    assert_eq!(status.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));
    assert_get(&received(&server).await[0], at);
}

#[tokio::test]
async fn expiring_an_open_session() {
    let server = MockServer::start().await;
    let at = "/v1/checkout/sessions/cs_test_a1B2c3D4e5F6g7H8i9J0/expire";
    let mut expired = json(CS_OPEN);
    expired["status"] = "expired".into();
    expired["url"] = serde_json::Value::Null;
    respond(&server, "POST", at, 200, expired).await;

    let status = connector(&server)
        .expire_hosted_payment("cs_test_a1B2c3D4e5F6g7H8i9J0", "expire-pay_01JD4Q7Y3M")
        .await
        .unwrap();

    assert_eq!(status.state, HostedPaymentState::Expired);
    let requests = received(&server).await;
    assert_post(&requests[0], at, "expire-pay_01JD4Q7Y3M");
    assert!(requests[0].body.is_empty());
}

#[tokio::test]
async fn expiring_a_session_already_complete_gives_its_status() {
    let server = MockServer::start().await;
    let id = "cs_test_a1B2c3D4e5F6g7H8i9J0";
    let error = serde_json::json!({"error": {"type": "invalid_request_error",
        "message": "Only Checkout Sessions with a status in [\"open\"] can be expired."}});
    respond(
        &server,
        "POST",
        &format!("/v1/checkout/sessions/{id}/expire"),
        400,
        error,
    )
    .await;
    respond(
        &server,
        "GET",
        &format!("/v1/checkout/sessions/{id}"),
        200,
        json(CS_COMPLETE),
    )
    .await;

    let status = connector(&server)
        .expire_hosted_payment(id, "expire-1")
        .await
        .unwrap();

    assert_eq!(status.state, HostedPaymentState::Complete);
    assert_eq!(status.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));
}

#[tokio::test]
async fn charge_saved_card_off_session() {
    let server = MockServer::start().await;
    respond(
        &server,
        "POST",
        "/v1/payment_intents",
        200,
        json(PI_AUTHORISED),
    )
    .await;
    let charge = SavedCardCharge {
        capture_at_once: false,
        order_reference: Reference::parse("ORD-10042").unwrap(),
        payment_id: "pay_01JD4Q7Y3M".into(),
        amount: eur(291_000),
        customer: "cus_RqS1t2U3v4W5x6".into(),
        payment_method: "pm_1QxA0a9B8c7D6e5F".into(),
        off_session: true,
        return_url: None,
        shopper_confirms: false,
        three_d_secure: crate::domain::three_d_secure::ThreeDSecureRequest::Automatic,
        idempotency_key: "reauth-ORD-10042-2".into(),
    };

    let payment = connector(&server).charge_saved_card(&charge).await.unwrap();

    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount_capturable, eur(291_000));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1, "nothing received yet: no re-read");
    assert_post(&requests[0], "/v1/payment_intents", "reauth-ORD-10042-2");
    assert_eq!(
        form(&requests[0]),
        pairs(&[
            ("amount", "291000"),
            ("currency", "eur"),
            ("capture_method", "manual"),
            ("customer", "cus_RqS1t2U3v4W5x6"),
            ("payment_method", "pm_1QxA0a9B8c7D6e5F"),
            ("confirm", "true"),
            ("off_session", "true"),
            ("metadata[order_reference]", "ORD-10042"),
            ("metadata[payment_id]", "pay_01JD4Q7Y3M"),
            (
                "payment_method_options[card][request_multicapture]",
                "if_available"
            ),
            ("expand[]", "latest_charge"),
        ])
    );
}

#[tokio::test]
async fn fetch_payment_expands_the_latest_charge() {
    let server = MockServer::start().await;
    let at = "/v1/payment_intents/pi_3QxA1b2C3d4E5f6G";
    respond(&server, "GET", at, 200, json(PI_SUCCEEDED)).await;

    let payment = connector(&server)
        .fetch_payment("pi_3QxA1b2C3d4E5f6G")
        .await
        .unwrap();

    assert_eq!(payment.amount_refunded, eur(2_500));
    let request = &received(&server).await[0];
    assert_get(request, at);
    assert_eq!(request.url.query(), Some("expand%5B%5D=latest_charge"));
}

#[tokio::test]
async fn a_partial_capture_keeps_the_rest_and_rereads_refunds() {
    let server = MockServer::start().await;
    let id = "pi_3QxA1b2C3d4E5f6G";
    let mut captured = json(PI_SUCCEEDED);
    captured["status"] = "requires_capture".into();
    captured["latest_charge"] = "ch_3QxA1b2C3d4E5f6G0a1b2c3d".into();
    respond(
        &server,
        "POST",
        &format!("/v1/payment_intents/{id}/capture"),
        200,
        captured,
    )
    .await;
    respond(
        &server,
        "GET",
        &format!("/v1/payment_intents/{id}"),
        200,
        json(PI_SUCCEEDED),
    )
    .await;

    let payment = connector(&server)
        .capture(
            id,
            Some(eur(150_000)),
            AfterCapture::KeepRest,
            "cap-ORD-10042-1",
        )
        .await
        .unwrap();

    assert_eq!(payment.amount_received, eur(150_000));
    assert_eq!(payment.amount_refunded, eur(2_500));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_post(
        &requests[0],
        &format!("/v1/payment_intents/{id}/capture"),
        "cap-ORD-10042-1",
    );
    assert_eq!(
        form(&requests[0]),
        pairs(&[
            ("amount_to_capture", "150000"),
            ("final_capture", "false"),
            ("expand[]", "latest_charge")
        ])
    );
    assert_get(&requests[1], &format!("/v1/payment_intents/{id}"));
}

#[tokio::test]
async fn cancel_sends_a_reason_and_accepts_an_already_canceled_payment() {
    let server = MockServer::start().await;
    let id = "pi_3QxA1b2C3d4E5f6G";
    let mut canceled = json(PI_AUTHORISED);
    canceled["status"] = "canceled".into();
    canceled["amount_capturable"] = 0.into();
    let error = serde_json::json!({"error": {"type": "invalid_request_error",
        "code": "payment_intent_unexpected_state",
        "message": "You cannot cancel this PaymentIntent because it has a status of canceled."}});
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{id}/cancel")))
        .respond_with(ResponseTemplate::new(200).set_body_json(canceled.clone()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    respond(
        &server,
        "POST",
        &format!("/v1/payment_intents/{id}/cancel"),
        400,
        error,
    )
    .await;
    respond(
        &server,
        "GET",
        &format!("/v1/payment_intents/{id}"),
        200,
        canceled,
    )
    .await;
    let stripe = connector(&server);

    let first = stripe.cancel(id, "cancel-1").await.unwrap();
    let again = stripe.cancel(id, "cancel-2").await.unwrap();

    assert_eq!(first.status, ProviderPaymentStatus::Canceled);
    assert_eq!(again.status, ProviderPaymentStatus::Canceled);
    let requests = received(&server).await;
    assert_post(
        &requests[0],
        &format!("/v1/payment_intents/{id}/cancel"),
        "cancel-1",
    );
    assert_eq!(
        form(&requests[0]),
        pairs(&[("cancellation_reason", "abandoned")])
    );
}

#[tokio::test]
async fn cancel_of_a_captured_payment_stays_an_invalid_request() {
    let server = MockServer::start().await;
    let id = "pi_3QxA1b2C3d4E5f6G";
    let error = serde_json::json!({"error": {"type": "invalid_request_error",
        "code": "payment_intent_unexpected_state", "message": "status of succeeded"}});
    respond(
        &server,
        "POST",
        &format!("/v1/payment_intents/{id}/cancel"),
        400,
        error,
    )
    .await;
    respond(
        &server,
        "GET",
        &format!("/v1/payment_intents/{id}"),
        200,
        json(PI_SUCCEEDED),
    )
    .await;

    let result = connector(&server).cancel(id, "cancel-1").await;

    assert!(
        matches!(result, Err(ProviderError::InvalidRequest(m)) if m.contains("unexpected_state"))
    );
}

#[tokio::test]
async fn refund_and_fetch_refund() {
    let server = MockServer::start().await;
    respond(&server, "POST", "/v1/refunds", 200, json(REFUND)).await;
    let mut succeeded = json(REFUND);
    succeeded["status"] = "succeeded".into();
    let at = "/v1/refunds/re_3QxA1b2C3d4E5f6G1h2i3j4k";
    respond(&server, "GET", at, 200, succeeded).await;
    let stripe = connector(&server);

    let refund = stripe
        .refund("pi_3QxA1b2C3d4E5f6G", eur(2_500), "refund-ORD-10042-1")
        .await
        .unwrap();
    let later = stripe.fetch_refund(&refund.id).await.unwrap();

    assert_eq!(refund.state, RefundState::Pending);
    assert_eq!(refund.payment, "pi_3QxA1b2C3d4E5f6G");
    assert_eq!(later.state, RefundState::Succeeded);
    let requests = received(&server).await;
    assert_post(&requests[0], "/v1/refunds", "refund-ORD-10042-1");
    assert_eq!(
        form(&requests[0]),
        pairs(&[
            ("payment_intent", "pi_3QxA1b2C3d4E5f6G"),
            ("amount", "2500")
        ])
    );
    assert_get(&requests[1], at);
}

#[tokio::test]
async fn list_saved_cards_asks_for_the_customer_cards() {
    let server = MockServer::start().await;
    let list = json(include_str!("../fixtures/payment_methods.json"));
    respond(&server, "GET", "/v1/payment_methods", 200, list).await;

    let cards = connector(&server)
        .list_saved_cards("cus_RqS1t2U3v4W5x6")
        .await
        .unwrap();

    assert_eq!(cards.len(), 2);
    assert_eq!(cards[0].last4, "4242");
    let request = &received(&server).await[0];
    assert_get(request, "/v1/payment_methods");
    assert_eq!(
        request.url.query(),
        Some("customer=cus_RqS1t2U3v4W5x6&type=card")
    );
}

#[tokio::test]
async fn ids_that_would_change_the_path_never_leave() {
    let server = MockServer::start().await;
    let stripe = connector(&server);

    let fetched = stripe.fetch_payment("pi_1/../../v1/refunds").await;
    let canceled = stripe.cancel("pi_1?x=1", "k").await;
    let empty_key = stripe
        .capture("pi_1", Some(eur(100)), AfterCapture::FINAL, "")
        .await;

    assert!(matches!(fetched, Err(ProviderError::InvalidRequest(_))));
    assert!(matches!(canceled, Err(ProviderError::InvalidRequest(_))));
    assert!(matches!(empty_key, Err(ProviderError::InvalidRequest(_))));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_base_with_a_path_prefix_is_kept() {
    let server = MockServer::start().await;
    respond(
        &server,
        "GET",
        "/sandbox-psp/v1/refunds/re_1",
        200,
        json(REFUND),
    )
    .await;
    let base = format!("{}/sandbox-psp/", server.uri());
    let stripe = StripeConnector::new(config(&base)).unwrap();

    assert!(stripe.fetch_refund("re_1").await.is_ok());
}
