//! Unfinished payments: the shopper resumes (a new hosted page, the old one closed) or drops
//! the attempt, and the order can be paid again.

use integration::shop::{first_order_body, shop};

#[tokio::test]
async fn resuming_replaces_the_open_attempt_and_closes_its_page() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "jeanne.martin@example.fr".into();
    let (status, first) = shop.start("ORD-10042", &token, "attempt-1", &body).await;
    assert_eq!(status, 201, "{first}");
    let old_page = first["next_action"]["url"].as_str().unwrap().to_string();
    let old = first["payment"]["id"].as_str().unwrap().to_string();

    // Back later: a new attempt replaces the open one.
    let (status, second) = shop.start("ORD-10042", &token, "attempt-2", &body).await;
    assert_eq!(status, 201, "{second}");
    let new_page = second["next_action"]["url"].as_str().unwrap().to_string();
    let new = second["payment"]["id"].as_str().unwrap().to_string();
    assert_ne!((&old_page, &old), (&new_page, &new));
    let seen = shop
        .get(&format!("/v1/orders/ORD-10042/payments/{old}"), &token)
        .await;
    // Cancelled by the resume, or already expired by the PSP's webhook for the closed page,
    // whichever committed first.
    assert!(
        seen["status"] == "cancelled" || seen["status"] == "expired",
        "{seen}"
    );
    // The old page no longer takes a card.
    assert!(shop.pay(&old_page, "4242424242424242").await.is_none());

    shop.pay(&new_page, "4242424242424242")
        .await
        .expect("redirect back");
    shop.payment_reaches("ORD-10042", &new, &token, "authorised")
        .await;
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "authorised");
    assert_eq!(order["payments"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn dropping_an_attempt_frees_the_order_and_is_idempotent() {
    let shop = shop().await;
    let token = shop.token("ORD-10043", "75011").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "paul.durand@example.fr".into();
    let (_, started) = shop.start("ORD-10043", &token, "drop-1", &body).await;
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    let delete = || {
        shop.http
            .delete(format!(
                "{}/v1/orders/ORD-10043/payments/{payment}",
                shop.base
            ))
            .bearer_auth(&token)
            .send()
    };
    let dropped = delete().await.unwrap();
    assert_eq!(dropped.status(), 200);
    let dropped: serde_json::Value = dropped.json().await.unwrap();
    // Closing the page also triggers the PSP's `checkout.session.expired` webhook: whichever
    // commits first names the state.
    assert!(
        dropped["status"] == "cancelled" || dropped["status"] == "expired",
        "{dropped}"
    );
    assert_eq!(
        shop.get("/v1/orders/ORD-10043", &token).await["status"],
        "awaiting_payment"
    );
    assert_eq!(delete().await.unwrap().status(), 200);

    // Paid again from scratch; an authorised payment cannot be dropped.
    let (status, again) = shop.start("ORD-10043", &token, "drop-2", &body).await;
    assert_eq!(status, 201, "{again}");
    let page = again["next_action"]["url"].as_str().unwrap().to_string();
    let paid = again["payment"]["id"].as_str().unwrap().to_string();
    shop.pay(&page, "4242424242424242")
        .await
        .expect("redirect back");
    shop.payment_reaches("ORD-10043", &paid, &token, "authorised")
        .await;
    let refused = shop
        .http
        .delete(format!("{}/v1/orders/ORD-10043/payments/{paid}", shop.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn an_attempt_whose_page_expires_unpaid_frees_the_order() {
    let shop = shop().await;
    let token = shop.token("ORD-10044", "69007").await;
    let mut body = first_order_body(&shop.base);
    body["billing"]["email"] = "emma.smith@example.com".into();
    let (status, started) = shop.start("ORD-10044", &token, "expiring", &body).await;
    assert_eq!(status, 201, "{started}");
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    let page = started["next_action"]["url"].as_str().unwrap();
    let session = page.rsplit('/').next().unwrap();
    // The PSP closes the page (as at its expiry time) and tells us with a signed webhook.
    let expired = shop
        .http
        .post(format!(
            "{}/sandbox-psp/v1/checkout/sessions/{session}/expire",
            shop.base
        ))
        .bearer_auth("sk_test_any")
        .send()
        .await
        .unwrap();
    assert!(
        expired.status().is_success(),
        "{}",
        expired.text().await.unwrap()
    );
    shop.payment_reaches("ORD-10044", &payment, &token, "expired")
        .await;
    assert_eq!(
        shop.get("/v1/orders/ORD-10044", &token).await["status"],
        "awaiting_payment"
    );
    let (status, _) = shop.start("ORD-10044", &token, "after-expiry", &body).await;
    assert_eq!(status, 201);
}

/// The PSP's `checkout.session.expired` webhook for a page the shopper closed (drop or resume)
/// can commit before or after our own close. Both orders, forced: the sandbox keeps its events
/// and the test delivers them itself.
mod closing_races {
    use integration::shop::{first_order_body, shop_with_webhooks, Shop, WEBHOOK_SECRET};
    use serde_json::Value;

    async fn open_attempt(shop: &Shop, key: &str) -> (String, String, String) {
        let token = shop.token("ORD-10042", "83000").await;
        let (status, started) = shop
            .start("ORD-10042", &token, key, &first_order_body(&shop.base))
            .await;
        assert_eq!(status, 201, "{started}");
        let page = started["next_action"]["url"].as_str().unwrap();
        (
            token,
            started["payment"]["id"].as_str().unwrap().to_string(),
            page.rsplit('/').next().unwrap().to_string(),
        )
    }

    /// The sandbox's `checkout.session.expired` event for `session`, delivered now.
    async fn deliver_expiry(shop: &Shop, session: &str) {
        let event = shop
            .sandbox_events()
            .await
            .into_iter()
            .find(|e| {
                e["type"] == "checkout.session.expired" && e["data"]["object"]["id"] == session
            })
            .expect("the sandbox emitted the expiry")
            .to_string();
        let at = time::OffsetDateTime::now_utc().unix_timestamp();
        assert_eq!(shop.webhook(&event, at, WEBHOOK_SECRET).await.0, 200);
    }

    async fn expire_at_psp(shop: &Shop, session: &str) {
        let reply = shop
            .http
            .post(format!(
                "{}/sandbox-psp/v1/checkout/sessions/{session}/expire",
                shop.base
            ))
            .bearer_auth("sk_test_any")
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success());
    }

    async fn drop_attempt(shop: &Shop, token: &str, payment: &str) -> (u16, Value) {
        let reply = shop
            .http
            .delete(format!(
                "{}/v1/orders/ORD-10042/payments/{payment}",
                shop.base
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (reply.status().as_u16(), reply.json().await.unwrap())
    }

    async fn status_of(shop: &Shop, token: &str, payment: &str) -> (Value, Value) {
        let order = shop.get("/v1/orders/ORD-10042", token).await;
        let payment = order["payments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == payment)
            .unwrap()["status"]
            .clone();
        (order["status"].clone(), payment)
    }

    #[tokio::test]
    async fn drop_then_the_expiry_webhook() {
        let shop = shop_with_webhooks(false).await;
        let (token, payment, session) = open_attempt(&shop, "k1").await;
        let (status, dropped) = drop_attempt(&shop, &token, &payment).await;
        assert_eq!((status, &dropped["status"]), (200, &"cancelled".into()));
        deliver_expiry(&shop, &session).await;
        assert_eq!(
            status_of(&shop, &token, &payment).await,
            ("awaiting_payment".into(), "cancelled".into())
        );
    }

    #[tokio::test]
    async fn the_expiry_webhook_then_drop() {
        let shop = shop_with_webhooks(false).await;
        let (token, payment, session) = open_attempt(&shop, "k1").await;
        expire_at_psp(&shop, &session).await;
        deliver_expiry(&shop, &session).await;
        assert_eq!(
            status_of(&shop, &token, &payment).await,
            ("awaiting_payment".into(), "expired".into())
        );
        let (status, dropped) = drop_attempt(&shop, &token, &payment).await;
        assert_eq!((status, &dropped["status"]), (200, &"expired".into()));
    }

    #[tokio::test]
    async fn resume_then_the_old_pages_expiry_webhook() {
        let shop = shop_with_webhooks(false).await;
        let (token, old, session) = open_attempt(&shop, "k1").await;
        let (status, resumed) = shop
            .start("ORD-10042", &token, "k2", &first_order_body(&shop.base))
            .await;
        assert_eq!(status, 201, "{resumed}");
        let new = resumed["payment"]["id"].as_str().unwrap().to_string();
        deliver_expiry(&shop, &session).await;
        // The old page's expiry must not take the order off the new attempt.
        assert_eq!(
            status_of(&shop, &token, &old).await,
            ("payment_pending".into(), "cancelled".into())
        );
        assert_eq!(status_of(&shop, &token, &new).await.1, "created");
    }

    #[tokio::test]
    async fn the_expiry_webhook_then_resume() {
        let shop = shop_with_webhooks(false).await;
        let (token, old, session) = open_attempt(&shop, "k1").await;
        expire_at_psp(&shop, &session).await;
        deliver_expiry(&shop, &session).await;
        let (status, resumed) = shop
            .start("ORD-10042", &token, "k2", &first_order_body(&shop.base))
            .await;
        assert_eq!(status, 201, "{resumed}");
        let new = resumed["payment"]["id"].as_str().unwrap().to_string();
        assert_eq!(
            status_of(&shop, &token, &old).await,
            ("payment_pending".into(), "expired".into())
        );
        assert_eq!(status_of(&shop, &token, &new).await.1, "created");
    }
}
