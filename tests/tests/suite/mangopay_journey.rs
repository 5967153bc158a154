//! The card journey on MangoPay over real HTTP: the devserver app (DynamoDB on moto server)
//! with new card payments on the MangoPay connector (`CARD_PROVIDER=mangopay`), talking to the
//! sandbox's MangoPay dialect, which calls our hook URL with GET. Lookup → start → our card
//! form (the card posted to the tokenisation server, never to us) → 3-D Secure → the hook →
//! authorised → shipments captured → refund → emails and invoice. Then hooks forged,
//! duplicated and out of order.

use integration::journey::{emailed, ship};
use integration::shop::{
    first_order_body, shop_with_cards_on, shop_with_cards_on_without_hooks, Shop,
};
use serde_json::{json, Value};

use integration::mangopay::{
    browser, call_hook, hooks, start_card, submit, tokenise, CHALLENGE_CARD, FRICTIONLESS_CARD,
};

#[tokio::test]
async fn the_card_journey_runs_on_mangopay() {
    let shop = shop_with_cards_on("mangopay").await;
    let (token, payment, form) = start_card(
        &shop,
        "ORD-10042",
        "83000",
        "jeanne.martin@example.fr",
        "mgp-journey-1",
    )
    .await;
    let url = form["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/sandbox-psp/mangopay/tokenize/", shop.base)),
        "{url}"
    );

    // The card goes to the tokenisation server; we get its answer only.
    let data = tokenise(&shop, &form, CHALLENGE_CARD, "123").await;
    assert!(data.starts_with("data="), "{data}");
    let (status, submitted) = submit(&shop, "ORD-10042", &payment, &token, &data).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["payment"]["status"], "requires_action");
    let challenge = submitted["next_action"]["url"].as_str().unwrap().to_owned();
    assert!(
        challenge.contains("/sandbox-psp/mangopay/3ds/"),
        "{challenge}"
    );
    // Sent again (a lost answer): the same authorisation, the same page.
    let (status, again) = submit(&shop, "ORD-10042", &payment, &token, &data).await;
    assert_eq!(
        (status, &again["next_action"]),
        (200, &submitted["next_action"])
    );

    // 3-D Secure on MangoPay's page, then back to the shop; the hook brings the news.
    let code = shop.three_ds_code(&challenge).await;
    let back = shop.answer_3ds(&challenge, &code).await.expect("sent back");
    assert!(
        back.starts_with(&format!(
            "{}/return?reference=ORD-10042&payment={payment}",
            shop.base
        )),
        "{back}"
    );
    assert!(back.contains("preAuthorizationId=preauth_m_"), "{back}");
    let authorised = shop
        .payment_reaches("ORD-10042", &payment, &token, "authorised")
        .await;
    assert!(authorised["provider_reference"]
        .as_str()
        .unwrap()
        .starts_with("preauth_m_"));
    emailed(&shop, "Paiement reçu – commande ORD-10042", 1).await;

    // Two parcels: two pay-ins on the one pre-authorisation.
    let (status, first) = ship(
        &shop,
        "ORD-10042",
        json!({"shipment_id": "p1", "amount": "1000.00"}),
    )
    .await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["captured"], "1000.00");
    shop.payment_reaches("ORD-10042", &payment, &token, "partially_captured")
        .await;
    let (status, last) = ship(&shop, "ORD-10042", json!({"shipment_id": "p2"})).await;
    assert_eq!(status, 202, "{last}");
    assert_eq!(last["captured_total"], "2922.00");
    shop.payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    emailed(&shop, "Votre carte a été débitée – commande ORD-10042", 2).await;
    let emails = emailed(&shop, "Votre facture", 1).await;
    let year = time::OffsetDateTime::now_utc().year();
    assert!(
        emails.iter().any(|e| e["text"]
            .as_str()
            .unwrap()
            .contains(&format!("F-{year}-000001"))),
        "the invoice: {emails:?}"
    );

    // A refund larger than the last pay-in: taken from both.
    let (status, refund) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("mgp-refund-1"),
            &json!({"amount": "2000.00"}),
        )
        .await;
    assert_eq!(status, 201, "{refund}");
    let (status, replay) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("mgp-refund-1"),
            &json!({"amount": "2000.00"}),
        )
        .await;
    assert_eq!((status, &replay), (201, &refund));
    let refunded = shop
        .payment_reaches("ORD-10042", &payment, &token, "partially_refunded")
        .await;
    assert_eq!(refunded["refunded_amount"], "2000.00");
    emailed(&shop, "Remboursement effectué – commande ORD-10042", 1).await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "partially_refunded", "{order}");
}

#[tokio::test]
async fn mangopay_hooks_are_only_hints_and_converge() {
    let shop = shop_with_cards_on("mangopay").await;
    let (token, payment, form) = start_card(
        &shop,
        "ORD-10043",
        "75011",
        "paul.durand@example.fr",
        "mgp-hooks-1",
    )
    .await;
    let data = tokenise(&shop, &form, FRICTIONLESS_CARD, "123").await;
    let (status, submitted) = submit(&shop, "ORD-10043", &payment, &token, &data).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(
        submitted["payment"]["status"], "authorised",
        "frictionless: authorised at once"
    );
    let preauth = submitted["payment"]["provider_reference"]
        .as_str()
        .unwrap()
        .to_owned();

    // A forged hook claiming the pre-authorisation was validated (captured): re-fetched, it
    // is still only authorised; nothing moves.
    let now = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let (status, reply) =
        call_hook(&shop, "PREAUTHORIZATION_PAYMENT_VALIDATED", &preauth, &now).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (200, Some("no_change")),
        "{reply}"
    );
    let seen = shop
        .get(&format!("/v1/orders/ORD-10043/payments/{payment}"), &token)
        .await;
    assert_eq!(
        (seen["status"].as_str(), seen["captured_amount"].as_str()),
        (Some("authorised"), Some("0.00"))
    );
    // About an id MangoPay never issued, or not shaped as MangoPay's: nothing written.
    let (status, reply) = call_hook(
        &shop,
        "PREAUTHORIZATION_SUCCEEDED",
        "preauth_m_01NEVER",
        &now,
    )
    .await;
    assert_eq!((status, reply["outcome"].as_str()), (200, Some("ignored")));
    for query in [
        "EventType=PREAUTHORIZATION_SUCCEEDED",
        "EventType=x&RessourceId=1&Date=1",
    ] {
        let reply = shop
            .http
            .get(format!("{}/v1/webhooks/mangopay?{query}", shop.base))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 400, "{query}");
    }
    let posted = shop
        .http
        .post(format!("{}/v1/webhooks/mangopay", shop.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 400);

    // Capture, then every hook so far delivered again, newest first: the same payment.
    let (status, _) = ship(&shop, "ORD-10043", json!({"shipment_id": "all"})).await;
    assert_eq!(status, 202);
    let captured = shop
        .payment_reaches("ORD-10043", &payment, &token, "captured")
        .await;
    for hook in hooks(&shop).await.iter().rev() {
        let (status, _) = call_hook(
            &shop,
            hook["EventType"].as_str().unwrap(),
            hook["RessourceId"].as_str().unwrap(),
            &hook["Date"].to_string(),
        )
        .await;
        assert_eq!(status, 200, "{hook}");
    }
    let after = shop
        .get(&format!("/v1/orders/ORD-10043/payments/{payment}"), &token)
        .await;
    assert_eq!(after["status"], captured["status"]);
    assert_eq!(after["captured_amount"], captured["captured_amount"]);
    // One payment-received email whatever the hooks.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let emails = shop.emails().await;
    assert_eq!(
        integration::journey::count(&emails, "Paiement reçu – commande ORD-10043"),
        1,
        "{emails:?}"
    );
}

#[tokio::test]
async fn a_refused_card_on_the_form_ends_the_attempt_and_bad_answers_write_nothing() {
    let shop = shop_with_cards_on("mangopay").await;
    let (token, payment, form) = start_card(
        &shop,
        "ORD-10044",
        "69007",
        "emma.smith@example.com",
        "mgp-refused-1",
    )
    .await;
    // Bad answers: 422 naming the field; the payment is untouched.
    for (body, field) in [
        (
            json!({"token_data": "", "browser": browser()}),
            "token_data",
        ),
        (
            json!({"token_data": "data=x", "browser": {"color_depth": 3}}),
            "browser.accept_header",
        ),
    ] {
        let reply = shop
            .http
            .post(format!(
                "{}/v1/orders/ORD-10044/payments/{payment}/card-form",
                shop.base
            ))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        let problem: Value = reply.json().await.unwrap();
        assert_eq!(status, 422, "{problem}");
        assert!(
            problem["field"]
                .as_str()
                .unwrap()
                .starts_with(field.split('.').next().unwrap()),
            "{problem}"
        );
    }
    let untouched = shop
        .get(&format!("/v1/orders/ORD-10044/payments/{payment}"), &token)
        .await;
    assert_eq!(untouched["status"], "created");

    // Security code 999: the sandbox's refused card.
    let data = tokenise(&shop, &form, FRICTIONLESS_CARD, "999").await;
    let (status, problem) = submit(&shop, "ORD-10044", &payment, &token, &data).await;
    assert_eq!(status, 402, "{problem}");
    assert_eq!(
        problem["type"],
        "https://encaisse.dev/problems/card-refused"
    );
    let failed = shop
        .get(&format!("/v1/orders/ORD-10044/payments/{payment}"), &token)
        .await;
    assert_eq!(failed["status"], "failed", "{failed}");
    // The form is used up: a new attempt takes the card.
    let (token, second, form) = start_card(
        &shop,
        "ORD-10044",
        "69007",
        "emma.smith@example.com",
        "mgp-refused-2",
    )
    .await;
    let data = tokenise(&shop, &form, FRICTIONLESS_CARD, "123").await;
    let (status, submitted) = submit(&shop, "ORD-10044", &second, &token, &data).await;
    assert_eq!(
        (status, submitted["payment"]["status"].as_str()),
        (200, Some("authorised")),
        "{submitted}"
    );
    // The first attempt's form again: the same refusal, read from MangoPay; nothing moves.
    let (status, problem) = submit(&shop, "ORD-10044", &payment, &token, &data).await;
    assert_eq!(status, 402, "{problem}");
    let seen = shop
        .get(&format!("/v1/orders/ORD-10044/payments/{second}"), &token)
        .await;
    assert_eq!(seen["status"], "authorised");
}

#[tokio::test]
async fn the_card_form_answer_costs_four_dynamodb_requests() {
    // No hooks: only this request's own calls are counted.
    let shop = shop_with_cards_on_without_hooks("mangopay").await;
    let (token, payment, form) = start_card(
        &shop,
        "ORD-10042",
        "83000",
        "jeanne.martin@example.fr",
        "mgp-count-1",
    )
    .await;
    let data = tokenise(&shop, &form, FRICTIONLESS_CARD, "123").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    shop.requests.reset();
    let (status, submitted) = submit(&shop, "ORD-10042", &payment, &token, &data).await;
    assert_eq!(
        (status, submitted["payment"]["status"].as_str()),
        (200, Some("authorised")),
        "{submitted}"
    );
    let mut counted = std::collections::BTreeMap::<String, u64>::new();
    for exchange in shop.requests.exchanges() {
        // The devserver's relay polls the pending outbox on GSI1 meanwhile: not this request's.
        if exchange.request.get("IndexName").is_none() {
            *counted.entry(exchange.operation.clone()).or_default() += 1;
        }
    }
    println!("card form answered, authorised at once: {counted:?}");
    // The order read, the claim, the order read again (its version moved), the authorisation.
    assert_eq!(counted.get("Query"), Some(&2), "{counted:?}");
    assert_eq!(counted.get("TransactWriteItems"), Some(&2), "{counted:?}");
    assert_eq!(counted.values().sum::<u64>(), 4, "{counted:?}");
}

#[tokio::test]
async fn a_lapsed_mangopay_authorisation_asks_the_shopper_to_pay_again() {
    let shop = shop_with_cards_on("mangopay").await;
    let (token, payment, form) = start_card(
        &shop,
        "ORD-10042",
        "83000",
        "jeanne.martin@example.fr",
        "mgp-lapse-1",
    )
    .await;
    let data = tokenise(&shop, &form, FRICTIONLESS_CARD, "123").await;
    let (status, submitted) = submit(&shop, "ORD-10042", &payment, &token, &data).await;
    assert_eq!(
        (status, submitted["payment"]["status"].as_str()),
        (200, Some("authorised")),
        "{submitted}"
    );
    let preauth = submitted["payment"]["provider_reference"]
        .as_str()
        .unwrap()
        .to_owned();

    // MangoPay lets it lapse (its ExpirationDate) and calls the hook: no card can be charged
    // off-session on MangoPay here, so the shopper is asked to pay again.
    let reply = shop
        .http
        .post(format!(
            "{}/sandbox-psp/mangopay/_expire_preauthorization/{preauth}",
            shop.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let lapsed = shop
        .payment_reaches("ORD-10042", &payment, &token, "cancelled")
        .await;
    assert_eq!(lapsed["captured_amount"], "0.00");
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "requires_reauthorisation", "{order}");
    let all = emailed(&shop, "Action requise – commande ORD-10042", 1).await;
    assert!(all
        .iter()
        .any(|e| e["text"].as_str().unwrap().contains("/pay?ref=ORD-10042")));
}

#[tokio::test]
async fn keeping_a_card_is_not_offered_on_mangopay() {
    let shop = shop_with_cards_on("mangopay").await;
    let token = shop.token("ORD-10042", "83000").await;
    let (status, problem) = shop
        .start(
            "ORD-10042",
            &token,
            "mgp-keep-1",
            &first_order_body(&shop.base),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("save_card")),
        "{problem}"
    );
}

async fn faults(shop: &Shop, patch: Value) {
    let reply = shop
        .http
        .post(format!("{}/sandbox-psp/_faults", shop.base))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn mangopay_not_answering_leaves_the_card_form_open_and_pending_refunds_land() {
    let shop = shop_with_cards_on("mangopay").await;
    let (token, payment, form) = start_card(
        &shop,
        "ORD-10044",
        "69007",
        "emma.smith@example.com",
        "mgp-faults-1",
    )
    .await;
    let data = tokenise(&shop, &form, FRICTIONLESS_CARD, "123").await;
    // MangoPay answers 500 to everything (the connector's retries included): 503, and the
    // payment is back to `created`, not stuck in `processing`.
    faults(&shop, json!({"fail_next": 50})).await;
    let (status, problem) = submit(&shop, "ORD-10044", &payment, &token, &data).await;
    assert_eq!(status, 503, "{problem}");
    let open = shop
        .get(&format!("/v1/orders/ORD-10044/payments/{payment}"), &token)
        .await;
    assert_eq!(open["status"], "created", "{open}");
    // MangoPay is back: the same answer goes through.
    faults(&shop, json!({"fail_next": 0})).await;
    let (status, submitted) = submit(&shop, "ORD-10044", &payment, &token, &data).await;
    assert_eq!(
        (status, submitted["payment"]["status"].as_str()),
        (200, Some("authorised")),
        "{submitted}"
    );

    // A refund MangoPay answers pending lands with its PAYIN_REFUND_SUCCEEDED hook.
    let (status, _) = ship(&shop, "ORD-10044", json!({"shipment_id": "all"})).await;
    assert_eq!(status, 202);
    shop.payment_reaches("ORD-10044", &payment, &token, "captured")
        .await;
    faults(&shop, json!({"pending_refunds": true})).await;
    let (status, refund) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10044/refunds",
            Some("mgp-pending-1"),
            &json!({"amount": "10.00"}),
        )
        .await;
    assert_eq!(status, 201, "{refund}");
    let refunded = shop
        .payment_reaches("ORD-10044", &payment, &token, "partially_refunded")
        .await;
    assert_eq!(refunded["refunded_amount"], "10.00");
}
