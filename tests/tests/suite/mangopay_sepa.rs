//! SEPA mandates on MangoPay over real HTTP (the devserver app on moto, the sandbox's MangoPay
//! dialect): the IBAN given in our request passes through to a MangoPay bank account (never
//! kept, never echoed), the shopper confirms the mandate on MangoPay's page, the account shows
//! it with its last four digits and reference, bad bank details are 422s naming the field with
//! nothing written, and revoking cancels the mandate at MangoPay. (The SEPA month itself runs
//! on both providers in `sepa_debit`.)

use integration::account::signed_in;
use integration::sepa::{add_mandate, me, JEANNE};
use integration::shop::shop_with_cards_on;
use serde_json::json;

const IBAN: &str = "DE89370400440532013000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mandate_is_set_up_on_a_bank_account_and_confirmed_on_mangopays_page() {
    let shop = shop_with_cards_on("mangopay").await;
    let session = signed_in(&shop, JEANNE).await;
    let (status, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(status, 200, "{sepa}");
    assert_eq!(sepa["mandate_setup"], "bank_details");

    let id = add_mandate(&shop, &session, IBAN).await;
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
    assert_eq!(
        mandate["status"], "active",
        "SUBMITTED at MangoPay: {mandate}"
    );
    assert_eq!(
        (
            mandate["iban_last4"].as_str(),
            mandate["bank_country"].as_str()
        ),
        (Some("3000"), Some("DE"))
    );
    assert!(
        mandate["reference"].as_str().is_some_and(|r| !r.is_empty()),
        "MangoPay's BankReference: {mandate}"
    );
    let stored = shop
        .store
        .load_sepa(&encaisse::domain::customer_id(JEANNE))
        .await
        .unwrap();
    let kept = format!("{:?}", stored.mandates);
    assert!(
        !kept.contains(IBAN) && !kept.contains("370400440532"),
        "the IBAN is never kept: {kept}"
    );

    // Revoked: cancelled at MangoPay (FAILED, 001806), inactive here.
    let (status, revoked) = me(
        &shop,
        &session,
        reqwest::Method::DELETE,
        &format!("/v1/me/mandates/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "inactive");
    let hooks: serde_json::Value = shop
        .http
        .get(format!("{}/sandbox-psp/mangopay/_hooks", shop.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = hooks["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["EventType"].as_str())
        .filter(|k| k.starts_with("MANDATE_"))
        .collect();
    assert_eq!(
        kinds,
        ["MANDATE_CREATED", "MANDATE_SUBMITTED", "MANDATE_FAILED"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bank_details_name_their_field_and_write_nothing() {
    let shop = shop_with_cards_on("mangopay").await;
    let session = signed_in(&shop, JEANNE).await;
    let return_url = format!("{}/account", shop.base);
    let cases = [
        (json!({"return_url": return_url}), 422, "bank_account"),
        (
            json!({"return_url": return_url, "bank_account": {"iban": "DE89370400440532013001"}}),
            422,
            "bank_account.iban",
        ),
        (
            // A valid IBAN outside the SEPA area.
            json!({"return_url": return_url, "bank_account": {"iban": "TR330006100519786457841326"}}),
            422,
            "bank_account.iban",
        ),
        (
            // With our parameters, longer than MangoPay's 220-character ReturnURL.
            json!({"return_url": format!("{return_url}?{}", "x".repeat(200)),
                   "bank_account": {"iban": IBAN, "holder_name": "Jeanne Martin",
                                    "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000",
                                                "city": "Toulon", "country": "FR"}}}),
            422,
            "return_url",
        ),
        (
            // MangoPay takes no mandate on a Danish IBAN.
            json!({"return_url": return_url, "bank_account": {"iban": "DK5000400440116243"}}),
            422,
            "bank_account.iban",
        ),
        (
            // Jeanne has no billing details on file yet: the holder must be given.
            json!({"return_url": return_url, "bank_account": {"iban": IBAN}}),
            422,
            "bank_account.holder_name",
        ),
        (
            json!({"return_url": return_url, "bank_account": {"iban": IBAN, "holder_name": "Jeanne Martin",
                   "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000", "city": "", "country": "FR"}}}),
            422,
            "bank_account.address.city",
        ),
        (
            // A field we do not take: 400 `unknown-field`.
            json!({"return_url": return_url, "bank_account": {"iban": IBAN, "bic": "COBADEFFXXX"}}),
            400,
            "bank_account.bic",
        ),
    ];
    for (body, expected, field) in cases {
        let (status, problem) = me(
            &shop,
            &session,
            reqwest::Method::POST,
            "/v1/me/mandates",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {problem}");
        assert!(
            problem["field"]
                .as_str()
                .is_some_and(|f| f.starts_with(field)),
            "{body}: {problem}"
        );
        assert!(!problem.to_string().contains("370400440532"), "{problem}");
    }
    let (_, list) = me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    assert_eq!(list["mandates"], json!([]), "nothing written");
    let calls: serde_json::Value = shop
        .http
        .get(format!("{}/sandbox-psp/_calls", shop.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !calls["recent"].to_string().contains("mangopay"),
        "nothing asked of MangoPay: {calls}"
    );
}

/// Confirmed on MangoPay's page but not yet seen by us (the account never listed it since):
/// revoking asks MangoPay first and cancels the mandate there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_mandate_confirmed_meanwhile_cancels_it_at_mangopay() {
    // No hooks delivered: only the revocation's own read can learn of the confirmation.
    let shop = integration::shop::shop_with_cards_on_without_hooks("mangopay").await;
    let session = signed_in(&shop, JEANNE).await;
    let (status, added) = me(
        &shop,
        &session,
        reqwest::Method::POST,
        "/v1/me/mandates",
        Some(json!({"return_url": format!("{}/account", shop.base),
                    "bank_account": {"iban": IBAN, "holder_name": "Jeanne Martin",
                                     "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000",
                                                 "city": "Toulon", "country": "FR"}}})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let page = shop.absolute(added["url"].as_str().unwrap());
    let reply = shop
        .http
        .post(&page)
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 303);
    let id = added["mandate"]["id"].as_str().unwrap();
    let (status, revoked) = me(
        &shop,
        &session,
        reqwest::Method::DELETE,
        &format!("/v1/me/mandates/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "inactive");
    assert_eq!(revoked["iban_last4"], "3000", "read from MangoPay first");
    let hooks: serde_json::Value = shop
        .http
        .get(format!("{}/sandbox-psp/mangopay/_hooks", shop.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        hooks["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["EventType"] == "MANDATE_FAILED"),
        "cancelled at MangoPay: {hooks}"
    );
}

/// Cards on Stripe, SEPA on MangoPay (`SEPA_PROVIDER=mangopay`): the mandate is set up on
/// MangoPay, the card still goes to Stripe's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sepa_can_go_to_mangopay_while_cards_stay_on_stripe() {
    let shop = integration::shop::shop_with_providers("stripe", "mangopay", true).await;
    let session = signed_in(&shop, JEANNE).await;
    add_mandate(&shop, &session, IBAN).await;
    let (_, list) = me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    assert_eq!(list["mandates"][0]["status"], "active", "{list}");
    let stored = shop
        .store
        .load_sepa(&encaisse::domain::customer_id(JEANNE))
        .await
        .unwrap();
    assert_eq!(stored.mandates[0].value.provider, "mangopay");
    let token = integration::sepa::quote(&shop, "ORD-24001", "14.50").await;
    let (status, started) = shop
        .start(
            "ORD-24001",
            &token,
            "card-1",
            &integration::shop::first_order_body(&shop.base),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["payment"]["provider"], "stripe", "{started}");
}

/// MangoPay's hooks never arrive: the daily run finds the submitted month's debit settled at
/// MangoPay and records it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitted_month_is_read_again_when_no_hook_comes() {
    use integration::sepa::{by_sepa, close_month, first_of_next, quote};
    let shop = integration::shop::shop_with_cards_on_without_hooks("mangopay").await;
    let session = signed_in(&shop, JEANNE).await;
    add_mandate(&shop, &session, IBAN).await;
    let token = quote(&shop, "ORD-24002", "14.50").await;
    let (status, started) = shop
        .start("ORD-24002", &token, "sepa-1", &by_sepa(&shop))
        .await;
    assert_eq!(status, 201, "{started}");
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let month = sepa["month"].as_str().unwrap().to_string();
    close_month(&shop, &month, &first_of_next(&month)).await;
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let collection_on = sepa["months"][0]["collection_on"]
        .as_str()
        .unwrap()
        .to_string();
    let submitted = close_month(&shop, &month, &collection_on).await;
    assert_eq!(submitted["advanced"]["submitted"], 1, "{submitted}");
    let mut last = json!(null);
    for _ in 0..50 {
        last = close_month(&shop, &month, &collection_on).await;
        if last["advanced"]["settled"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(last["advanced"]["settled"], 1, "{last}");
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    assert_eq!(sepa["months"][0]["status"], "paid", "{sepa}");
    assert_eq!(
        shop.get("/v1/orders/ORD-24002", &token).await["status"],
        "captured"
    );
}

/// Revoked here while still unconfirmed, then confirmed on MangoPay's page (another tab): the
/// `MANDATE_SUBMITTED` hook has it cancelled at MangoPay too; ours stays inactive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_mandate_confirmed_afterwards_is_cancelled_at_mangopay() {
    let shop = shop_with_cards_on("mangopay").await;
    let session = signed_in(&shop, JEANNE).await;
    let (status, added) = me(
        &shop,
        &session,
        reqwest::Method::POST,
        "/v1/me/mandates",
        Some(json!({"return_url": format!("{}/account", shop.base),
                    "bank_account": {"iban": IBAN, "holder_name": "Jeanne Martin",
                                     "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000",
                                                 "city": "Toulon", "country": "FR"}}})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let id = added["mandate"]["id"].as_str().unwrap();
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
        (200, Some("inactive"))
    );
    let page = shop.absolute(added["url"].as_str().unwrap());
    let reply = shop
        .http
        .post(&page)
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 303);
    let mut kinds = Vec::new();
    for _ in 0..100 {
        let hooks: serde_json::Value = shop
            .http
            .get(format!("{}/sandbox-psp/mangopay/_hooks", shop.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        kinds = hooks["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| h["EventType"].as_str().map(str::to_owned))
            .filter(|k| k.starts_with("MANDATE_"))
            .collect();
        if kinds.iter().any(|k| k == "MANDATE_FAILED") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        kinds,
        ["MANDATE_CREATED", "MANDATE_SUBMITTED", "MANDATE_FAILED"],
        "cancelled at MangoPay once confirmed"
    );
    let (_, list) = me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    assert_eq!(list["mandates"][0]["status"], "inactive", "{list}");
}

/// MangoPay API calls per SEPA step, counted at the sandbox (`/_calls`; OAuth tokens are not
/// API calls): adding a mandate (the user, the bank account, the mandate), listing it once
/// confirmed (the mandate, its bank account), a purchase (none), the month's debit (one
/// pay-in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mangopay_calls_per_sepa_step() {
    use integration::sepa::{by_sepa, close_month, first_of_next, quote};
    let shop = integration::shop::shop_with_cards_on_without_hooks("mangopay").await;
    let session = signed_in(&shop, JEANNE).await;
    let calls = || async {
        let listed: serde_json::Value = shop
            .http
            .get(format!("{}/sandbox-psp/_calls", shop.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["recent"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .filter(|c| c.contains("mangopay"))
            .collect::<Vec<_>>()
    };
    let before = calls().await.len();
    let (status, added) = me(
        &shop,
        &session,
        reqwest::Method::POST,
        "/v1/me/mandates",
        Some(json!({"return_url": format!("{}/account", shop.base),
                    "bank_account": {"iban": IBAN, "holder_name": "Jeanne Martin",
                                     "address": {"line1": "9 rue d'Antrechaus", "postcode": "83000",
                                                 "city": "Toulon", "country": "FR"}}})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let adding = calls().await[before..].to_vec();
    assert_eq!(adding.len(), 3, "user, bank account, mandate: {adding:?}");
    let page = shop.absolute(added["url"].as_str().unwrap());
    shop.http
        .post(&page)
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    let before = calls().await.len();
    me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    let listing = calls().await[before..].to_vec();
    assert_eq!(
        listing.len(),
        2,
        "the mandate, its bank account: {listing:?}"
    );
    let before = calls().await.len();
    me(
        &shop,
        &session,
        reqwest::Method::GET,
        "/v1/me/mandates",
        None,
    )
    .await;
    assert_eq!(
        calls().await.len(),
        before,
        "an active mandate is not asked again"
    );

    let token = quote(&shop, "ORD-24003", "14.50").await;
    let before = calls().await.len();
    let (status, _) = shop
        .start("ORD-24003", &token, "sepa-1", &by_sepa(&shop))
        .await;
    assert_eq!(status, 201);
    assert_eq!(calls().await.len(), before, "a SEPA purchase asks no PSP");
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let month = sepa["month"].as_str().unwrap().to_string();
    close_month(&shop, &month, &first_of_next(&month)).await;
    let (_, sepa) = me(&shop, &session, reqwest::Method::GET, "/v1/me/sepa", None).await;
    let collection_on = sepa["months"][0]["collection_on"]
        .as_str()
        .unwrap()
        .to_string();
    let before = calls().await.len();
    close_month(&shop, &month, &collection_on).await;
    let debit = calls().await[before..].to_vec();
    assert_eq!(debit.len(), 1, "one pay-in: {debit:?}");
    assert!(
        debit[0].starts_with("POST mangopay") && debit[0].ends_with("/payins/directdebit/direct"),
        "{debit:?}"
    );
}
