//! A client address's wrong codes: counted by a conditional write that stops at its limit
//! (also under concurrent guesses), read with the checkout's tenders, and checked without a
//! write by a checkout whose codes were right.

use std::sync::Arc;

use time::macros::datetime;

use crate::domain::tenders::CodeGuessBucket;
use crate::domain::Currency;
use crate::ports::{CheckoutReads, ItemKind, Store, StoreError, TenderWrite, Write};

async fn failures(store: &Arc<dyn Store>, bucket: &CodeGuessBucket) -> u32 {
    let reads = CheckoutReads {
        promo: None,
        guesses: Some(bucket),
    };
    store
        .load_checkout_tenders(&[], "cus_guess", Currency::EUR, reads)
        .await
        .unwrap()
        .client_code_failures
}

pub async fn a_clients_wrong_codes_stop_at_their_limit_under_concurrency(store: Arc<dyn Store>) {
    let bucket = CodeGuessBucket::at("c0ffee", datetime!(2026-12-03 10:15 UTC));
    assert_eq!(failures(&store, &bucket).await, 0);
    let room = Write::Tender(TenderWrite::CheckCodeRoom {
        bucket: bucket.clone(),
        limit: 5,
    });
    store.transact(vec![room.clone()]).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (store, bucket) = (store.clone(), bucket.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let count = Write::Tender(TenderWrite::CountCodeFailure {
                    bucket: bucket.clone(),
                    limit: 5,
                });
                match store.transact(vec![count]).await {
                    Err(StoreError::Contention) => continue,
                    Err(StoreError::VersionConflict(item)) => {
                        assert_eq!(item.kind, ItemKind::CodeGuesses);
                        return false;
                    }
                    other => return other.is_ok(),
                }
            }
        }));
    }
    let mut counted = 0;
    for task in tasks {
        counted += u32::from(task.await.unwrap());
    }
    assert_eq!(
        counted, 5,
        "12 guesses at once, 5 counted, the others refused"
    );
    assert_eq!(failures(&store, &bucket).await, 5);
    // A right code is no longer committed this hour; the next hour starts afresh.
    let refused = store.transact(vec![room]).await;
    assert!(
        matches!(&refused, Err(StoreError::VersionConflict(item)) if item.kind == ItemKind::CodeGuesses),
        "{refused:?}"
    );
    let next = CodeGuessBucket::at("c0ffee", datetime!(2026-12-03 11:00 UTC));
    assert_eq!(failures(&store, &next).await, 0);
    store
        .transact(vec![Write::Tender(TenderWrite::CheckCodeRoom {
            bucket: next,
            limit: 5,
        })])
        .await
        .unwrap();
}
