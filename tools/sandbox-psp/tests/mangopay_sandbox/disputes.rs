//! Disputes in the MangoPay dialect, over real HTTP: the bank's loopback controls
//! (`_dispute_payin`, `_close_dispute`), the Dispute and Repudiation objects, submitting,
//! the lists, the hooks, and the deadline lapsing by the sandbox clock.

use super::sepa::{debit, debtor, hooks_of, settle, user, wallet, GOOD_IBAN};
use super::sepa_clock::advance_clock;
use super::*;

/// A succeeded card pay-in (pre-authorised, captured) of `amount` by a new shopper.
async fn card_payin(mp: &Sandbox, amount: i64) -> Value {
    let shopper = user(mp, "Jeanne").await;
    let wallet = wallet(mp, &shopper).await;
    let card = mp.card(&shopper, "4970107111111119").await;
    let (_, preauth) = mp
        .post("/preauthorizations/card/direct", json!({"AuthorId": shopper, "CardId": card,
            "DebitedFunds": {"Currency": "EUR", "Amount": amount}, "SecureModeReturnURL": "https://shop.example/b",
            "IpAddress": "203.0.113.7", "BrowserInfo": browser()}), &key("p"))
        .await;
    let capture = json!({"AuthorId": shopper, "CreditedWalletId": wallet, "PreauthorizationId": preauth["Id"],
        "DebitedFunds": {"Currency": "EUR", "Amount": amount}, "Fees": {"Currency": "EUR", "Amount": 0}});
    let (_, payin) = mp
        .post("/payins/preauthorized/direct", capture, &key("c"))
        .await;
    assert_eq!(payin["Status"], "SUCCEEDED", "{payin}");
    payin
}

/// A succeeded direct-debit pay-in of `amount`.
async fn debit_payin(mp: &Sandbox, amount: i64) -> Value {
    let (user, mandate, wallet) = debtor(mp, GOOD_IBAN).await;
    let (_, payin) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &mandate, amount),
            &key("dd"),
        )
        .await;
    let (_, settled) = settle(mp, &payin).await;
    assert_eq!(settled["Status"], "SUCCEEDED", "{settled}");
    settled
}

/// `POST /_dispute_payin/{id}` with `body`.
async fn dispute(mp: &Sandbox, payin: &Value, body: Value) -> (StatusCode, Value) {
    let id = payin["Id"].as_str().unwrap_or("payin_m_01NOBODY");
    let reply = mp
        .http
        .post(format!("{}/_dispute_payin/{id}", mp.api))
        .json(&body)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.json().await.unwrap())
}

/// `POST /_close_dispute/{id}` with `ResultCode`.
async fn close(mp: &Sandbox, dispute: &Value, result: &str) -> (StatusCode, Value) {
    let id = dispute["Id"].as_str().unwrap();
    let reply = mp
        .http
        .post(format!("{}/_close_dispute/{id}", mp.api))
        .json(&json!({"ResultCode": result}))
        .send()
        .await
        .unwrap();
    (reply.status(), reply.json().await.unwrap())
}

async fn submit(mp: &Sandbox, dispute: &Value, body: Value) -> (StatusCode, Value) {
    let id = dispute["Id"].as_str().unwrap();
    mp.put(&format!("/disputes/{id}/submit"), body).await
}

fn eur(amount: i64) -> Value {
    json!({"Currency": "EUR", "Amount": amount})
}

/// Part of `every_object_has_only_the_fields_mangopay_declares`: disputes and repudiations.
pub async fn dispute_objects_have_only_declared_fields(mp: &Sandbox) {
    let payin = card_payin(mp, 3000).await;
    let (status, opened) = dispute(mp, &payin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    check(&opened, "dispute", &["dispute", "money"]);
    check(&opened["DisputeReason"], "dispute reason", &["dispute"]);
    let (_, submitted) = submit(mp, &opened, json!({"ContestedFunds": eur(3000)})).await;
    check(&submitted, "submitted dispute", &["dispute", "money"]);
    let path = format!(
        "/repudiations/{}",
        opened["RepudiationId"].as_str().unwrap()
    );
    let repudiation = mp.get(&path).await;
    check(
        &repudiation,
        "repudiation",
        &["repudiation", "transaction", "money"],
    );
}

/// The chargeback's Repudiation, as view-repudiation's example shows it.
async fn repudiation_of(mp: &Sandbox, dispute: &Value, payin: &Value) {
    let id = dispute["RepudiationId"].as_str().unwrap();
    assert!(id.starts_with("repud_m_01"), "{id}");
    let repudiation = mp.get(&format!("/repudiations/{id}")).await;
    let at = &repudiation["CreationDate"];
    let funds = &dispute["DisputedFunds"];
    assert_eq!(
        repudiation,
        json!({"Id": id, "Tag": null, "CreationDate": at, "AuthorId": payin["AuthorId"],
            "CreditedUserId": null, "DebitedFunds": funds, "CreditedFunds": funds, "Fees": eur(0),
            "Status": "SUCCEEDED", "ResultCode": "000000", "ResultMessage": "Success",
            "ExecutionDate": at, "Type": "PAYOUT", "Nature": "REPUDIATION",
            "CreditedWalletId": null, "DebitedWalletId": "CREDIT_EUR",
            "InitialTransactionId": payin["Id"], "InitialTransactionType": "PAYIN",
            "InitialTransactionNature": "REGULAR"})
    );
}

#[tokio::test]
async fn a_card_chargeback_is_contested_then_lost() {
    let mp = Sandbox::start(None).await;
    let payin = card_payin(&mp, 5000).await;
    let (status, opened) = dispute(&mp, &payin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    let id = opened["Id"].as_str().unwrap();
    assert!(id.starts_with("dispute_m_01"), "{id}");
    let created = opened["CreationDate"].as_i64().unwrap();
    assert_eq!(
        opened,
        json!({"Id": id, "Tag": null, "CreationDate": created,
            "InitialTransactionId": payin["Id"], "InitialTransactionType": "PAYIN",
            "InitialTransactionNature": "REGULAR", "DisputeType": "CONTESTABLE",
            "ContestDeadlineDate": created + 7 * 24 * 3600, "DisputedFunds": eur(5000),
            "ContestedFunds": null, "Status": "PENDING_CLIENT_ACTION", "StatusMessage": null,
            "DisputeReason": {"DisputeReasonType": "FRAUD", "DisputeReasonMessage": null},
            "ResultCode": "", "ResultMessage": null, "ClosedDate": null,
            "RepudiationId": opened["RepudiationId"]})
    );
    assert_eq!(mp.get(&format!("/disputes/{id}")).await, opened);
    repudiation_of(&mp, &opened, &payin).await;
    // No refund of a disputed pay-in (MangoPay's disputes guide).
    let refund = json!({"AuthorId": payin["AuthorId"]});
    let path = format!("/payins/{}/refunds", payin["Id"].as_str().unwrap());
    let (status, _) = mp.post(&path, refund, &key("refund")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Submitting: ContestedFunds required, at most the disputed funds.
    let (status, bad) = submit(&mp, &opened, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["errors"]["ContestedFunds"], "This field is required");
    let (status, _) = submit(&mp, &opened, json!({"ContestedFunds": eur(5001)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, submitted) = submit(&mp, &opened, json!({"ContestedFunds": eur(4000)})).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    assert_eq!(
        (&submitted["Status"], &submitted["ContestedFunds"]),
        (&json!("SUBMITTED"), &eur(4000))
    );
    let (status, _) = submit(&mp, &opened, json!({"ContestedFunds": eur(4000)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "only once, until reopened");

    let (status, lost) = close(&mp, &opened, "LOST").await;
    assert_eq!(status, StatusCode::OK, "{lost}");
    assert_eq!(
        (&lost["Status"], &lost["ResultCode"]),
        (&json!("CLOSED"), &json!("LOST"))
    );
    assert!(lost["ClosedDate"].is_i64());
    assert_eq!(close(&mp, &opened, "WON").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        hooks_of(&mp, &opened["Id"]).await,
        ["DISPUTE_CREATED", "DISPUTE_SUBMITTED", "DISPUTE_CLOSED"]
    );
    assert_eq!(
        hooks_of(&mp, &opened["RepudiationId"]).await,
        ["PAYIN_REPUDIATION_CREATED", "PAYIN_REPUDIATION_SUCCEEDED"]
    );
    let user = payin["AuthorId"].as_str().unwrap();
    assert_eq!(
        mp.get(&format!("/users/{user}/disputes")).await,
        json!([lost])
    );
    let path = format!("/payins/{}/disputes", payin["Id"].as_str().unwrap());
    assert_eq!(mp.get(&path).await, json!([lost]));
}

#[tokio::test]
async fn a_late_direct_debit_failure_closes_at_once_lost() {
    let mp = Sandbox::start(None).await;
    let payin = debit_payin(&mp, 2500).await;
    // Direct debits' disputes are non-contestable.
    let (status, bad) = dispute(&mp, &payin, json!({"DisputeType": "CONTESTABLE"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["errors"]["DisputeType"].is_string(), "{bad}");
    let (status, opened) = dispute(&mp, &payin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(
        (
            &opened["DisputeType"],
            &opened["Status"],
            &opened["ResultCode"],
            &opened["DisputeReason"]["DisputeReasonType"],
            &opened["ContestDeadlineDate"],
        ),
        (
            &json!("NOT_CONTESTABLE"),
            &json!("CLOSED"),
            &json!("LOST"),
            &json!("LATE_FAILURE_INSUFFICIENT_FUNDS"),
            &Value::Null,
        )
    );
    assert_eq!(opened["ClosedDate"], opened["CreationDate"]);
    assert_eq!(opened["DisputedFunds"], eur(2500));
    repudiation_of(&mp, &opened, &payin).await;
    assert_eq!(
        hooks_of(&mp, &opened["Id"]).await,
        ["DISPUTE_CREATED", "DISPUTE_CLOSED"]
    );
    let (status, _) = submit(&mp, &opened, json!({"ContestedFunds": eur(2500)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "closed: nothing to submit");
    assert_eq!(close(&mp, &opened, "WON").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn other_kinds_reasons_amounts_and_the_lists() {
    let mp = Sandbox::start(None).await;
    let payin = card_payin(&mp, 4000).await;
    let body = json!({"DisputeType": "NOT_CONTESTABLE", "DisputeReasonType": "AUTHORISATION_DISPUTED",
        "DisputeReasonMessage": "Not me", "Amount": 1500});
    let (_, closed) = dispute(&mp, &payin, body).await;
    assert_eq!(
        (
            &closed["Status"],
            &closed["ResultCode"],
            &closed["DisputedFunds"]
        ),
        (&json!("CLOSED"), &json!("LOST"), &eur(1500))
    );
    assert_eq!(closed["DisputeReason"]["DisputeReasonMessage"], "Not me");
    let repudiation = format!(
        "/repudiations/{}",
        closed["RepudiationId"].as_str().unwrap()
    );
    assert_eq!(mp.get(&repudiation).await["DebitedFunds"], eur(1500));

    // A retrieval request withdraws nothing: no repudiation.
    let other = card_payin(&mp, 2000).await;
    let (_, retrieval) = dispute(&mp, &other, json!({"DisputeType": "RETRIEVAL"})).await;
    assert_eq!(
        (&retrieval["Status"], &retrieval["RepudiationId"]),
        (&json!("PENDING_CLIENT_ACTION"), &Value::Null)
    );
    assert!(retrieval["ContestDeadlineDate"].is_i64());
    let (_, won) = close(&mp, &retrieval, "WON").await;
    assert_eq!(
        (&won["Status"], &won["ResultCode"]),
        (&json!("CLOSED"), &json!("WON"))
    );
    assert_eq!(
        hooks_of(&mp, &retrieval["Id"]).await,
        ["DISPUTE_CREATED", "DISPUTE_CLOSED"]
    );

    // Lists: one per pay-in here, filtered and paged.
    let user = other["AuthorId"].as_str().unwrap();
    let list = mp
        .get(&format!(
            "/users/{user}/disputes?per_page=10&Sort=CreationDate:DESC"
        ))
        .await;
    assert_eq!(list, json!([won]));
    let path = format!("/payins/{}/disputes", payin["Id"].as_str().unwrap());
    assert_eq!(
        mp.get(&format!(
            "{path}?Status=CLOSED&DisputeType=NOT_CONTESTABLE,RETRIEVAL"
        ))
        .await,
        json!([closed])
    );
    assert_eq!(
        mp.get(&format!("{path}?Status=PENDING_CLIENT_ACTION"))
            .await,
        json!([])
    );
    assert_eq!(
        mp.get(&format!("{path}?page=2&per_page=1")).await,
        json!([])
    );
    let (status, _) = mp
        .send(mp.http.get(mp.url(&format!("{path}?per_page=101"))))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = mp
        .send(mp.http.get(mp.url("/users/user_m_01NOBODY/disputes")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = mp
        .send(mp.http.get(mp.url("/disputes/dispute_m_01NOBODY")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = mp
        .send(mp.http.get(mp.url("/repudiations/repud_m_01NOBODY")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn disputes_are_refused_where_mangopay_has_none() {
    let mp = Sandbox::start(None).await;
    let payin = card_payin(&mp, 3000).await;
    let (status, bad) = dispute(&mp, &payin, json!({"DisputeType": "LOUD"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["Type"], "param_error");
    let (status, _) = dispute(&mp, &payin, json!({"DisputeReasonType": "BORED"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = dispute(&mp, &payin, json!({"Amount": 3001})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, opened) = dispute(&mp, &payin, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, twice) = dispute(&mp, &payin, json!({})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "one dispute per pay-in: {twice}"
    );
    assert!(twice["Message"].as_str().unwrap().contains("already"));
    let (status, _) = close(&mp, &opened, "MAYBE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = close(&mp, &json!({"Id": "dispute_m_01NOBODY"}), "WON").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = dispute(&mp, &json!({}), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Not succeeded: a debit still CREATED.
    let (user, mandate, wallet) = debtor(&mp, GOOD_IBAN).await;
    let (_, pending) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &mandate, 900),
            &key("dd"),
        )
        .await;
    let (status, bad) = dispute(&mp, &pending, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    // Refunded: MangoPay makes no dispute on it.
    let refunded = card_payin(&mp, 1000).await;
    let path = format!("/payins/{}/refunds", refunded["Id"].as_str().unwrap());
    let (status, _) = mp
        .post(&path, json!({"AuthorId": refunded["AuthorId"]}), &key("r"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        dispute(&mp, &refunded, json!({})).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn an_unanswered_dispute_closes_lost_at_its_deadline() {
    let mp = Sandbox::start(None).await;
    let payin = card_payin(&mp, 1200).await;
    let (_, opened) = dispute(&mp, &payin, json!({})).await;
    advance_clock(&mp, 7 * 24 * 3600 + 1).await;
    let (status, late) = submit(&mp, &opened, json!({"ContestedFunds": eur(1200)})).await;
    assert_eq!(
        (status, late["Type"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("dispute_contest_deadline_passed")
        )
    );
    let lapsed = mp
        .get(&format!("/disputes/{}", opened["Id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (
            &lapsed["Status"],
            &lapsed["ResultCode"],
            &lapsed["ClosedDate"]
        ),
        (
            &json!("CLOSED"),
            &json!("LOST"),
            &opened["ContestDeadlineDate"]
        )
    );
    assert_eq!(
        hooks_of(&mp, &opened["Id"]).await,
        ["DISPUTE_CREATED", "DISPUTE_CLOSED"]
    );
}
