//! SEPA direct debit over real HTTP (devserver app on moto, the sandbox PSP's SEPA dialect):
//! a mandate added on the PSP's page (the IBAN never reaches us), purchases paid by SEPA as
//! lines of the customer's month under the cap, every refusal a 422 naming its condition.

use integration::account::signed_in;
use integration::sepa::{add_mandate, by_sepa, close_month, first_of_next, me, quote, JEANNE};
use integration::shop::{shop, Shop};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mandate_pays_purchases_by_sepa_up_to_the_cap() {
    let shop = shop().await;
    let session = signed_in(&shop, JEANNE).await;
    let id = add_mandate(&shop, &session, "DE89370400440532013000").await;
    let (status, list) = me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let mandate = &list["mandates"][0];
    assert_eq!(mandate["id"], id.as_str());
    assert_eq!(mandate["status"], "active", "{mandate}");
    assert_eq!(mandate["iban_last4"], "3000");
    assert_eq!(mandate["bank_country"], "DE");
    assert!(
        mandate["reference"].as_str().is_some_and(|r| !r.is_empty()),
        "{mandate}"
    );
    assert!(
        !list.to_string().contains("DE89370400440532013000"),
        "the IBAN never reaches us"
    );

    // (14.50 + 6.90) + 20 % VAT = 25.68: a line of November's month, the order confirmed at once.
    let token = quote(&shop, "ORD-20001", "14.50").await;
    let (status, started) = shop
        .start("ORD-20001", &token, "sepa-1", &by_sepa(&shop))
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["status"], "authorised", "{started}");
    assert_eq!(started["payment"]["method"], "sepa_debit");
    assert!(started["next_action"].is_null());
    let order = shop.get("/v1/orders/ORD-20001", &token).await;
    assert_eq!(order["status"], "authorised", "{order}");
    // Replayed: the same answer, nothing added twice.
    let (status, again) = shop
        .start("ORD-20001", &token, "sepa-1", &by_sepa(&shop))
        .await;
    assert_eq!((status, &again), (201, &started));

    // 300 + 6.90 is over what remains of 250.
    let token = quote(&shop, "ORD-20002", "300.00").await;
    let (status, refused) = shop
        .start("ORD-20002", &token, "sepa-2", &by_sepa(&shop))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["type"],
        "https://encaisse.dev/problems/sepa-cap-exceeded"
    );
    assert_eq!(refused["field"], "method");
    assert_eq!(
        refused["remaining"], "224.32",
        "250 less (14.50 + 6.90) with 20 % VAT"
    );
    assert_eq!(
        shop.get("/v1/orders/ORD-20002", &token).await["status"],
        "awaiting_payment"
    );

    let (status, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(status, 200, "{sepa}");
    assert_eq!(sepa["state"], "active");
    assert_eq!(
        (
            sepa["cap"].as_str(),
            sepa["used"].as_str(),
            sepa["remaining"].as_str()
        ),
        (Some("250.00"), Some("25.68"), Some("224.32"))
    );
    assert_eq!(sepa["months"][0]["status"], "open");
    assert_eq!(sepa["months"][0]["purchases"], 1);

    // Revoked: no active mandate any more.
    let (status, revoked) = me(
        &shop,
        &session,
        reqwest::Method::DELETE,
        &format!("/v1/me/mandates/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, revoked["status"].as_str()),
        (200, Some("inactive")),
        "{revoked}"
    );
    let token = quote(&shop, "ORD-20003", "10.00").await;
    let (status, refused) = shop
        .start("ORD-20003", &token, "sepa-3", &by_sepa(&shop))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["type"],
        "https://encaisse.dev/problems/sepa-no-active-mandate"
    );
    assert_eq!(refused["field"], "mandate_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sepa_purchases_never_pass_the_cap() {
    let shop = shop().await;
    let session = signed_in(&shop, JEANNE).await;
    add_mandate(&shop, &session, "FR1420041010050500013M02606").await;
    // 20 orders of (18.10 + 6.90) + 20 % VAT = 30.00 each: 8 fit under 250, never a 9th.
    let mut tokens = Vec::new();
    for i in 0..20 {
        let reference = format!("ORD-2100{i:02}");
        tokens.push((reference.clone(), quote(&shop, &reference, "18.10").await));
    }
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|(reference, token)| {
            let shop = shop.clone();
            tokio::spawn(async move {
                let body = by_sepa(&shop);
                shop.start(&reference, &token, &format!("key-{reference}"), &body)
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => accepted += 1,
            422 => assert_eq!(
                body["type"], "https://encaisse.dev/problems/sepa-cap-exceeded",
                "{body}"
            ),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(accepted, 8);
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(sepa["used"], "240.00", "{sepa}");
    assert_eq!(sepa["months"][0]["purchases"], 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sepa_refusals_name_their_condition_and_write_nothing() {
    let shop = shop().await;
    // No mandate at all.
    let token = quote(&shop, "ORD-22001", "10.00").await;
    let (status, refused) = shop.start("ORD-22001", &token, "k1", &by_sepa(&shop)).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["field"], "mandate_id");
    // Card fields do not go with SEPA; a mandate id goes with SEPA only.
    let mut body = by_sepa(&shop);
    body["save_card"] = json!(true);
    let (status, refused) = shop.start("ORD-22001", &token, "k2", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("save_card")),
        "{refused}"
    );
    let body = json!({"method": "card", "mandate_id": "mdt_x", "return_url": format!("{}/return", shop.base)});
    let (status, refused) = shop.start("ORD-22001", &token, "k3", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("mandate_id")),
        "{refused}"
    );
    let mut body = by_sepa(&shop);
    body["mandate_id"] = json!("not a mandate");
    let (status, refused) = shop.start("ORD-22001", &token, "k4", &body).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("mandate_id")),
        "{refused}"
    );
    assert_eq!(
        shop.get("/v1/orders/ORD-22001", &token).await["status"],
        "awaiting_payment"
    );
}

/// Waits for the month's status (the sandbox settles a debit ~2 s after it, then notifies).
async fn month_reaches(shop: &Shop, session: &str, status: &str) -> Value {
    for _ in 0..150 {
        let (_, sepa) = me(shop, session, reqwest::Method::GET, "/v1/me/sepa", None).await;
        if sepa["months"][0]["status"] == status {
            return sepa;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the month never reached {status}");
}

/// The current month's purchases (two orders paid by SEPA with `iban`), then its close.
async fn month_of_two_purchases(shop: &Shop, iban: &str) -> (String, String) {
    let session = signed_in(shop, JEANNE).await;
    add_mandate(shop, &session, iban).await;
    for (reference, price) in [("ORD-23001", "14.50"), ("ORD-23002", "40.00")] {
        let token = quote(shop, reference, price).await;
        let (status, started) = shop
            .start(reference, &token, reference, &by_sepa(shop))
            .await;
        assert_eq!(status, 201, "{started}");
    }
    let (_, sepa) = me(shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let month = sepa["month"].as_str().unwrap().to_string();
    (session, month)
}

/// A shop whose SEPA mandates (and cards) are on `provider`: the SEPA month runs on both.
async fn shop_on(provider: &'static str) -> Shop {
    match provider {
        "stripe" => shop().await,
        other => integration::shop::shop_with_cards_on(other).await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_is_announced_then_collected_in_one_debit_on_stripe() {
    month_announced_then_collected(&shop_on("stripe").await, "stripe").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_is_announced_then_collected_in_one_debit_on_mangopay() {
    month_announced_then_collected(&shop_on("mangopay").await, "mangopay").await;
}

async fn month_announced_then_collected(shop: &Shop, provider: &str) {
    let shop = shop.clone();
    let (session, month) = month_of_two_purchases(&shop, "DE89370400440532013000").await;
    // Not closed while it runs.
    let early = close_month(&shop, &month, &format!("{month}-15")).await;
    assert_eq!(early["advanced"]["unchanged"], 1, "{early}");

    // Shipped like a card order: nothing is taken now, the month's debit collects it.
    let (status, shipped) =
        integration::journey::ship(&shop, "ORD-23001", json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(status, 202, "{shipped}");
    assert_eq!(
        (
            shipped["captured"].as_str(),
            shipped["collected_by"].as_str()
        ),
        (Some("0.00"), Some("sepa_monthly_debit"))
    );

    let first = first_of_next(&month);
    let closed = close_month(&shop, &month, &first).await;
    assert_eq!(
        (
            closed["customers"].as_u64(),
            closed["advanced"]["announced"].as_u64()
        ),
        (Some(1), Some(1)),
        "{closed}"
    );
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let announced = &sepa["months"][0];
    assert_eq!(announced["status"], "notified", "{sepa}");
    // (14.50 + 6.90 + 40.00 + 6.90) × 1.2 = 81.96, both purchases in one debit.
    assert_eq!(
        (announced["total"].as_str(), announced["purchases"].as_u64()),
        (Some("81.96"), Some(2))
    );
    let collection_on = announced["collection_on"].as_str().unwrap().to_string();
    let emails = integration::journey::emailed(&shop, "Prélèvement SEPA du", 1).await;
    let notice = emails
        .iter()
        .find(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("Prélèvement SEPA du")
        })
        .unwrap();
    let text = notice["text"].as_str().unwrap();
    assert!(
        text.contains("81,96") && text.contains("ORD-23001") && text.contains("ORD-23002"),
        "{text}"
    );
    assert!(
        text.contains("Référence unique de mandat") && text.contains("Identifiant créancier SEPA"),
        "{text}"
    );
    // The month's summary invoice: one for both orders, dated the month's last day, its
    // Factur-X PDF attached, each order listing it.
    let emails = integration::journey::emailed(&shop, "Votre facture F-", 1).await;
    let invoice = emails
        .iter()
        .find(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("Votre facture F-")
        })
        .unwrap();
    let subject = invoice["subject"].as_str().unwrap();
    assert!(
        subject.ends_with(&format!("relevé du mois {month}")),
        "{subject}"
    );
    let number = subject.split_whitespace().nth(2).unwrap().to_string();
    let text = invoice["text"].as_str().unwrap();
    assert!(
        text.contains("ORD-23001, ORD-23002") && text.contains("81,96"),
        "{text}"
    );
    assert_eq!(
        invoice["attachments"][0]["file_name"],
        format!("{number}.pdf")
    );
    for reference in ["ORD-23001", "ORD-23002"] {
        let token = shop.token(reference, "83000").await;
        let listed = shop
            .get(&format!("/v1/orders/{reference}/documents"), &token)
            .await;
        assert_eq!(
            listed["documents"][0]["number"],
            number.as_str(),
            "{listed}"
        );
        assert_eq!(listed["documents"].as_array().unwrap().len(), 1, "{listed}");
    }

    // Fired twice: nothing moves, nothing is announced twice.
    let again = close_month(&shop, &month, &first).await;
    assert_eq!(again["advanced"]["unchanged"], 1, "{again}");
    // The collection date: one debit for the month, the sandbox says succeeded.
    let due = close_month(&shop, &month, &collection_on).await;
    assert!(
        due["advanced"]["submitted"] == 1 || due["advanced"]["settled"] == 1,
        "{due}"
    );
    let twice = close_month(&shop, &month, &collection_on).await;
    assert_eq!(twice["failed"], 0, "{twice}");
    month_reaches(&shop, &session, "paid").await;
    if provider == "mangopay" {
        hooks_forged_or_repeated_change_nothing(&shop, &session).await;
    }
    for reference in ["ORD-23001", "ORD-23002"] {
        let token = shop.token(reference, "83000").await;
        assert_eq!(
            shop.get(&format!("/v1/orders/{reference}"), &token).await["status"],
            "captured"
        );
    }
    let debits = integration::sepa::debits_at_psp(&shop, provider).await;
    assert_eq!(debits, vec![8196], "one debit for the month, in cents");
    // Collected: the orders are captured, and billed by the summary alone.
    // (Their invoice events are handled within a second on the devserver.)
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let emails = shop.emails().await;
    assert_eq!(
        integration::journey::count(&emails, "Votre facture F-"),
        1,
        "no invoice of their own: {emails:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_debit_leaves_the_month_unpaid_and_suspends_sepa_on_stripe() {
    refused_debit(&shop_on("stripe").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_debit_leaves_the_month_unpaid_and_suspends_sepa_on_mangopay() {
    refused_debit(&shop_on("mangopay").await).await;
}

async fn refused_debit(shop: &Shop) {
    let shop = shop.clone();
    // The test IBAN for insufficient funds (Stripe's, which the sandbox's MangoPay dialect
    // reads the same way).
    let (session, month) = month_of_two_purchases(&shop, "DE65370400440002222227").await;
    let first = first_of_next(&month);
    close_month(&shop, &month, &first).await;
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let collection_on = sepa["months"][0]["collection_on"]
        .as_str()
        .unwrap()
        .to_string();
    close_month(&shop, &month, &collection_on).await;
    let sepa = month_reaches(&shop, &session, "returned").await;
    assert_eq!(sepa["state"], "suspended", "{sepa}");
    assert_eq!(sepa["suspension_reason"], "returned_debit");
    assert_eq!(sepa["months"][0]["failure_code"], "insufficient_funds");
    for reference in ["ORD-23001", "ORD-23002"] {
        let token = shop.token(reference, "83000").await;
        assert_eq!(
            shop.get(&format!("/v1/orders/{reference}"), &token).await["status"],
            "awaiting_payment",
            "{reference} owes again"
        );
    }
    integration::journey::emailed(&shop, "Prélèvement SEPA impayé", 1).await;
    // Suspended: SEPA is refused until the seller reinstates it.
    let token = quote(&shop, "ORD-23003", "5.00").await;
    let (status, refused) = shop.start("ORD-23003", &token, "k", &by_sepa(&shop)).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["type"],
        "https://encaisse.dev/problems/sepa-suspended"
    );

    // The seller sees the month and the suspension, reinstates SEPA with a new cap.
    let path = format!(
        "{}/v1/admin/customers/{}/sepa",
        shop.base,
        encaisse::domain::customer_id(JEANNE)
    );
    let seen: Value = shop
        .http
        .get(&path)
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (seen["state"].as_str(), seen["suspension_reason"].as_str()),
        (Some("suspended"), Some("returned_debit")),
        "{seen}"
    );
    assert_eq!(seen["months"][0]["status"], "returned");
    assert_eq!(
        seen["months"][0]["orders"],
        json!(["ORD-23001", "ORD-23002"])
    );
    let unsigned = shop
        .http
        .patch(&path)
        .json(&json!({"state": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401, "the back office only");
    let bad = shop
        .http
        .patch(&path)
        .bearer_auth("admin")
        .json(&json!({"cap": "-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    for too_precise in ["400.001", "1000000.01"] {
        let bad = shop
            .http
            .patch(&path)
            .bearer_auth("admin")
            .json(&json!({ "cap": too_precise }))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 422, "{too_precise}");
    }
    let reply = shop
        .http
        .patch(&path)
        .bearer_auth("admin")
        // Trailing zeros are not decimals (openapi.yaml's pattern): 400.000 is 400.00.
        .json(&json!({"state": "active", "cap": "400.000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    let changed: Value = reply.json().await.unwrap();
    assert_eq!(
        (changed["state"].as_str(), changed["cap"].as_str()),
        (Some("active"), Some("400.00")),
        "{changed}"
    );
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(
        (sepa["state"].as_str(), sepa["cap"].as_str()),
        (Some("active"), Some("400.00")),
        "{sepa}"
    );

    // The month's overview: one returned debit of 81.96.
    let overview = month_overview(&shop, &month, "").await;
    assert_eq!(
        (overview["count"].as_u64(), overview["total"].as_str()),
        (Some(1), Some("81.96")),
        "{overview}"
    );
    assert_eq!(status_share(&overview, "returned"), (1, "81.96".into()));
    // The customer paid by bank transfer: the seller records it, for the month's total only.
    settles_the_month_by_transfer(&shop, &month, "81.96").await;
    for reference in ["ORD-23001", "ORD-23002"] {
        let token = shop.token(reference, "83000").await;
        let order = shop.get(&format!("/v1/orders/{reference}"), &token).await;
        assert_eq!(
            (order["status"].as_str(), order["amount_due"].as_str()),
            (Some("captured"), Some("0.00")),
            "{reference} paid by the transfer: {order}"
        );
    }
    // Paid another way, still billed by the month's summary alone: no second invoice.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let emails = shop.emails().await;
    assert_eq!(
        integration::journey::count(&emails, "Votre facture F-"),
        1,
        "{emails:?}"
    );
    let overview = month_overview(&shop, &month, "?status=settled_otherwise").await;
    assert_eq!(status_share(&overview, "returned"), (0, "0.00".into()));
    assert_eq!(
        status_share(&overview, "settled_otherwise"),
        (1, "81.96".into())
    );
    assert_eq!(
        overview["debits"][0]["settlement"]["method"],
        "bank_transfer"
    );
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(sepa["months"][0]["status"], "settled_otherwise", "{sepa}");
}

/// MangoPay's hooks are signed by nothing: a forged `PAYIN_NORMAL_FAILED` about the month's
/// succeeded debit, and its `PAYIN_NORMAL_SUCCEEDED` again, are re-fetched and change nothing.
async fn hooks_forged_or_repeated_change_nothing(shop: &Shop, session: &str) {
    let hooks: Value = shop
        .http
        .get(format!("{}/sandbox-psp/mangopay/_hooks", shop.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let succeeded = hooks["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["EventType"] == "PAYIN_NORMAL_SUCCEEDED")
        .expect("the debit's hook")
        .clone();
    let payin = succeeded["RessourceId"].as_str().unwrap();
    for (event, date) in [
        ("PAYIN_NORMAL_FAILED", 1_700_000_000),
        (
            "PAYIN_NORMAL_SUCCEEDED",
            succeeded["Date"].as_i64().unwrap(),
        ),
        ("PAYIN_NORMAL_CREATED", 1),
    ] {
        let reply = shop
            .http
            .get(format!(
                "{}/v1/webhooks/mangopay?EventType={event}&RessourceId={payin}&Date={date}",
                shop.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 200, "{event}");
    }
    let (_, sepa) = me(shop, session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(sepa["months"][0]["status"], "paid", "{sepa}");
    assert_eq!(sepa["state"], "active", "{sepa}");
}

/// `GET /v1/admin/sepa/months/{month}{query}` as the seller.
async fn month_overview(shop: &Shop, month: &str, query: &str) -> Value {
    let reply = shop
        .http
        .get(format!("{}/v1/admin/sepa/months/{month}{query}", shop.base))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    reply.json().await.unwrap()
}

/// A status's count and total in a month's overview.
fn status_share(overview: &Value, status: &str) -> (u64, String) {
    let share = overview["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == status)
        .unwrap_or_else(|| panic!("{status} in {overview}"));
    (
        share["count"].as_u64().unwrap(),
        share["total"].as_str().unwrap().to_string(),
    )
}

/// The seller records a bank transfer of `total` for Jeanne's `month`: refused for another
/// amount or an unknown method, recorded once, repeated harmlessly, never replaced.
async fn settles_the_month_by_transfer(shop: &Shop, month: &str, total: &str) {
    let path = format!(
        "{}/v1/admin/customers/{}/sepa/months/{month}/settlement",
        shop.base,
        encaisse::domain::customer_id(JEANNE)
    );
    let post = |body: Value| {
        let request = shop.http.post(&path).bearer_auth("admin").json(&body);
        async move {
            let reply = request.send().await.unwrap();
            let status = reply.status().as_u16();
            (status, reply.json::<Value>().await.unwrap())
        }
    };
    let transfer =
        json!({"method": "bank_transfer", "reference": "VIR 2026-0042", "amount": total});
    for (bad, field) in [
        (
            json!({"method": "bank_transfer", "reference": "VIR 2026-0042", "amount": "1.00"}),
            "amount",
        ),
        (
            json!({"method": "cash", "reference": "VIR 2026-0042", "amount": total}),
            "method",
        ),
        (
            json!({"method": "cheque", "reference": " ", "amount": total}),
            "reference",
        ),
    ] {
        let (status, problem) = post(bad).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{problem}"
        );
    }
    let (status, settled) = post(transfer.clone()).await;
    assert_eq!(status, 200, "{settled}");
    assert_eq!(
        (
            settled["status"].as_str(),
            settled["settlement"]["reference"].as_str()
        ),
        (Some("settled_otherwise"), Some("VIR 2026-0042")),
        "{settled}"
    );
    let (status, again) = post(transfer).await;
    assert_eq!(
        (status, &again),
        (200, &settled),
        "the same record, repeated"
    );
    let (status, other) =
        post(json!({"method": "cheque", "reference": "CHQ 1", "amount": total})).await;
    assert_eq!(status, 409, "{other}");
    assert_eq!(
        other["type"],
        "https://encaisse.dev/problems/sepa-month-not-settleable"
    );
}

/// A debit that succeeded comes back weeks later (an R-transaction, which Stripe reports as a
/// dispute on the charge): through our webhook the month becomes disputed, SEPA is suspended,
/// the customer and the seller are told, and the seller can record that the customer paid it
/// another way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debit_returned_after_success_disputes_the_month_on_stripe() {
    debit_returned_after_success(&shop_on("stripe").await, "stripe").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debit_returned_after_success_disputes_the_month_on_mangopay() {
    debit_returned_after_success(&shop_on("mangopay").await, "mangopay").await;
}

/// Six weeks after it succeeded, the debtor's bank takes the month's debit back (an
/// R-transaction: Stripe reports it as a dispute on the charge, MangoPay as a non-contestable
/// dispute on the pay-in); the reason, in Stripe's words (MangoPay's `AUTHORISATION_DISPUTED`
/// reads the same).
async fn bank_takes_the_debit_back(shop: &Shop, provider: &str) -> &'static str {
    if provider == "mangopay" {
        let payin = integration::sepa::mangopay_hook_resource(shop, "PAYIN_NORMAL_SUCCEEDED").await;
        let reply = shop
            .http
            .post(format!(
                "{}/sandbox-psp/mangopay/_dispute_payin/{payin}",
                shop.base
            ))
            .json(&json!({"DisputeReasonType": "AUTHORISATION_DISPUTED"}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 200, "{:?}", reply.text().await);
        return "debit_not_authorized";
    }
    let debit = shop
        .sandbox_events()
        .await
        .into_iter()
        .find(|e| e["type"] == "payment_intent.succeeded")
        .expect("the debit succeeded");
    let intent = debit["data"]["object"]["id"].as_str().unwrap().to_string();
    let reply = shop
        .http
        .post(format!("{}/sandbox-psp/_sepa/{intent}/return", shop.base))
        .json(&json!({"reason": "debit_not_authorized"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200, "{:?}", reply.text().await);
    "debit_not_authorized"
}

async fn debit_returned_after_success(shop: &Shop, provider: &str) {
    let shop = shop.clone();
    let (session, month) = month_of_two_purchases(&shop, "DE89370400440532013000").await;
    close_month(&shop, &month, &first_of_next(&month)).await;
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let collection_on = sepa["months"][0]["collection_on"]
        .as_str()
        .unwrap()
        .to_string();
    close_month(&shop, &month, &collection_on).await;
    month_reaches(&shop, &session, "paid").await;
    let reason = bank_takes_the_debit_back(&shop, provider).await;
    let sepa = month_reaches(&shop, &session, "disputed").await;
    assert_eq!(
        (
            sepa["state"].as_str(),
            sepa["suspension_reason"].as_str(),
            sepa["months"][0]["failure_code"].as_str()
        ),
        (Some("suspended"), Some("returned_debit"), Some(reason)),
        "{sepa}"
    );
    integration::journey::emailed(&shop, "Prélèvement SEPA impayé", 1).await;
    for reference in ["ORD-23001", "ORD-23002"] {
        let token = shop.token(reference, "83000").await;
        let order = shop.get(&format!("/v1/orders/{reference}"), &token).await;
        assert_eq!(order["status"], "disputed", "{reference}: {order}");
    }
    let overview = month_overview(&shop, &month, "?status=disputed").await;
    assert_eq!(status_share(&overview, "disputed"), (1, "81.96".into()));
    assert_eq!(
        overview["debits"][0]["customer_id"],
        encaisse::domain::customer_id(JEANNE)
    );

    settles_the_month_by_transfer(&shop, &month, "81.96").await;
    let overview = month_overview(&shop, &month, "").await;
    assert_eq!(
        status_share(&overview, "settled_otherwise"),
        (1, "81.96".into())
    );
    // The money is back: the orders no longer show the dispute.
    for reference in ["ORD-23001", "ORD-23002"] {
        let token = shop.token(reference, "83000").await;
        let order = shop.get(&format!("/v1/orders/{reference}"), &token).await;
        assert_eq!(order["status"], "captured", "{reference}: {order}");
    }
}
