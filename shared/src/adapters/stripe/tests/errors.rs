//! Stripe's errors through the port, retries and their limits, and configuration.

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::config::ConfigError;
use crate::ports::psp::prelude::*;
use crate::ports::{NotificationRequest, PaymentFailure, ProviderError};

const PI_AUTHORISED: &str = include_str!("../fixtures/payment_intent_requires_capture.json");
const CAPTURE: &str = "/v1/payment_intents/pi_3QxA1b2C3d4E5f6G/capture";

async fn capture_with(server: &MockServer) -> Result<crate::ports::ProviderPayment, ProviderError> {
    connector(server)
        .capture(
            "pi_3QxA1b2C3d4E5f6G",
            Some(eur(1_000)),
            AfterCapture::FINAL,
            "cap-ORD-10042-1",
        )
        .await
}

async fn always(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(at))
        .respond_with(response)
        .mount(server)
        .await;
}

fn error(status: u16, fixture: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json(fixture))
}

#[tokio::test]
async fn a_decline_with_insufficient_funds() {
    let server = MockServer::start().await;
    let body = include_str!("../fixtures/error_insufficient_funds.json");
    always(&server, CAPTURE, error(402, body)).await;

    let result = capture_with(&server).await;

    assert_eq!(
        result,
        Err(ProviderError::Declined(PaymentFailure {
            code: "card_declined".into(),
            decline_code: Some("insufficient_funds".into()),
            message: "Your card has insufficient funds.".into(),
        }))
    );
    assert_eq!(received(&server).await.len(), 1, "declines are not retried");
}

#[tokio::test]
async fn an_off_session_charge_needing_3ds() {
    let server = MockServer::start().await;
    let body = include_str!("../fixtures/error_authentication_required.json");
    always(&server, CAPTURE, error(402, body)).await;

    let result = capture_with(&server).await;

    assert!(matches!(
        result,
        Err(ProviderError::AuthenticationRequired(PaymentFailure { ref code, .. }))
            if code == "authentication_required"
    ));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_missing_payment_is_not_found() {
    let server = MockServer::start().await;
    let body = include_str!("../fixtures/error_resource_missing.json");
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_missing"))
        .respond_with(error(404, body))
        .mount(&server)
        .await;

    let result = connector(&server).fetch_payment("pi_missing").await;

    assert!(matches!(result, Err(ProviderError::NotFound(m)) if m.contains("pi_missing")));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_reused_idempotency_key_is_a_conflict() {
    let server = MockServer::start().await;
    let body = include_str!("../fixtures/error_idempotency.json");
    always(&server, CAPTURE, error(400, body)).await;

    assert_eq!(
        capture_with(&server).await,
        Err(ProviderError::IdempotencyConflict)
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn other_client_errors_are_invalid_requests_never_retried() {
    for status in [400, 401, 403] {
        let server = MockServer::start().await;
        let body = r#"{"error":{"type":"invalid_request_error","param":"amount_to_capture",
                       "message":"Amount must be no more than 2910.00"}}"#;
        always(&server, CAPTURE, error(status, body)).await;

        let result = capture_with(&server).await;

        assert!(
            matches!(result, Err(ProviderError::InvalidRequest(ref m)) if m.contains("amount_to_capture")),
            "{status}: {result:?}"
        );
        assert_eq!(received(&server).await.len(), 1);
    }
}

#[tokio::test]
async fn a_500_then_200_succeeds_with_the_same_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CAPTURE))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream hiccup"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    always(
        &server,
        CAPTURE,
        ResponseTemplate::new(200).set_body_json(json(PI_AUTHORISED)),
    )
    .await;

    let payment = capture_with(&server).await.unwrap();

    assert_eq!(payment.id, "pi_3QxA1b2C3d4E5f6G");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_post(request, CAPTURE, "cap-ORD-10042-1");
    }
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn rate_limited_after_max_retries() {
    let server = MockServer::start().await;
    let body = r#"{"error":{"type":"rate_limit_error","code":"rate_limit","message":"Too many requests."}}"#;
    always(&server, CAPTURE, error(429, body)).await;

    assert_eq!(capture_with(&server).await, Err(ProviderError::RateLimited));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3, "the first attempt and max_retries = 2");
    assert!(requests
        .iter()
        .all(|r| header(r, "idempotency-key") == Some("cap-ORD-10042-1")));
}

#[tokio::test]
async fn server_errors_and_lock_timeouts_end_unavailable() {
    let server = MockServer::start().await;
    always(
        &server,
        CAPTURE,
        error(503, r#"{"error":{"type":"api_error","message":"x"}}"#),
    )
    .await;
    assert!(matches!(
        capture_with(&server).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert_eq!(received(&server).await.len(), 3);

    let server = MockServer::start().await;
    let lock = r#"{"error":{"type":"invalid_request_error","code":"lock_timeout","message":"x"}}"#;
    always(&server, CAPTURE, error(409, lock)).await;
    assert!(matches!(
        capture_with(&server).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn a_timeout_ends_unavailable_after_retries() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_body_json(json(PI_AUTHORISED))
        .set_delay(Duration::from_millis(300));
    always(&server, CAPTURE, slow).await;
    let mut config = config(&server.uri());
    config.request_timeout = Duration::from_millis(50);
    config.max_retries = 1;
    let stripe = StripeConnector::new(config).unwrap();

    let result = stripe
        .capture(
            "pi_3QxA1b2C3d4E5f6G",
            Some(eur(1_000)),
            AfterCapture::FINAL,
            "cap-1",
        )
        .await;

    assert!(
        matches!(result, Err(ProviderError::Unavailable(ref m)) if m.contains("timed out")),
        "{result:?}"
    );
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_refused_connection_ends_unavailable() {
    // Bind then drop: the port is (almost certainly) closed for the test's short life.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stripe = StripeConnector::new(config(&format!("http://127.0.0.1:{port}"))).unwrap();

    let result = stripe.fetch_payment("pi_1").await;

    assert!(
        matches!(result, Err(ProviderError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_success_with_an_unreadable_body_is_not_retried() {
    let server = MockServer::start().await;
    always(
        &server,
        CAPTURE,
        ResponseTemplate::new(200).set_body_string("<html>"),
    )
    .await;

    assert!(matches!(
        capture_with(&server).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert_eq!(received(&server).await.len(), 1);
}

fn vars<'a>(list: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        list.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn config_from_the_environment() {
    let config = StripeConfig::from_vars(vars(&[
        ("STRIPE_API_KEY", "sk_test_1"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_new, whsec_old,"),
    ]))
    .unwrap();
    assert_eq!(config.api_base, "https://api.stripe.com");
    assert_eq!(config.confirm_page, None);
    let hosted = StripeConfig::from_vars(vars(&[
        ("STRIPE_API_KEY", "sk_test_1"),
        (
            "STRIPE_CONFIRM_PAGE_URL",
            "https://shop.example.fr/pay/confirm/",
        ),
    ]))
    .unwrap();
    assert_eq!(
        hosted.confirm_page.as_deref(),
        Some("https://shop.example.fr/pay/confirm")
    );
    assert_eq!(config.webhook_secrets, vec!["whsec_new", "whsec_old"]);
    assert_eq!(config.webhook_tolerance, Duration::from_secs(300));

    let config = StripeConfig::from_vars(vars(&[
        ("STRIPE_API_KEY", "sk_test_1"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_1"),
        ("STRIPE_API_BASE", "http://127.0.0.1:3000/sandbox-psp/"),
    ]))
    .unwrap();
    assert_eq!(config.api_base, "http://127.0.0.1:3000/sandbox-psp");
    // The sandbox serves the saved-card security-code page itself; real Stripe has none.
    assert_eq!(
        config.confirm_page.as_deref(),
        Some("http://127.0.0.1:3000/sandbox-psp/confirm")
    );
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("sk_test_1") && !debug.contains("whsec_1"),
        "{debug}"
    );
}

#[test]
fn config_errors_name_the_variable() {
    let missing = |list: &[(&str, &str)]| match StripeConfig::from_vars(vars(list)) {
        Err(ConfigError::Missing(name) | ConfigError::Invalid(name, _)) => name,
        Err(ConfigError::Secret(..)) => "secret",
        Ok(_) => "accepted",
    };
    assert_eq!(missing(&[("STRIPE_WEBHOOK_SECRET", "w")]), "STRIPE_API_KEY");
    // A connector that receives no webhooks needs no signing secret (and verifies nothing).
    assert_eq!(missing(&[("STRIPE_API_KEY", "sk")]), "accepted");
    let without = StripeConfig::from_vars(vars(&[("STRIPE_API_KEY", "sk")])).unwrap();
    assert!(without.webhook_secrets.is_empty());
    assert_eq!(
        missing(&[("STRIPE_API_KEY", "sk"), ("STRIPE_WEBHOOK_SECRET", " , ")]),
        "STRIPE_WEBHOOK_SECRET"
    );
    assert_eq!(
        missing(&[
            ("STRIPE_API_KEY", "sk"),
            ("STRIPE_WEBHOOK_SECRET", "w"),
            ("STRIPE_API_BASE", "api.stripe.com")
        ]),
        "STRIPE_API_BASE"
    );
    assert_eq!(
        missing(&[("STRIPE_API_KEY", "sk\n1"), ("STRIPE_WEBHOOK_SECRET", "w")]),
        "STRIPE_API_KEY"
    );
}

#[test]
fn the_connector_verifies_webhooks_with_its_secrets() {
    use hmac::{Hmac, Mac};
    let stripe = StripeConnector::new(config("http://127.0.0.1:9")).unwrap();
    let body = include_str!("../fixtures/event_refund_updated.json");
    let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_210).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"whsec_current").unwrap();
    mac.update(format!("1800000205.{body}").as_bytes());
    let header = format!(
        "t=1800000205,v1={}",
        hex::encode(mac.finalize().into_bytes())
    );

    let request = NotificationRequest::post(
        "/v1/webhooks/stripe",
        &[("Stripe-Signature", header.as_str())],
        body.as_bytes(),
    );
    let event = stripe.parse_notification(&request, now).unwrap();

    assert_eq!(event.refund.as_deref(), Some("re_3QxA1b2C3d4E5f6G1h2i3j4k"));
    assert_eq!(stripe.name(), "stripe");
}
