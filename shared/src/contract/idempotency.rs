//! Store contract checks for idempotency claims: one winner, completed with the effects in one
//! transaction.

use std::sync::Arc;

use super::*;

fn idem(key: &str) -> IdempotencyKey {
    IdempotencyKey {
        scope: "payments#ORD-30".into(),
        key: key.into(),
    }
}

fn completion(key: &str, hash: &str) -> IdempotencyCompletion {
    IdempotencyCompletion {
        key: idem(key),
        request_hash: hash.into(),
        response: StoredResponse {
            status: 201,
            body: r#"{"payment":{"id":"pay_1"}}"#.into(),
        },
        expires_at: now() + Duration::hours(24),
    }
}

pub async fn idempotency_claims_complete_with_the_effects(store: Arc<dyn Store>) {
    let until = now() + Duration::seconds(30);
    let expires = now() + Duration::hours(24);
    let claim = |key: &'static str, hash: &'static str, at: OffsetDateTime| {
        let store = store.clone();
        async move {
            store
                .claim(&idem(key), hash, until, expires, at)
                .await
                .unwrap()
        }
    };
    assert_eq!(claim("k1", "h1", now()).await, Claim::Acquired);
    assert_eq!(claim("k1", "h1", now()).await, Claim::InProgress);
    assert_eq!(claim("k1", "h2", now()).await, Claim::Mismatch);

    // Completing with the wrong body hash fails and writes nothing else of the transaction.
    let o = order("ORD-30");
    store.insert_order(&o).await.unwrap();
    let mut pending = o.clone();
    pending.status = OrderStatus::PaymentPending;
    let wrong = store
        .transact(vec![
            Write::UpdateOrder {
                order: pending.clone(),
                expected_version: 1,
            },
            Write::CompleteIdempotency(completion("k1", "other")),
        ])
        .await;
    assert!(
        matches!(wrong, Err(StoreError::VersionConflict(_))),
        "{wrong:?}"
    );
    assert_eq!(
        store
            .get_order(&o.reference)
            .await
            .unwrap()
            .unwrap()
            .value
            .status,
        OrderStatus::AwaitingPayment
    );
    store
        .transact(vec![
            Write::UpdateOrder {
                order: pending,
                expected_version: 1,
            },
            Write::CompleteIdempotency(completion("k1", "h1")),
        ])
        .await
        .unwrap();
    assert_eq!(
        claim("k1", "h1", now()).await,
        Claim::Completed(completion("k1", "h1").response)
    );
    assert_eq!(claim("k1", "h2", now()).await, Claim::Mismatch);
    // A completed record cannot be completed again.
    let twice = store
        .transact(vec![Write::CompleteIdempotency(completion("k1", "h1"))])
        .await;
    assert!(matches!(twice, Err(StoreError::VersionConflict(_))));

    // A claim whose Lambda timed out can be taken over; a released claim can be retried.
    assert_eq!(claim("k2", "h1", now()).await, Claim::Acquired);
    assert_eq!(
        claim("k2", "h2", now() + Duration::seconds(31)).await,
        Claim::Acquired
    );
    assert_eq!(claim("k3", "h1", now()).await, Claim::Acquired);
    store.release(&idem("k3"), "other").await.unwrap();
    assert_eq!(claim("k3", "h1", now()).await, Claim::InProgress);
    store.release(&idem("k3"), "h1").await.unwrap();
    assert_eq!(claim("k3", "h1", now()).await, Claim::Acquired);
}

pub async fn concurrent_claims_have_one_winner(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .claim(
                    &idem("race"),
                    "h",
                    now() + Duration::seconds(30),
                    now() + Duration::hours(24),
                    now(),
                )
                .await
                .unwrap()
        }));
    }
    let mut acquired = 0;
    for task in tasks {
        match task.await.unwrap() {
            Claim::Acquired => acquired += 1,
            Claim::InProgress => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(acquired, 1);
}
