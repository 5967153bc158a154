//! The hosted Checkout page: manual capture, saved cards, multicapture, refunds, 3-D Secure,
//! declines and expiry.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn hosted_checkout_manual_capture_saved_card_multicapture_and_refunds() {
    let sb = sandbox().await;
    let cus = sb.customer().await;
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
    assert_eq!(cs["object"], "checkout.session");
    assert_eq!(cs["status"], "open");
    assert_eq!(cs["payment_status"], "unpaid");
    assert_eq!(cs["payment_intent"], Value::Null);
    assert_eq!(cs["amount_total"], 12500);
    assert_eq!(cs["client_reference_id"], "ORD-10042");
    let cs_id = cs["id"].as_str().unwrap();
    assert!(cs_id.starts_with("cs_test_"));
    let url = cs["url"].as_str().unwrap();
    assert_eq!(url, sb.url(&format!("/checkout/{cs_id}")));

    let (status, html) = sb.page(url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("125.00 EUR"));
    assert!(
        html.contains("Order &lt;ORD-10042&gt; &amp; co"),
        "escaped description"
    );
    assert!(!html.contains("<ORD-10042>"));
    assert!(!html.contains("<script"), "no JavaScript");
    for (id, token) in [
        ("name", "cc-name"),
        ("number", "cc-number"),
        ("exp", "cc-exp"),
        ("cvc", "cc-csc"),
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "label for {id}"
        );
        assert!(
            html.contains(&format!(
                "id=\"{id}\" name=\"{id}\" autocomplete=\"{token}\""
            )),
            "{token}"
        );
    }
    assert!(html.contains(&format!("action=\"/sandbox-psp/checkout/{cs_id}\"")));
    assert!(html.contains("href=\"https://shop.example/cancelled\""));

    let resp = sb.pay(url, CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp),
        format!("https://shop.example/done?session={cs_id}")
    );

    let (cs, pi) = session_intent(&sb, cs_id).await;
    assert_eq!(cs["status"], "complete");
    assert_eq!(cs["payment_status"], "unpaid");
    assert_eq!(cs["customer"], cus.as_str());
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["amount_capturable"], 12500);
    assert_eq!(pi["capture_method"], "manual");
    assert_eq!(pi["metadata"]["order_reference"], "ORD-10042");
    let pi_id = pi["id"].as_str().unwrap().to_owned();
    let (status, html) = sb.page(url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("already complete") && !html.contains("cc-number"));

    let (s, list) = sb
        .get(&format!("/v1/payment_methods?customer={cus}&type=card"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["object"], "list");
    let pms = list["data"].as_array().unwrap();
    assert_eq!(pms.len(), 1);
    assert_eq!(pms[0]["card"]["last4"], "4242");
    assert_eq!(pms[0]["card"]["brand"], "visa");
    assert_eq!(pms[0]["card"]["exp_month"], 12);
    assert_eq!(pms[0]["card"]["exp_year"], 2040);
    assert_eq!(pms[0]["customer"], cus.as_str());
    let saved_pm = pms[0]["id"].as_str().unwrap().to_owned();

    // Multicapture: 50.00 now, the rest later.
    let cap = format!("/v1/payment_intents/{pi_id}/capture");
    let (s, pi) = sb
        .post(
            &cap,
            &[("amount_to_capture", "5000"), ("final_capture", "false")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["amount_capturable"], 7500);
    assert_eq!(pi["amount_received"], 5000);
    let (s, err) = sb.post(&cap, &[("amount_to_capture", "9000")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["param"], "amount_to_capture");
    let (s, pi) = sb.post(&cap, &[("amount_to_capture", "7500")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 12500);
    assert_eq!(pi["amount_capturable"], 0);

    let (s, re) = sb
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &pi_id),
                ("amount", "2000"),
                ("metadata[reason]", "damaged"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["object"], "refund");
    assert_eq!(re["status"], "succeeded");
    assert_eq!(re["amount"], 2000);
    assert_eq!(re["metadata"]["reason"], "damaged");
    let (s, err) = sb
        .post(
            "/v1/refunds",
            &[("payment_intent", &pi_id), ("amount", "10501")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert_eq!(err["error"]["param"], "amount");
    let (s, fetched) = sb
        .get(&format!("/v1/refunds/{}", re["id"].as_str().unwrap()))
        .await;
    assert_eq!((s, &fetched), (StatusCode::OK, &re));
    let (_, pi) = sb
        .get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=latest_charge"
        ))
        .await;
    assert_eq!(pi["latest_charge"]["object"], "charge");
    assert_eq!(pi["latest_charge"]["amount_refunded"], 2000);
    assert_eq!(pi["latest_charge"]["amount_captured"], 12500);

    // The saved card pays off-session.
    let (s, pi2) = sb
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "eur"),
                ("customer", &cus),
                ("payment_method", &saved_pm),
                ("confirm", "true"),
                ("off_session", "true"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi2}");
    assert_eq!(pi2["status"], "requires_capture");

    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.amount_capturable_updated",
            "checkout.session.completed",
            "payment_intent.amount_capturable_updated",
            "payment_intent.succeeded",
            "charge.refunded",
            "payment_intent.amount_capturable_updated",
        ]
    );
    // The card number is kept nowhere (brand and last4 only).
    let everything = serde_json::to_string(&sb.events().await).unwrap() + &list.to_string();
    assert!(!everything.contains("4242424242424242") && !everything.contains("4242 4242"));
}

#[tokio::test]
async fn three_d_secure_requested_puts_a_frictionless_card_through_the_challenge() {
    let sb = sandbox().await;
    let cs = sb
        .session(&[(
            "payment_method_options[card][request_three_d_secure]",
            "any",
        )])
        .await;
    let resp = sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let challenge = location(&resp);
    assert!(challenge.starts_with("/sandbox-psp/3ds/pi_"), "{challenge}");
    let (_, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(
        pi["payment_method_options"]["card"]["request_three_d_secure"],
        "any"
    );
    let challenge_url = format!("{}{challenge}", sb.base);
    let (_, html) = sb.page(&challenge_url).await;
    let resp = sb
        .submit(&challenge_url, &[("code", &challenge_code(&html))])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(pi["status"], "requires_capture");
    // Not requested: the same card is authorised at once; an unknown value is refused.
    let plain = sb.session(&[]).await;
    let resp = sb.pay(plain["url"].as_str().unwrap(), CARD_OK).await;
    assert!(!location(&resp).starts_with("/sandbox-psp/3ds/"));
    let (s, _) = sb
        .post(
            "/v1/checkout/sessions",
            &[(
                "payment_method_options[card][request_three_d_secure]",
                "sometimes",
            )],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn three_d_secure_challenge_three_tries() {
    let sb = sandbox().await;
    // Right code at the third try.
    let cs = sb.session(&[]).await;
    let resp = sb.pay(cs["url"].as_str().unwrap(), CARD_3DS).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let challenge = location(&resp);
    assert!(challenge.starts_with("/sandbox-psp/3ds/pi_"), "{challenge}");
    let (_, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(pi["next_action"]["type"], "redirect_to_url");
    let challenge_url = format!("{}{challenge}", sb.base);
    assert_eq!(
        pi["next_action"]["redirect_to_url"]["url"],
        challenge_url.as_str()
    );
    let (s, html) = sb.page(&challenge_url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("autocomplete=\"one-time-code\"") && html.contains("<label for=\"code\">")
    );
    assert!(html.contains("125.00 EUR"));
    let code = challenge_code(&html);
    for left in ["2 attempt", "1 attempt"] {
        let resp = sb.submit(&challenge_url, &[("code", "000000x")]).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(resp.text().await.unwrap().contains(left));
    }
    let resp = sb.submit(&challenge_url, &[("code", &code)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("https://shop.example/done?session=cs_test_"));
    let (cs, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(
        (cs["status"].as_str(), pi["status"].as_str()),
        (Some("complete"), Some("requires_capture"))
    );

    // Three wrong codes fail the payment; another card can be tried.
    let cs = sb.session(&[]).await;
    let url = cs["url"].as_str().unwrap();
    let challenge_url = format!("{}{}", sb.base, location(&sb.pay(url, CARD_3DS).await));
    for _ in 0..2 {
        assert_eq!(
            sb.submit(&challenge_url, &[("code", "999999x")])
                .await
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let resp = sb.submit(&challenge_url, &[("code", "999999x")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Authentication failed"));
    assert!(html.contains(&format!(
        "href=\"/sandbox-psp/checkout/{}\"",
        cs["id"].as_str().unwrap()
    )));
    let (cs_now, pi) = session_intent(&sb, cs["id"].as_str().unwrap()).await;
    assert_eq!(cs_now["status"], "open");
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(
        pi["last_payment_error"]["code"],
        "payment_intent_authentication_failure"
    );
    assert_eq!(
        sb.event_types().await.last().unwrap(),
        "payment_intent.payment_failed"
    );
    let (_, html) = sb.page(url).await;
    assert!(html.contains("failed authentication") && html.contains("cc-number"));
    let resp = sb.pay(url, CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sb.intent(pi["id"].as_str().unwrap()).await["status"],
        "requires_capture"
    );
}

#[tokio::test]
async fn declined_cards_show_the_form_again() {
    let sb = sandbox().await;
    let cs = sb.session(&[]).await;
    let url = cs["url"].as_str().unwrap();
    let cs_id = cs["id"].as_str().unwrap();

    let resp = sb
        .submit(
            url,
            &[
                ("name", "Ada"),
                ("number", "4242 4242 4242 4241"),
                ("exp", "01/20"),
                ("cvc", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Your card number is invalid."));
    assert!(html.contains("expiration date is in the past"));
    assert!(html.contains("security code is incomplete"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        !html.contains("4242 4242 4242 4241"),
        "the number is never echoed"
    );

    for (card, decline_code, text) in [
        (CARD_DECLINED, "generic_decline", "Your card was declined."),
        (
            CARD_NO_FUNDS,
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
    ] {
        let resp = sb.pay(url, card).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let html = resp.text().await.unwrap();
        assert!(
            html.contains(text) && html.contains("role=\"alert\"") && html.contains("cc-number")
        );
        let (cs, pi) = session_intent(&sb, cs_id).await;
        assert_eq!(cs["status"], "open");
        assert_eq!(pi["status"], "requires_payment_method");
        assert_eq!(pi["last_payment_error"]["type"], "card_error");
        assert_eq!(pi["last_payment_error"]["code"], "card_declined");
        assert_eq!(pi["last_payment_error"]["decline_code"], decline_code);
    }
    let resp = sb.pay(url, CARD_OK).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sb.event_types().await,
        [
            "payment_intent.payment_failed",
            "payment_intent.payment_failed",
            "payment_intent.amount_capturable_updated",
            "checkout.session.completed",
        ]
    );
}

#[tokio::test]
async fn checkout_session_expiry() {
    let sb = sandbox().await;
    let cs = sb.session(&[]).await;
    let id = cs["id"].as_str().unwrap();
    let (s, expired) = sb
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(expired["status"], "expired");
    let (s, _) = sb
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, html) = sb.page(cs["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(html.contains("expired") && !html.contains("cc-number"));

    let cs = sb.session(&[]).await;
    sb.pay(cs["url"].as_str().unwrap(), CARD_OK).await;
    let (s, err) = sb
        .post(
            &format!(
                "/v1/checkout/sessions/{}/expire",
                cs["id"].as_str().unwrap()
            ),
            &[],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "complete sessions cannot expire: {err}"
    );
    let (s, err) = sb
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("success_url", "https://x.example/"),
                ("line_items[0][price_data][currency]", "eur"),
                ("line_items[0][price_data][unit_amount]", "100"),
                ("line_items[0][price_data][product_data][name]", "x"),
                ("line_items[0][quantity]", "1"),
                ("expires_at", "1"),
            ],
        )
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("expires_at"))
    );
    assert_eq!(sb.event_types().await[0], "checkout.session.expired");

    // Stripe's minimum exactly: one second under 30 minutes is refused, 30 minutes is not.
    let session_expiring_in = |seconds: i64| {
        let at = (time::OffsetDateTime::now_utc().unix_timestamp() + seconds).to_string();
        let sb = &sb;
        async move {
            sb.post(
                "/v1/checkout/sessions",
                &[
                    ("mode", "payment"),
                    ("success_url", "https://x.example/"),
                    ("line_items[0][price_data][currency]", "eur"),
                    ("line_items[0][price_data][unit_amount]", "100"),
                    ("line_items[0][price_data][product_data][name]", "x"),
                    ("line_items[0][quantity]", "1"),
                    ("expires_at", at.as_str()),
                ],
            )
            .await
            .0
        }
    };
    assert_eq!(
        session_expiring_in(30 * 60 - 1).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(session_expiring_in(30 * 60 + 2).await, StatusCode::OK);
}

/// `ui_mode=embedded`: Stripe's shape (no URL, a client secret, `return_url`), its own rules
/// on the parameters, and the framed form completing the session.
#[tokio::test]
async fn an_embedded_session_is_paid_in_its_frame() {
    let schemas = crate::schema_check::Schemas::load();
    let sb = sandbox().await;
    let base = [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][price_data][unit_amount]", "12500"),
        (
            "line_items[0][price_data][product_data][name]",
            "Order ORD-10042",
        ),
        ("line_items[0][quantity]", "1"),
        ("payment_intent_data[capture_method]", "manual"),
        ("ui_mode", "embedded"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form = base.to_vec();
        form.extend_from_slice(extra);
        form
    };
    let (s, err) = sb.post("/v1/checkout/sessions", &with(&[])).await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("return_url"))
    );
    let (s, err) = sb
        .post(
            "/v1/checkout/sessions",
            &with(&[
                ("return_url", "https://shop.example/back"),
                ("success_url", "https://shop.example/ok"),
            ]),
        )
        .await;
    assert_eq!(
        (s, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("success_url"))
    );
    let (s, cs) = sb
        .post(
            "/v1/checkout/sessions",
            &with(&[("return_url", "https://shop.example/back")]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    schemas.assert_valid("checkout.session", &cs);
    assert_eq!(
        (cs["ui_mode"].as_str(), cs["url"].as_str()),
        (Some("embedded"), None)
    );
    assert_eq!(cs["return_url"], "https://shop.example/back");
    let id = cs["id"].as_str().unwrap();
    let secret = cs["client_secret"].as_str().unwrap();
    assert!(secret.starts_with(&format!("{id}_secret_")));

    let frame = sb.url(&format!("/embedded/{id}"));
    let (s, html) = sb.page(&format!("{frame}?client_secret={secret}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"client_secret\""));
    let paid = sb
        .submit(
            &frame,
            &[
                ("client_secret", secret),
                ("name", "Ada Lovelace"),
                ("number", CARD_OK),
                ("exp", "12/40"),
                ("cvc", "123"),
            ],
        )
        .await;
    assert_eq!(paid.status(), StatusCode::OK);
    assert!(paid
        .text()
        .await
        .unwrap()
        .contains("https://shop.example/back"));
    let (_, cs) = sb.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(cs["status"], "complete");
    schemas.assert_valid("checkout.session", &cs);
}
