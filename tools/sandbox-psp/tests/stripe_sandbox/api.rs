//! The /v1 API alone: Stripe's test PaymentMethods, errors and auth, idempotency keys.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn stripe_test_payment_methods_through_the_api() {
    let sb = sandbox().await;
    let create = |pm: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![
            ("amount", "2500"),
            ("currency", "eur"),
            ("payment_method", pm),
            ("confirm", "true"),
        ];
        form.extend(extra);
        form
    };
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &create("pm_card_visa", vec![("capture_method", "manual")]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["object"], "payment_intent");
    assert_eq!(pi["status"], "requires_capture");
    assert!(pi["payment_method"].as_str().unwrap().starts_with("pm_"));
    assert!(pi["latest_charge"].as_str().unwrap().starts_with("ch_"));
    let (s, pi) = sb
        .post("/v1/payment_intents", &create("pm_card_visa", vec![]))
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded"))
    );
    assert_eq!(pi["amount_received"], 2500);

    for (pm, decline_code) in [
        ("pm_card_chargeDeclined", "generic_decline"),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
        ),
    ] {
        let (s, err) = sb.post("/v1/payment_intents", &create(pm, vec![])).await;
        assert_eq!(s, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(err["error"]["type"], "card_error");
        assert_eq!(err["error"]["code"], "card_declined");
        assert_eq!(err["error"]["decline_code"], decline_code);
        assert_eq!(
            err["error"]["payment_intent"]["status"],
            "requires_payment_method"
        );
    }

    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &create(
                "pm_card_authenticationRequired",
                vec![("off_session", "true")],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(err["error"]["code"], "authentication_required");
    assert_eq!(
        err["error"]["payment_intent"]["last_payment_error"]["code"],
        "authentication_required"
    );

    // On-session: 3-D Secure, then back to return_url with Stripe's query parameters.
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &create(
                "pm_card_authenticationRequired",
                vec![
                    ("return_url", "https://shop.example/back"),
                    ("capture_method", "manual"),
                ],
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(
        pi["next_action"]["redirect_to_url"]["return_url"],
        "https://shop.example/back"
    );
    let challenge = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let code = challenge_code(&sb.page(challenge).await.1);
    let resp = sb.submit(challenge, &[("code", &code)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let id = pi["id"].as_str().unwrap();
    assert!(location(&resp).starts_with(&format!(
        "https://shop.example/back?payment_intent={id}&payment_intent_client_secret="
    )));
    assert!(location(&resp).ends_with("&redirect_status=succeeded"));
    assert_eq!(sb.intent(id).await["status"], "requires_capture");

    // Create, then confirm; state rules on capture and cancel.
    let (s, pi) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "4000"),
                ("currency", "eur"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("requires_payment_method"))
    );
    let id = pi["id"].as_str().unwrap();
    let (s, err) = sb
        .post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "payment_intent_unexpected_state");
    let (s, pi) = sb
        .post(
            &format!("/v1/payment_intents/{id}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (StatusCode::OK, Some("requires_capture"))
    );
    let (s, err) = sb
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "1000"), ("final_capture", "false")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "multicapture was not requested");
    assert_eq!(err["error"]["param"], "final_capture");
    let (s, err) = sb.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "nothing captured yet: {err}");
    let (s, pi) = sb
        .post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pi["status"], "canceled");
    assert_eq!(pi["cancellation_reason"], "requested_by_customer");
    let (s, err) = sb
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "payment_intent_unexpected_state");

    // Partial capture without multicapture releases the rest.
    let (_, pi) = sb
        .post(
            "/v1/payment_intents",
            &create("pm_card_visa", vec![("capture_method", "manual")]),
        )
        .await;
    let id = pi["id"].as_str().unwrap();
    let (_, pi) = sb
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "1000")],
        )
        .await;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(
        (
            pi["amount_received"].as_i64(),
            pi["amount_capturable"].as_i64()
        ),
        (Some(1000), Some(0))
    );
    let (_, re) = sb.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(re["amount"], 1000, "refund defaults to what is left");
    let (s, err) = sb
        .post("/v1/refunds", &[("payment_intent", id), ("amount", "1")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "charge_already_refunded");
}

#[tokio::test]
async fn errors_auth_and_parameters() {
    let sb = sandbox().await;
    let resp = sb
        .http
        .post(sb.url("/v1/customers"))
        .form(&[("email", "a@b.c")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("did not provide an API key"));
    let resp = sb
        .http
        .get(sb.url("/v1/customers/cus_x"))
        .bearer_auth("sk_live_abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Basic auth with the key as user name, as `curl -u sk_test_…:` in Stripe's docs.
    let resp = sb
        .http
        .get(sb.url("/v1/customers/cus_x"))
        .basic_auth(KEY, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "authenticated, then not found"
    );
    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "900"),
                ("currency", "eur"),
                ("return_url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("return_url"))
    );

    let (s, err) = sb.get("/v1/payment_intents/pi_missing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(err["error"]["code"], "resource_missing");
    assert_eq!(
        err["error"]["message"],
        "No such payment_intent: 'pi_missing'"
    );
    let (s, err) = sb.post("/v1/payment_intents", &[("currency", "eur")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            err["error"]["code"].as_str(),
            err["error"]["param"].as_str()
        ),
        (Some("parameter_missing"), Some("amount"))
    );
    let (s, err) = sb
        .post("/v1/customers", &[("emial", "typo@example.com")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "parameter_unknown");
    assert_eq!(err["error"]["param"], "emial");
    let (s, err) = sb
        .post(
            "/v1/payment_intents",
            &[("amount", "ten"), ("currency", "eur")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["code"], "parameter_invalid_integer");
    let (s, err) = sb.get("/v1/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    let (s, err) = sb
        .get("/v1/payment_methods?customer=cus_nobody&type=card")
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::NOT_FOUND, Some("customer"))
    );
    let (s, err) = sb
        .post(
            "/v1/checkout/sessions",
            &[("mode", "payment"), ("success_url", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("success_url"))
    );
}

#[tokio::test]
async fn idempotency_keys_replay_and_mismatch() {
    let sb = sandbox().await;
    let form = [("email", "ada@example.com")];
    let (s1, a) = sb.post_idem("/v1/customers", &form, "key-1").await;
    let resp = sb
        .http
        .post(sb.url("/v1/customers"))
        .bearer_auth(KEY)
        .header("idempotency-key", "key-1")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["idempotent-replayed"], "true");
    let (s2, b): (StatusCode, Value) = (resp.status(), resp.json().await.unwrap());
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(a, b, "the stored response, not a second customer");
    let (s, err) = sb
        .post_idem("/v1/customers", &[("email", "other@example.com")], "key-1")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["type"], "idempotency_error");

    // Card errors are stored and replayed too.
    let declined = [
        ("amount", "2500"),
        ("currency", "eur"),
        ("payment_method", "pm_card_chargeDeclined"),
        ("confirm", "true"),
    ];
    let (s1, a) = sb
        .post_idem("/v1/payment_intents", &declined, "key-2")
        .await;
    let (s2, b) = sb
        .post_idem("/v1/payment_intents", &declined, "key-2")
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::PAYMENT_REQUIRED, StatusCode::PAYMENT_REQUIRED)
    );
    assert_eq!(a, b);
    assert_eq!(
        sb.event_types().await,
        ["payment_intent.payment_failed"],
        "confirmed once"
    );

    // A request refused for its parameters saves nothing: the key can be used again.
    let (s, _) = sb
        .post_idem("/v1/payment_intents", &[("currency", "eur")], "key-3")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = sb
        .post_idem(
            "/v1/payment_intents",
            &[("amount", "900"), ("currency", "eur")],
            "key-3",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}
