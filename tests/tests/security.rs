//! Security properties over HTTP (devserver app on moto + sandbox PSP) and through API Gateway
//! events: forged, stale and replayed webhooks change nothing; lookup brute force is throttled
//! per reference and per client address (X-Forwarded-For cannot reset it); refused lookups are
//! indistinguishable; and the logs of a whole journey hold no card number, CVC, IBAN or email.

use std::sync::{Arc, OnceLock};

use encaisse::app::{AccessTokens, OrderLookup};
use encaisse::http::{order_lookup_router, with_fallbacks};
use encaisse::ports::SystemClock;
use integration::hostile::{harness, scan_prefix, Harness};
use integration::log_scan::{scan_for, Captured};
use integration::shop::{first_order_body, WEBHOOK_SECRET};
use serde_json::{json, Value};

/// Every log line of this test binary, at TRACE for our crates (INFO for the others), from
/// the first test that asks; every test here asks first, so the scan sees their logs too.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "encaisse=trace,encaisse_dev=trace,integration=trace,info",
            ))
            .init();
        captured
    })
}

/// Everything a webhook could move: the full order, every outbox item, every webhook dedupe
/// record, every email.
async fn snapshot(h: &Harness) -> (Value, Vec<String>, Vec<String>, Vec<Value>) {
    let order: Value = h
        .shop
        .http
        .get(format!("{}/v1/admin/orders/ORD-10042", h.shop.base))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        order,
        h.outbox_ids().await,
        scan_prefix(&h.table, "WEBHOOK#").await,
        h.emails().await,
    )
}

#[tokio::test]
async fn forged_stale_and_replayed_webhooks_change_nothing() {
    captured_logs();
    let h = harness(true).await;
    let (token, payment) = h
        .shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    let (status, _) = h
        .shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/shipments",
            None,
            &json!({"shipment_id": "p1", "amount": "1000.00"}),
        )
        .await;
    assert_eq!(status, 202);
    h.shop
        .payment_reaches("ORD-10042", &payment, &token, "partially_captured")
        .await;
    h.settled_emails(2).await;
    let before = snapshot(&h).await;
    assert_eq!(before.3.len(), 2, "payment received + amount debited");

    let events = h.sandbox.events();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let authorised = h.events_of("payment_intent.amount_capturable_updated")[0].to_string();
    // The authorisation claim again, with the amount changed after signing.
    let mut tampered: Value = serde_json::from_str(&authorised).unwrap();
    tampered["data"]["object"]["amount_received"] = 292200.into();
    tampered["data"]["object"]["status"] = "succeeded".into();
    let tampered = tampered.to_string();

    for (what, payload, at, secret) in [
        ("wrong secret", authorised.clone(), now, "whsec_attacker"),
        ("stale", authorised.clone(), now - 301, WEBHOOK_SECRET),
        // A minute past the 5-minute tolerance: a loaded machine may take seconds to send it.
        (
            "from the future",
            authorised.clone(),
            now + 360,
            WEBHOOK_SECRET,
        ),
        (
            "an hour old",
            authorised.clone(),
            now - 3600,
            WEBHOOK_SECRET,
        ),
    ] {
        let (status, problem) = h.webhook(&payload, at, secret).await;
        assert_eq!(status, 400, "{what}: {problem}");
        assert_eq!(
            problem["type"], "https://encaisse.dev/problems/invalid-webhook",
            "{what}"
        );
    }
    // A valid signature of one body sent with another body.
    let signature = integration::shop::sign(&authorised, now, WEBHOOK_SECRET);
    let mismatched = h
        .shop
        .http
        .post(format!("{}/v1/webhooks/stripe", h.shop.base))
        .header("stripe-signature", signature)
        .body(tampered.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(mismatched.status(), 400);
    for header in [
        None,
        Some(""),
        Some("t=abc,v1=00"),
        Some("v1=deadbeef"),
        Some("garbage"),
    ] {
        let mut request = h
            .shop
            .http
            .post(format!("{}/v1/webhooks/stripe", h.shop.base))
            .body(authorised.clone());
        if let Some(value) = header {
            request = request.header("stripe-signature", value);
        }
        assert_eq!(request.send().await.unwrap().status(), 400, "{header:?}");
    }

    // Replays of every real event, freshly and validly signed (an attacker who replays a
    // captured delivery cannot do that, Stripe's retries do): already seen, nothing moves.
    for event in &events {
        let payload = event.to_string();
        let (status, reply) = h.webhook(&payload, now, WEBHOOK_SECRET).await;
        assert_eq!(
            (status, reply["outcome"].as_str()),
            (200, Some("no_change")),
            "{}",
            event["type"]
        );
    }
    // A validly signed event about a PaymentIntent this PSP account does not have: the
    // re-fetch finds nothing, so nothing of ours moves.
    let mut foreign: Value = serde_json::from_str(&authorised).unwrap();
    foreign["id"] = "evt_not_ours".into();
    foreign["data"]["object"]["id"] = "pi_not_ours_000000000000".into();
    let foreign = foreign.to_string();
    let (status, reply) = h.webhook(&foreign, now, WEBHOOK_SECRET).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (200, Some("ignored")),
        "{reply}"
    );

    let after = snapshot(&h).await;
    assert_eq!(after.0, before.0, "the order and its payments");
    assert_eq!(after.1, before.1, "outbox items");
    assert_eq!(after.2, before.2, "webhook dedupe records");
    // Two relay sweeps later, still the same two emails.
    let emails = h.settled_emails(2).await;
    assert_eq!(emails, before.3);
}

fn lookup_event(reference: &str, postcode: &str, source_ip: &str, forwarded: &str) -> Value {
    let mut event = integration::event("order-lookup/lookup-wrong-postcode.json");
    event["body"] = json!({"reference": reference, "postcode": postcode})
        .to_string()
        .into();
    event["headers"]["content-length"] = event["body"].as_str().unwrap().len().to_string().into();
    event["requestContext"]["http"]["sourceIp"] = source_ip.into();
    event["headers"]["x-forwarded-for"] = forwarded.into();
    event
}

#[tokio::test]
async fn lookup_brute_force_is_throttled_per_reference_and_per_source_ip() {
    captured_logs();
    // Like the other tests here: the environment is settled before any client reads it.
    integration::hostile::moto_behind_serialising_proxy();
    let store = integration::fresh_store().await;
    encaisse_dev::seed_demo_orders(store.as_ref())
        .await
        .unwrap();
    let router = with_fallbacks(order_lookup_router(OrderLookup::new(
        store,
        AccessTokens::new(b"security-test-secret-at-least-32-bytes"),
        Arc::new(SystemClock),
    )));

    // One address tries 20 references, a new X-Forwarded-For each time: locked all the same,
    // since only API Gateway's sourceIp counts.
    for i in 0..20 {
        let event = lookup_event(
            &format!("ORD-{}", 70_000 + i),
            "83000",
            "198.51.100.9",
            &format!("10.0.0.{i}"),
        );
        assert_eq!(integration::invoke(&router, &event).await.status, 404);
    }
    let locked = integration::invoke(
        &router,
        &lookup_event("ORD-10042", "83000", "198.51.100.9", "10.9.9.9"),
    )
    .await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(
        locked.body["type"],
        "https://encaisse.dev/problems/too-many-attempts"
    );
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=16 * 60).contains(&retry), "Retry-After {retry}");
    // Another address is not locked out by it.
    let other = integration::invoke(
        &router,
        &lookup_event("ORD-10042", "83000", "198.51.100.10", "198.51.100.10"),
    )
    .await;
    assert_eq!(other.status, 200, "{}", other.body);

    // Five wrong postcodes for one reference from one address lock that address out of it,
    // the right postcode included...
    for _ in 0..5 {
        let event = lookup_event("ORD-10043", "00000", "192.0.2.1", "x");
        assert_eq!(integration::invoke(&router, &event).await.status, 404);
    }
    let locked = integration::invoke(
        &router,
        &lookup_event("ORD-10043", "75011", "192.0.2.1", "192.0.2.1"),
    )
    .await;
    assert_eq!(locked.status, 429);
    assert!(locked.headers.contains_key("retry-after"));
    // ...but not its shopper: references are sequential, so a lockout per reference would let
    // anyone lock a shopper out of their order. From another address the right postcode opens.
    let shopper = integration::invoke(
        &router,
        &lookup_event("ORD-10043", "75011", "192.0.2.200", "192.0.2.200"),
    )
    .await;
    assert_eq!(shopper.status, 200, "{}", shopper.body);
}

/// Guesses on one reference from many addresses slow it down (a growing Retry-After after the
/// 10th failure) instead of locking it; the quote's pay link opens it whatever happened.
#[tokio::test]
async fn a_reference_guessed_from_everywhere_slows_down_and_its_pay_link_still_opens_it() {
    captured_logs();
    integration::hostile::moto_behind_serialising_proxy();
    let store = integration::fresh_store().await;
    encaisse_dev::seed_demo_orders(store.as_ref())
        .await
        .unwrap();
    let secret = b"security-test-secret-at-least-32-bytes";
    let order = store
        .get_order(&encaisse::domain::Reference::parse("ORD-10043").unwrap())
        .await
        .unwrap()
        .unwrap()
        .value;
    let pay_token = encaisse::app::pay_token::PayTokens::new(secret).issue(&order);
    let router = with_fallbacks(order_lookup_router(OrderLookup::new(
        store,
        AccessTokens::new(secret),
        Arc::new(SystemClock),
    )));
    let with_body = |body: Value, ip: &str| {
        let mut event = lookup_event("ORD-10043", "00000", ip, ip);
        event["body"] = body.to_string().into();
        event["headers"]["content-length"] =
            event["body"].as_str().unwrap().len().to_string().into();
        event
    };

    let mut waits = Vec::new();
    for i in 0..14 {
        let event = lookup_event("ORD-10043", "00000", &format!("198.51.100.{i}"), "x");
        let answer = integration::invoke(&router, &event).await;
        match answer.status {
            404 => {}
            429 => waits.push(
                answer.headers["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            ),
            other => panic!("{other}: {}", answer.body),
        }
    }
    // After ten failures each new address waits a few seconds, never the 15-minute lockout.
    assert!(!waits.is_empty(), "slowed down after 10 failures");
    assert!(waits.iter().all(|w| (1..=300).contains(w)), "{waits:?}");
    // The pay link opens the order right away, with no postcode, from anywhere.
    for _ in 0..3 {
        let event = with_body(json!({"pay_token": pay_token}), "203.0.113.9");
        let answer = integration::invoke(&router, &event).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["order"]["reference"], "ORD-10043");
    }
    // A forged or altered token is an unknown order.
    let mut forged = pay_token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let event = with_body(json!({"pay_token": forged}), "203.0.113.9");
    assert_eq!(integration::invoke(&router, &event).await.status, 404);
}

/// Each attempt is reserved (a conditional write) before its postcode is compared: of 50 wrong
/// guesses sent at once, at most the limit (5) are compared, the rest get 429. Before, the
/// limit was read before comparing and the failure written after, so most of them were.
#[tokio::test]
async fn fifty_concurrent_guesses_on_one_reference_get_at_most_five_comparisons() {
    captured_logs();
    let h = harness(true).await;
    let guesses: Vec<_> = (0..50)
        .map(|i| {
            let (http, base) = (h.shop.http.clone(), h.shop.base.clone());
            tokio::spawn(async move {
                http.post(format!("{base}/v1/order-lookups"))
                    .json(&json!({"reference": "ORD-10044", "postcode": format!("{:05}", 10_000 + i)}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 404 || *s == 429),
        "{statuses:?}"
    );
    let compared = statuses.iter().filter(|s| **s == 404).count();
    eprintln!("50 concurrent guesses: {compared} compared (404), the rest 429");
    assert!(
        (1..=5).contains(&compared),
        "{compared} compared: {statuses:?}"
    );
    // However they raced, the right postcode is refused now if five were compared.
    let reply = h
        .shop
        .http
        .post(format!("{}/v1/order-lookups", h.shop.base))
        .json(&json!({"reference": "ORD-10044", "postcode": "69007"}))
        .send()
        .await
        .unwrap();
    if compared == 5 {
        assert_eq!(reply.status(), 429);
        assert!(reply.headers().contains_key("retry-after"));
    } else {
        assert_eq!(reply.status(), 200, "fewer than five failures: still open");
    }
}

/// Lookups within the limits never conflict: many shoppers behind one address (a company's
/// NAT) looking their orders up at the same moment all get in. (A version condition on the
/// client's log made them collide and answered 429.)
#[tokio::test]
async fn concurrent_right_lookups_from_one_address_all_get_in() {
    captured_logs();
    let h = harness(true).await;
    let lookups: Vec<_> = (0..12)
        .map(|i| {
            let (http, base) = (h.shop.http.clone(), h.shop.base.clone());
            let (reference, postcode) = [
                ("ORD-10042", "83000"),
                ("ORD-10043", "75011"),
                ("ORD-10044", "69007"),
            ][i % 3];
            tokio::spawn(async move {
                http.post(format!("{base}/v1/order-lookups"))
                    .json(&json!({"reference": reference, "postcode": postcode}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for lookup in lookups {
        assert_eq!(lookup.await.unwrap(), 200);
    }
}

/// A right postcode gives its attempt back: four failures and a success leave the shopper
/// room for one more mistake, not a lockout.
#[tokio::test]
async fn a_right_postcode_does_not_count_as_a_failure() {
    captured_logs();
    let h = harness(true).await;
    let lookup = |postcode: &'static str| {
        let (http, base) = (h.shop.http.clone(), h.shop.base.clone());
        async move {
            http.post(format!("{base}/v1/order-lookups"))
                .json(&json!({"reference": "ORD-10044", "postcode": postcode}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for _ in 0..4 {
        assert_eq!(lookup("00000").await, 404);
    }
    for _ in 0..3 {
        assert_eq!(lookup("69007").await, 200);
    }
    assert_eq!(lookup("00000").await, 404, "the fifth failure");
    assert_eq!(lookup("69007").await, 429);
}

#[tokio::test]
async fn refused_lookups_are_byte_identical_whatever_the_reason() {
    captured_logs();
    let h = harness(true).await;
    // ORD-10042 gets a payment history (its lookup reads more), ORD-10043 has none.
    h.shop
        .authorised_order("ORD-10042", "83000", "jeanne.martin@example.fr")
        .await;
    let refuse = |reference: &'static str, postcode: &'static str| {
        let (http, base) = (h.shop.http.clone(), h.shop.base.clone());
        async move {
            let reply = http
                .post(format!("{base}/v1/order-lookups"))
                .json(&json!({"reference": reference, "postcode": postcode}))
                .send()
                .await
                .unwrap();
            let status = reply.status().as_u16();
            let mut headers: Vec<(String, String)> = reply
                .headers()
                .iter()
                .filter(|(k, _)| *k != "date")
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            headers.sort();
            (status, headers, reply.bytes().await.unwrap())
        }
    };
    let unknown = refuse("ORD-99999", "83000").await;
    assert_eq!(unknown.0, 404);
    for (reference, postcode) in [
        ("ORD-10042", "83001"),
        ("ORD-10043", "83000"),
        ("ORD-10044", "6900 7X"),
        ("ORD-77777", "75011"),
    ] {
        let other = refuse(reference, postcode).await;
        assert_eq!(other, unknown, "{reference} / {postcode}");
    }
}

#[tokio::test]
async fn the_logs_of_a_whole_journey_hold_no_card_data_and_no_email_address() {
    let logs = captured_logs();
    let h = harness(true).await;
    // A seller creates an order for a named customer.
    let (status, order) = h
        .shop
        .admin_post(
            "/v1/admin/orders",
            Some("create-1"),
            &json!({
                "reference": "ORD-30001",
                "customer": {"email": "camille.leroy@example.org", "name": "Camille Leroy", "locale": "fr"},
                "currency": "EUR",
                "lines": [{"sku": "BUR-1", "description": "Bureau", "quantity": 1, "unit_price": "480.00", "tax_rate": "20"}],
                "shipping": {"method": "carrier", "amount": "20.00", "tax_rate": "20",
                             "address": {"name": "Camille Leroy", "line1": "4 rue Paradis", "postcode": "13001",
                                         "city": "Marseille", "country": "FR"}}
            }),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let token = h.shop.token("ORD-30001", "13001").await;
    let mut body = first_order_body(&h.shop.base);
    body["billing"]["email"] = "camille.billing@example.org".into();
    body["billing"]["phone"] = "+33 6 12 34 56 78".into();
    let (status, started) = h.shop.start("ORD-30001", &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    let page = started["next_action"]["url"].as_str().unwrap().to_string();
    let payment = started["payment"]["id"].as_str().unwrap().to_string();
    // Declined twice (generic, insufficient funds), then paid.
    assert!(h.shop.pay(&page, "4000 0000 0000 0002").await.is_none());
    assert!(h.shop.pay(&page, "4000000000009995").await.is_none());
    h.shop
        .pay(&page, "4242 4242 4242 4242")
        .await
        .expect("redirect back");
    h.shop
        .payment_reaches("ORD-30001", &payment, &token, "authorised")
        .await;
    let (status, _) = h
        .shop
        .admin_post(
            "/v1/admin/orders/ORD-30001/shipments",
            None,
            &json!({"shipment_id": "all"}),
        )
        .await;
    assert_eq!(status, 202);
    let (status, _) = h
        .shop
        .admin_post(
            "/v1/admin/orders/ORD-30001/refunds",
            Some("r-1"),
            &json!({"amount": "20.00", "reason": "Late delivery"}),
        )
        .await;
    assert_eq!(status, 201);
    // A lookup with an email typed in the wrong field, and a body that is not JSON.
    let reply = h
        .shop
        .http
        .post(format!("{}/v1/order-lookups", h.shop.base))
        .json(&json!({"reference": "camille.leroy@example.org", "postcode": "13001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 422);
    // Received, debited, invoice, refund.
    let emails = h.settled_emails(4).await;
    assert_eq!(emails.len(), 4, "{emails:?}");

    let text = logs.text();
    // `SECURITY_LOG_DUMP=<file>` keeps what was scanned, to read it.
    if let Ok(path) = std::env::var("SECURITY_LOG_DUMP") {
        std::fs::write(path, &text).unwrap();
    }
    assert!(
        text.contains("ORD-30001") && text.lines().count() > 20,
        "the journey was logged: {} lines",
        text.lines().count()
    );
    // Each request is logged under a span naming its route and, once known, the order and
    // payment (issue 17): the shopper's start, and the PSP's notifications about it.
    let under = |route: &str, needles: &[&str]| {
        text.lines()
            .any(|l| l.contains(&format!("route={route}")) && needles.iter().all(|n| l.contains(n)))
    };
    assert!(
        under(
            "/v1/orders/{reference}/payments",
            &["reference=ORD-30001", "answered status=201"]
        ),
        "the payment's start is logged under its order"
    );
    assert!(
        under(
            "/v1/webhooks/{provider}",
            &[
                "reference=ORD-30001",
                &format!("payment_id={payment}"),
                "answered status=200"
            ]
        ),
        "a notification is logged under the order and payment it moved"
    );
    // What the journey typed in about people, and free text.
    let personal = [
        "Camille Leroy",
        "4 rue Paradis",
        "Jeanne Martin",
        "Atelier Martin",
        "9 rue d'Antrechaus",
        "Late delivery",
    ];
    let leaks = scan_for(&text, &personal);
    assert!(
        leaks.is_empty(),
        "{} leaks in {} log lines, e.g. {:#?}",
        leaks.len(),
        text.lines().count(),
        &leaks[..leaks.len().min(5)]
    );
    eprintln!(
        "log scan: {} lines, {} bytes, no card number, CVC, IBAN, email address, phone number, \
         name, address line or free text",
        text.lines().count(),
        text.len()
    );
}
