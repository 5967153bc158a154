//! Wrong codes counted per client address as well as per order, over HTTP against moto:
//! a guesser moving from order to order is stopped after `MAX_CODE_FAILURES_PER_CLIENT`
//! wrong codes in the hour, even with a right code then (it is not tried), while a checkout
//! without codes still goes through.

use encaisse::domain::tenders::MAX_CODE_FAILURES_PER_CLIENT;
use integration::shop::{body_with, shop, Shop};
use serde_json::{json, Value};

async fn guess(shop: &Shop, reference: &str, token: &str, key: &str, code: &str) -> (u16, Value) {
    shop.start(
        reference,
        token,
        key,
        &body_with(shop, json!({"voucher_codes": [code]})),
    )
    .await
}

#[tokio::test]
async fn wrong_codes_from_one_address_across_orders_stop_at_the_clients_limit() {
    assert_eq!(
        MAX_CODE_FAILURES_PER_CLIENT, 20,
        "this test spends 10 per order"
    );
    let shop = shop().await;
    let (status, issued) = shop
        .admin_post(
            "/v1/admin/vouchers",
            Some("v-right"),
            &json!({"amount": "10.00", "currency": "EUR", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let right = issued["code"].as_str().unwrap().to_string();

    // A refusal after the codes were tried (no credit balance to use) could tell a right code
    // from a wrong one: it counts against the address too.
    let third = shop.token("ORD-10044", "69007").await;
    let (status, problem) = shop
        .start(
            "ORD-10044",
            &third,
            "no-credit",
            &body_with(
                &shop,
                json!({"voucher_codes": [right], "use_credit_balance": true}),
            ),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("use_credit_balance")),
        "{problem}"
    );

    // 10 wrong codes on one order, 9 on another: each answered with the uniform 422.
    for (reference, postcode, tries) in [("ORD-10042", "83000", 10), ("ORD-10043", "75011", 9)] {
        let token = shop.token(reference, postcode).await;
        for i in 0..tries {
            // Well-formed (a malformed code can never be right, and is refused unread).
            let code = format!("AAAA-BBBB-CCCC-DDD{}", char::from(b"ABCDEFGHJK"[i]));
            let (status, problem) =
                guess(&shop, reference, &token, &format!("{reference}-{i}"), &code).await;
            assert_eq!(
                (status, problem["field"].as_str()),
                (422, Some("voucher_codes")),
                "{reference} #{i}: {problem}"
            );
        }
    }

    // A third order has had no wrong code, but this address has had 20 refusals with codes
    // this hour: no code is tried, not even a right one.
    let token = third;
    for (key, code) in [
        ("third-wrong", "AAAA-BBBB-CCCC-DDDD"),
        ("third-right", right.as_str()),
    ] {
        let reply = shop
            .http
            .post(format!("{}/v1/orders/ORD-10044/payments", shop.base))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body_with(&shop, json!({"voucher_codes": [code]})))
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        if status != 429 {
            panic!("{key}: {status} {}", reply.text().await.unwrap());
        }
        let wait: u64 = reply.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3600).contains(&wait), "{key}: Retry-After {wait}");
        let problem: Value = reply.json().await.unwrap();
        assert_eq!(
            problem["type"]
                .as_str()
                .map(|t| t.ends_with("too-many-code-attempts")),
            Some(true),
            "{problem}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains("this address"),
            "{problem}"
        );
    }
    // The voucher was not spent.
    let voucher = shop
        .http
        .get(format!(
            "{}/v1/admin/vouchers/{}",
            shop.base,
            issued["id"].as_str().unwrap()
        ))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(voucher["balance"], "10.00", "{voucher}");

    // Without codes the order can still be paid.
    let (status, started) = shop
        .start("ORD-10044", &token, "card", &body_with(&shop, json!({})))
        .await;
    assert_eq!(status, 201, "{started}");
}
