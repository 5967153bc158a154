//! SEPA direct debit in the MangoPay dialect: IBAN bank accounts, mandates and their
//! confirmation page, direct-debit pay-ins settled by the test IBAN, over real HTTP.

use super::*;

pub(super) const GOOD_IBAN: &str = "DE89370400440532013000";

pub(super) async fn user(mp: &Sandbox, first_name: &str) -> String {
    let (status, user) = mp
        .post(
            "/users/natural",
            json!({"FirstName": first_name, "LastName": "Martin", "Email": "j@m.fr"}),
            &key("user"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user["Id"].as_str().unwrap().to_owned()
}

pub(super) async fn wallet(mp: &Sandbox, owner: &str) -> String {
    let (_, wallet) = mp
        .post(
            "/wallets",
            json!({"Owners": [owner], "Currency": "EUR", "Description": "Sales"}),
            &key("wallet"),
        )
        .await;
    wallet["Id"].as_str().unwrap().to_owned()
}

fn address() -> Value {
    json!({"AddressLine1": "1 rue de la Paix", "City": "Paris", "PostalCode": "75002", "Country": "FR"})
}

pub(super) async fn account(mp: &Sandbox, user: &str, iban: &str) -> (StatusCode, Value) {
    let body = json!({"OwnerName": "Jeanne Martin", "OwnerAddress": address(), "IBAN": iban});
    mp.post(
        &format!("/users/{user}/bankaccounts/iban"),
        body,
        &key("iban"),
    )
    .await
}

pub(super) async fn mandate(mp: &Sandbox, account: &Value) -> Value {
    let body = json!({"BankAccountId": account["Id"], "Culture": "FR",
        "ReturnURL": "https://shop.example/sepa?step=2"});
    let (status, mandate) = mp
        .post("/mandates/directdebit/web", body, &key("mandate"))
        .await;
    assert_eq!(status, StatusCode::OK, "{mandate}");
    mandate
}

/// Posts `action` on the mandate's confirmation page: the 303's `Location`.
async fn answer(mp: &Sandbox, mandate: &Value, action: &str) -> String {
    let reply = mp
        .http
        .post(mandate["RedirectURL"].as_str().unwrap())
        .form(&[("action", action)])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    reply.headers()["location"].to_str().unwrap().to_owned()
}

/// A user with a confirmed (`SUBMITTED`) mandate on `iban` and a wallet: (user, mandate, wallet).
pub(super) async fn debtor(mp: &Sandbox, iban: &str) -> (String, Value, String) {
    let user = user(mp, "Jeanne").await;
    let (_, account) = account(mp, &user, iban).await;
    let mandate = mandate(mp, &account).await;
    answer(mp, &mandate, "confirm").await;
    let wallet = wallet(mp, &user).await;
    (user, mandate, wallet)
}

pub(super) fn debit(user: &str, wallet: &str, mandate: &Value, amount: i64) -> Value {
    json!({"AuthorId": user, "CreditedWalletId": wallet, "MandateId": mandate["Id"],
        "DebitedFunds": {"Currency": "EUR", "Amount": amount}, "Fees": {"Currency": "EUR", "Amount": 100},
        "StatementDescriptor": "ORDER 42"})
}

pub(super) async fn settle(mp: &Sandbox, payin: &Value) -> (StatusCode, Value) {
    let url = format!("{}/_settle_payin/{}", mp.api, payin["Id"].as_str().unwrap());
    let reply = mp.http.post(url).send().await.unwrap();
    (reply.status(), reply.json().await.unwrap())
}

/// The hooks about `id`, oldest first.
pub(super) async fn hooks_of(mp: &Sandbox, id: &Value) -> Vec<String> {
    let all: Value = mp
        .http
        .get(format!("{}/_hooks", mp.api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| &h["RessourceId"] == id)
        .map(|h| h["EventType"].as_str().unwrap().to_owned())
        .collect()
}

/// Part of `every_object_has_only_the_fields_mangopay_declares`: the SEPA objects.
pub async fn sepa_objects_have_only_declared_fields(mp: &Sandbox) {
    let (user, mandate, wallet) = debtor(mp, GOOD_IBAN).await;
    let (_, account) = account(mp, &user, GOOD_IBAN).await;
    check(&account, "IBAN bank account", &["bankAccount"]);
    check(
        &account["OwnerAddress"],
        "bank account address",
        &["address"],
    );
    check(&mandate, "mandate (created)", &["mandate"]);
    let mandate = mp
        .get(&format!("/mandates/{}", mandate["Id"].as_str().unwrap()))
        .await;
    check(&mandate, "mandate (submitted)", &["mandate"]);
    let (_, payin) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &mandate, 1200),
            &key("dd"),
        )
        .await;
    check(
        &payin,
        "direct-debit pay-in",
        &["payIn", "transaction", "money"],
    );
    let (_, settled) = settle(mp, &payin).await;
    check(
        &settled,
        "settled direct-debit pay-in",
        &["payIn", "transaction", "money"],
    );
}

#[tokio::test]
async fn bank_accounts_are_checked_and_echo_the_iban() {
    let mp = Sandbox::start(None).await;
    let user = user(&mp, "Jeanne").await;
    let (status, account) = account(&mp, &user, "de89 3704 0044 0532 0130 00").await;
    assert_eq!(status, StatusCode::OK, "{account}");
    assert_eq!(
        (
            account["Type"].as_str(),
            account["IBAN"].as_str(),
            account["Active"].as_bool()
        ),
        (Some("IBAN"), Some(GOOD_IBAN), Some(true))
    );
    assert!(account["Id"].as_str().unwrap().starts_with("bankacc_m_01"));
    let id = account["Id"].as_str().unwrap();
    assert_eq!(
        mp.get(&format!("/users/{user}/bankaccounts/{id}")).await,
        account
    );
    let other = self::user(&mp, "Paul").await;
    let (status, _) = mp
        .send(
            mp.http
                .get(mp.url(&format!("/users/{other}/bankaccounts/{id}"))),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, bad) = self::account(&mp, &user, "DE89370400440532013001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["errors"]["IBAN"].is_string(), "{bad}");
    let mut no_city = address();
    no_city["City"] = Value::Null;
    let body = json!({"OwnerName": "J", "OwnerAddress": no_city, "IBAN": GOOD_IBAN});
    let (status, bad) = mp
        .post(&format!("/users/{user}/bankaccounts/iban"), body, &key("c"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["errors"]["OwnerAddress.City"].is_string(), "{bad}");
    let body = json!({"OwnerAddress": address(), "IBAN": GOOD_IBAN});
    let (status, bad) = mp
        .post(&format!("/users/{user}/bankaccounts/iban"), body, &key("o"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["errors"]["OwnerName"].is_string(), "{bad}");
    let (status, _) = self::account(&mp, "user_m_01NOBODY", GOOD_IBAN).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_mandate_is_confirmed_or_cancelled_on_its_page() {
    let mp = Sandbox::start(None).await;
    let user = user(&mp, "Jeanne").await;
    let (_, account) = account(&mp, &user, GOOD_IBAN).await;
    let created = mandate(&mp, &account).await;
    let id = created["Id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("mdt_m_01"));
    assert_eq!(
        (
            created["Status"].as_str(),
            &created["Scheme"],
            created["ExecutionType"].as_str()
        ),
        (Some("CREATED"), &Value::Null, Some("WEB"))
    );
    let back = format!("https://shop.example/sepa?step=2&MandateId={id}");
    assert_eq!(created["ReturnURL"], back.as_str());
    let page_url = created["RedirectURL"].as_str().unwrap();
    assert!(page_url.starts_with("http://127.0.0.1:") && page_url.ends_with("/confirmation"));
    assert!(created["BankReference"]
        .as_str()
        .unwrap()
        .starts_with("MANGOPAY-"));
    // Refusals: culture, return URL, a Danish account, cancelling an unconfirmed mandate.
    for (body, field) in [
        (
            json!({"BankAccountId": account["Id"], "Culture": "SV", "ReturnURL": "https://a.b/"}),
            "Culture",
        ),
        (
            json!({"BankAccountId": account["Id"], "Culture": "EN", "ReturnURL": format!("https://a.b/{}", "x".repeat(220))}),
            "ReturnURL",
        ),
    ] {
        let (status, bad) = mp
            .post("/mandates/directdebit/web", body, &key("bad"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(bad["errors"][field].is_string(), "{bad}");
    }
    let (_, danish) = self::account(&mp, &user, "DK5000400440116243").await;
    let body = json!({"BankAccountId": danish["Id"], "Culture": "EN", "ReturnURL": "https://a.b/"});
    let (status, _) = mp.post("/mandates/directdebit/web", body, &key("dk")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = mp.put(&format!("/mandates/{id}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let page = mp
        .http
        .get(page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(created["BankReference"].as_str().unwrap()) && page.contains("•••• 3000")
    );
    assert!(page.contains("Jeanne Martin") && !page.contains(GOOD_IBAN));
    assert_eq!(answer(&mp, &created, "confirm").await, back);
    let submitted = mp.get(&format!("/mandates/{id}")).await;
    assert_eq!(
        (submitted["Status"].as_str(), submitted["Scheme"].as_str()),
        (Some("SUBMITTED"), Some("SEPA"))
    );
    // Confirming twice changes nothing; the platform's cancel is 001806.
    assert_eq!(answer(&mp, &created, "cancel").await, back);
    assert_eq!(
        mp.get(&format!("/mandates/{id}")).await["Status"],
        "SUBMITTED"
    );
    let (status, cancelled) = mp.put(&format!("/mandates/{id}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            cancelled["Status"].as_str(),
            cancelled["ResultCode"].as_str()
        ),
        (Some("FAILED"), Some("001806"))
    );
    assert_eq!(
        cancelled["ResultMessage"],
        "The client has cancelled the mandate"
    );
    assert_eq!(
        hooks_of(&mp, &created["Id"]).await,
        ["MANDATE_CREATED", "MANDATE_SUBMITTED", "MANDATE_FAILED"]
    );

    // The user's cancel on the page is 001805.
    let other = mandate(&mp, &account).await;
    answer(&mp, &other, "cancel").await;
    let refused = mp
        .get(&format!("/mandates/{}", other["Id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (refused["Status"].as_str(), refused["ResultCode"].as_str()),
        (Some("FAILED"), Some("001805"))
    );
    assert_eq!(
        refused["ResultMessage"],
        "The user has cancelled the mandate"
    );
}

#[tokio::test]
async fn a_direct_debit_settles_by_its_test_iban() {
    let mp = Sandbox::start(None).await;
    let (user, mandate, wallet) = debtor(&mp, GOOD_IBAN).await;
    let used = key("debit");
    let body = debit(&user, &wallet, &mandate, 1200);
    let (status, payin) = mp
        .post("/payins/directdebit/direct", body.clone(), &used)
        .await;
    assert_eq!(status, StatusCode::OK, "{payin}");
    assert_eq!(
        (
            payin["Status"].as_str(),
            payin["PaymentType"].as_str(),
            &payin["ExecutionDate"]
        ),
        (Some("CREATED"), Some("DIRECT_DEBIT"), &Value::Null)
    );
    assert!(
        payin["ChargeDate"].is_i64() && payin["Id"].as_str().unwrap().starts_with("payin_m_01")
    );
    assert_eq!(payin["CreditedFunds"]["Amount"], 1100);
    // The same key again: 409, and the first answer kept.
    let (status, _) = mp.post("/payins/directdebit/direct", body, &used).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let kept = mp.get(&format!("/responses/{used}")).await;
    assert_eq!(
        (kept["StatusCode"].as_str(), &kept["Resource"]),
        (Some("200"), &payin)
    );

    let (status, settled) = settle(&mp, &payin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (settled["Status"].as_str(), settled["ResultCode"].as_str()),
        (Some("SUCCEEDED"), Some("000000"))
    );
    assert!(settled["ExecutionDate"].is_i64());
    let id = payin["Id"].as_str().unwrap();
    assert_eq!(mp.get(&format!("/payins/{id}")).await, settled);
    assert_eq!(
        mp.get(&format!("/wallets/{wallet}")).await["Balance"]["Amount"],
        1100
    );
    let active = mp
        .get(&format!("/mandates/{}", mandate["Id"].as_str().unwrap()))
        .await;
    assert_eq!(active["Status"], "ACTIVE");
    assert_eq!(settle(&mp, &payin).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        hooks_of(&mp, &payin["Id"]).await,
        ["PAYIN_NORMAL_CREATED", "PAYIN_NORMAL_SUCCEEDED"]
    );
    assert_eq!(
        hooks_of(&mp, &mandate["Id"]).await,
        ["MANDATE_CREATED", "MANDATE_SUBMITTED", "MANDATE_ACTIVATED"]
    );

    // Failing test IBANs: 001831 (generic), 001830 (insufficient funds).
    for (iban, code) in [
        ("DE62370400440532013001", "001831"),
        ("DE65370400440002222227", "001830"),
    ] {
        let (user, mandate, wallet) = debtor(&mp, iban).await;
        let (_, payin) = mp
            .post(
                "/payins/directdebit/direct",
                debit(&user, &wallet, &mandate, 900),
                &key("f"),
            )
            .await;
        let (_, failed) = settle(&mp, &payin).await;
        assert_eq!(
            (failed["Status"].as_str(), failed["ResultCode"].as_str()),
            (Some("FAILED"), Some(code))
        );
        assert_eq!(
            mp.get(&format!("/wallets/{wallet}")).await["Balance"]["Amount"],
            0
        );
        assert_eq!(
            hooks_of(&mp, &payin["Id"]).await,
            ["PAYIN_NORMAL_CREATED", "PAYIN_NORMAL_FAILED"]
        );
        assert_eq!(
            mp.get(&format!("/mandates/{}", mandate["Id"].as_str().unwrap()))
                .await["Status"],
            "SUBMITTED"
        );
    }
}

#[tokio::test]
async fn a_debit_on_an_unusable_mandate_fails_at_once() {
    let mp = Sandbox::start(None).await;
    let user = user(&mp, "Jeanne").await;
    let (_, account) = account(&mp, &user, GOOD_IBAN).await;
    let unconfirmed = mandate(&mp, &account).await;
    let wallet = wallet(&mp, &user).await;
    let (status, payin) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &unconfirmed, 900),
            &key("c"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{payin}");
    assert_eq!(
        (payin["Status"].as_str(), payin["ResultCode"].as_str()),
        (Some("FAILED"), Some("001833"))
    );
    assert_eq!(payin["ChargeDate"], Value::Null);
    assert_eq!(settle(&mp, &payin).await.0, StatusCode::BAD_REQUEST);
    // Someone else's mandate: 001024; a bad descriptor or too high fees: 400 naming them.
    let (_, mandate, _) = debtor(&mp, GOOD_IBAN).await;
    let (_, payin) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &mandate, 900),
            &key("o"),
        )
        .await;
    assert_eq!(payin["ResultCode"], "001024");
    let mut bad = debit(&user, &wallet, &mandate, 900);
    bad["StatementDescriptor"] = "TOO-LONG-DESCRIPTOR".into();
    let (status, problem) = mp.post("/payins/directdebit/direct", bad, &key("d")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["errors"]["StatementDescriptor"].is_string(),
        "{problem}"
    );
    let (status, problem) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &mandate, 50),
            &key("e"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["errors"]["Fees.Amount"].is_string(), "{problem}");
}
