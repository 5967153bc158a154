//! Time in the MangoPay dialect's SEPA debits: the ticker settles immediate ones, the shared
//! sandbox clock (`POST /sandbox-psp/_clock`) delayed ones, and lapses unconfirmed mandates.

use super::sepa::{account, debit, debtor, hooks_of, mandate, GOOD_IBAN};
use super::*;

pub(super) async fn advance_clock(mp: &Sandbox, seconds: i64) {
    let clock = format!("{}/_clock", mp.api.trim_end_matches("/mangopay"));
    let reply = mp
        .http
        .post(clock)
        .json(&json!({"advance_seconds": seconds}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
}

#[tokio::test]
async fn debits_settle_by_time_and_unconfirmed_mandates_lapse() {
    let mp = Sandbox::start(None).await;
    let (user, mandate, wallet) = debtor(&mp, GOOD_IBAN).await;
    let (_, quick) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &mandate, 900),
            &key("q"),
        )
        .await;
    let quick = format!("/payins/{}", quick["Id"].as_str().unwrap());
    let mut status = Value::Null;
    for _ in 0..50 {
        status = mp.get(&quick).await["Status"].clone();
        if status != "CREATED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "SUCCEEDED", "settled by the ticker about 2 s later");

    let (user, mandate, wallet) = debtor(&mp, "DE08370400440532013003").await;
    let (_, slow) = mp
        .post(
            "/payins/directdebit/direct",
            debit(&user, &wallet, &mandate, 900),
            &key("s"),
        )
        .await;
    let slow = format!("/payins/{}", slow["Id"].as_str().unwrap());
    advance_clock(&mp, 60).await;
    assert_eq!(mp.get(&slow).await["Status"], "CREATED");
    advance_clock(&mp, 120).await;
    assert_eq!(mp.get(&slow).await["Status"], "SUCCEEDED");

    // Left unconfirmed for an hour of sandbox time: FAILED 001807, one hook.
    let (_, account) = account(&mp, &user, GOOD_IBAN).await;
    let lapsing = self::mandate(&mp, &account).await;
    let path = format!("/mandates/{}", lapsing["Id"].as_str().unwrap());
    advance_clock(&mp, 3600).await;
    let lapsed = mp.get(&path).await;
    assert_eq!(
        (lapsed["Status"].as_str(), lapsed["ResultCode"].as_str()),
        (Some("FAILED"), Some("001807"))
    );
    mp.get(&path).await;
    assert_eq!(
        hooks_of(&mp, &lapsing["Id"]).await,
        ["MANDATE_CREATED", "MANDATE_FAILED"]
    );
}
