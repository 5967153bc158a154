//! Steps shared by the journey tests: time passing on a stored authorisation, the sandbox's
//! view of a PaymentIntent, the emails sent, shipments, the 3-D Secure page.

use encaisse::domain::Reference;
use encaisse::ports::Write;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::shop::Shop;

pub const SANDBOX_KEY: &str = "sk_test_encaisse_devserver";

/// The authorisation was given five days ago.
pub async fn age_authorisation(shop: &Shop, reference: &str, payment: &str) {
    let reference = Reference::parse(reference).unwrap();
    let snapshot = shop
        .store
        .get_order_with_payments(&reference)
        .await
        .unwrap()
        .unwrap();
    let stored = snapshot
        .payments
        .iter()
        .find(|p| p.value.id == payment)
        .unwrap();
    let mut aged = stored.value.clone();
    aged.authorised_at = Some(OffsetDateTime::now_utc() - Duration::days(5));
    shop.store
        .transact(vec![Write::PutPayment {
            payment: aged,
            expected_version: Some(stored.version),
        }])
        .await
        .unwrap();
}

pub async fn psp_intent(shop: &Shop, id: &str) -> Value {
    shop.http
        .get(format!("{}/sandbox-psp/v1/payment_intents/{id}", shop.base))
        .bearer_auth(SANDBOX_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until `subject_start` has been emailed `count` times (and returns every email).
pub async fn emailed(shop: &Shop, subject_start: &str, count: usize) -> Vec<Value> {
    // Up to 30 s: the whole suite runs at once on two cores, every DynamoDB call through one
    // serialising proxy.
    for _ in 0..600 {
        let all = shop.emails().await;
        let seen = all
            .iter()
            .filter(|e| e["subject"].as_str().unwrap().starts_with(subject_start))
            .count();
        if seen >= count {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "{subject_start:?} not emailed {count}×: {:?}",
        shop.emails().await
    );
}

pub fn count(emails: &[Value], subject_start: &str) -> usize {
    emails
        .iter()
        .filter(|e| e["subject"].as_str().unwrap().starts_with(subject_start))
        .count()
}

pub async fn ship(shop: &Shop, reference: &str, body: Value) -> (u16, Value) {
    shop.admin_post(
        &format!("/v1/admin/orders/{reference}/shipments"),
        None,
        &body,
    )
    .await
}

/// Pays on the hosted page with the 3-D Secure card, answering the challenge.
pub async fn pay_with_3ds(shop: &Shop, page: &str) {
    let challenge = shop
        .pay(page, "4000 0027 6000 3184")
        .await
        .expect("3DS challenge");
    let challenge = shop.absolute(&challenge);
    let code = shop.three_ds_code(&challenge).await;
    assert!(
        shop.answer_3ds(&challenge, &code).await.is_some(),
        "3DS passed"
    );
}
