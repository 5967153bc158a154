//! Card chargebacks on MangoPay over real HTTP: the sandbox's MangoPay dialect disputes a
//! captured pay-in (as the shopper's bank would) and calls our hook URL with `DISPUTE_*`; the
//! dispute is read from MangoPay (never from the hook), recorded on the payment, the order shows
//! it and what is withheld, the seller is emailed, a refund is refused meanwhile, and the
//! outcome follows. A forged dispute hook changes nothing.

use integration::journey::{count, emailed, ship};
use integration::mangopay::{call_hook, hooks, start_card, submit, tokenise, FRICTIONLESS_CARD};
use integration::shop::{shop_with_cards_on, Shop};
use serde_json::{json, Value};

/// ORD-10042 paid with a frictionless card and shipped whole: its token and the capture's
/// pay-in.
async fn paid_and_shipped(shop: &Shop) -> (String, String) {
    let (token, payment, form) = start_card(
        shop,
        "ORD-10042",
        "83000",
        "jeanne.martin@example.fr",
        "mgp-dispute-1",
    )
    .await;
    let data = tokenise(shop, &form, FRICTIONLESS_CARD, "123").await;
    let (status, submitted) = submit(shop, "ORD-10042", &payment, &token, &data).await;
    assert_eq!(status, 200, "{submitted}");
    let (status, shipped) = ship(shop, "ORD-10042", json!({"shipment_id": "parcel-1"})).await;
    assert_eq!(status, 202, "{shipped}");
    shop.payment_reaches("ORD-10042", &payment, &token, "captured")
        .await;
    let payin = hooks(shop)
        .await
        .into_iter()
        .find(|h| h["EventType"] == "PAYIN_NORMAL_SUCCEEDED")
        .expect("the capture's pay-in")["RessourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    (token, payin)
}

async fn dispute_reaches(shop: &Shop, token: &str, status: &str) -> Value {
    for _ in 0..100 {
        let order = shop.get("/v1/orders/ORD-10042", token).await;
        if order["payments"][0]["dispute"]["status"] == status {
            return order;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "dispute never became {status}: {}",
        shop.get("/v1/orders/ORD-10042", token).await
    );
}

async fn sandbox(shop: &Shop, path: &str, body: Value) -> Value {
    let reply = shop
        .http
        .post(format!("{}/sandbox-psp/mangopay/{path}", shop.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200, "{path}");
    reply.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chargeback_on_mangopay_is_recorded_withheld_and_followed_until_won() {
    let shop = shop_with_cards_on("mangopay").await;
    let (token, payin) = paid_and_shipped(&shop).await;

    // A hook forged before any dispute exists: MangoPay knows no such dispute, nothing moves.
    let now = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let (status, _) = call_hook(
        &shop,
        "DISPUTE_CREATED",
        "dispute_m_01FORGED00000000000000",
        &now,
    )
    .await;
    assert_eq!(status, 200);
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["status"], "captured", "{order}");

    let dispute = sandbox(
        &shop,
        &format!("_dispute_payin/{payin}"),
        json!({"DisputeType": "CONTESTABLE", "DisputeReasonType": "FRAUD"}),
    )
    .await;
    let order = dispute_reaches(&shop, &token, "needs_response").await;
    assert_eq!(order["status"], "disputed", "{order}");
    assert_eq!(order["amounts"]["disputed"], "2922.00");
    assert_eq!(
        order["amount_due"], "0.00",
        "a chargeback is not a new debt"
    );
    let recorded = &order["payments"][0]["dispute"];
    assert_eq!(
        (
            recorded["kind"].as_str(),
            recorded["reason"].as_str(),
            recorded["withdrawn"].as_str()
        ),
        (Some("chargeback"), Some("fraudulent"), Some("2922.00"))
    );
    assert!(recorded["respond_by"].is_string(), "{recorded}");
    let all = emailed(&shop, "Litige ouvert", 1).await;
    let text = all
        .iter()
        .find(|e| e["subject"].as_str().unwrap().starts_with("Litige ouvert"))
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("paiement frauduleux"), "{text}");
    assert!(
        !text.contains("dispute_m_") && !text.contains("preauth_m_"),
        "no PSP ids: {text}"
    );

    // The bank holds the money: no refund meanwhile.
    let (status, problem) = shop
        .admin_post(
            "/v1/admin/orders/ORD-10042/refunds",
            Some("mgp-refund-disputed"),
            &json!({"amount": "100.00"}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");

    // Every hook about it again, and out of order: the same dispute, read from MangoPay.
    let id = dispute["Id"].as_str().unwrap();
    for event in ["DISPUTE_CREATED", "DISPUTE_CLOSED", "DISPUTE_CREATED"] {
        let (status, _) = call_hook(&shop, event, id, &now).await;
        assert_eq!(status, 200);
    }
    let order = dispute_reaches(&shop, &token, "needs_response").await;
    assert_eq!(order["status"], "disputed");

    // Won: the money and the status back, the seller told once.
    sandbox(
        &shop,
        &format!("_close_dispute/{id}"),
        json!({"ResultCode": "WON"}),
    )
    .await;
    let order = dispute_reaches(&shop, &token, "won").await;
    assert_eq!(order["status"], "captured", "{order}");
    assert_eq!(order["amounts"]["disputed"], "0.00");
    let all = emailed(&shop, "Litige gagné", 1).await;
    assert_eq!(count(&all, "Litige ouvert"), 1, "opened once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_contestable_chargeback_on_mangopay_is_lost_at_once() {
    let shop = shop_with_cards_on("mangopay").await;
    let (token, payin) = paid_and_shipped(&shop).await;
    sandbox(
        &shop,
        &format!("_dispute_payin/{payin}"),
        json!({"DisputeType": "NOT_CONTESTABLE", "DisputeReasonType": "TRANSACTION_NOT_RECOGNIZED"}),
    )
    .await;
    let order = dispute_reaches(&shop, &token, "lost").await;
    assert_eq!(order["status"], "disputed", "{order}");
    assert_eq!(order["payments"][0]["dispute"]["reason"], "unrecognized");
    assert_eq!(order["amounts"]["disputed"], "2922.00");
    emailed(&shop, "Litige perdu", 1).await;
}
