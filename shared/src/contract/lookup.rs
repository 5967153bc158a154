//! Store contract checks for lookup throttling: the snapshot read in one request, attempts
//! reserved by one conditional write per read, given back when the postcode matched.

use std::sync::Arc;

use time::Duration;

use super::{now, order};
use crate::domain::throttle::{LookupGuards, ReserveGuard};
use crate::domain::Reference;
use crate::ports::{LookupKeys, Store, StoreError};

fn keys(reference: &str, client: &str) -> LookupKeys {
    LookupKeys {
        reference: Reference::parse(reference).unwrap(),
        client: client.into(),
    }
}

pub async fn lookup_snapshot_reads_order_and_failures(store: Arc<dyn Store>) {
    let o = order("ORD-8");
    store.insert_order(&o).await.unwrap();
    let k = keys("ORD-8", "client-a");
    let empty = store.load_lookup(&k).await.unwrap();
    assert_eq!(empty.order.as_ref().map(|v| &v.value), Some(&o));
    assert_eq!(empty.reference_failures.recent_failures(now()), 0);
    assert_eq!(empty.client_failures.recent_failures(now()), 0);

    store
        .reserve_lookup_attempt(&k, &empty, &FREE, now())
        .await
        .unwrap();
    let seen = store.load_lookup(&k).await.unwrap();
    assert_eq!(seen.reference_failures.attempts, 1);
    store
        .reserve_lookup_attempt(&k, &seen, &FREE, now())
        .await
        .unwrap();
    // Another reference from the same client counts for the client only.
    let other = keys("ORD-UNKNOWN", "client-a");
    let seen_other = store.load_lookup(&other).await.unwrap();
    assert!(seen_other.order.is_none());
    store
        .reserve_lookup_attempt(&other, &seen_other, &FREE, now())
        .await
        .unwrap();

    let after = store.load_lookup(&k).await.unwrap();
    assert_eq!(after.reference_failures.recent_failures(now()), 2);
    assert_eq!(after.client_failures.recent_failures(now()), 3);
    let unknown = store.load_lookup(&other).await.unwrap();
    assert_eq!(unknown.reference_failures.recent_failures(now()), 1);
}

const FREE: LookupGuards = LookupGuards {
    reference: ReserveGuard::Always,
    client: ReserveGuard::Always,
    pair: ReserveGuard::Always,
};

/// Of concurrent reservations, as many pass as the room a guard leaves, whatever their order;
/// within it none conflicts. A reservation given back no longer counts as a failure.
pub async fn reservations_pass_up_to_the_room_left_and_one_given_back_stops_counting(
    store: Arc<dyn Store>,
) {
    let k = keys("ORD-9", "client-b");
    let seen = store.load_lookup(&k).await.unwrap();
    let room = LookupGuards {
        pair: ReserveGuard::BucketBelow(3),
        ..FREE
    };
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (store, k, seen) = (store.clone(), k.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            store.reserve_lookup_attempt(&k, &seen, &room, now()).await
        }));
    }
    let mut passed = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(reservation) => passed.push(reservation),
            Err(StoreError::Contention) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(passed.len(), 3, "as many as the room");
    let counted = store.load_lookup(&k).await.unwrap();
    assert_eq!(counted.reference_failures.recent_failures(now()), 3);
    assert_eq!(counted.client_failures.recent_failures(now()), 3);
    assert_eq!(counted.pair_failures.recent_failures(now()), 3);
    assert_eq!(
        counted.reference_failures.last_attempt_at,
        Some(now().unix_timestamp())
    );
    // The slowdown: the last attempt must be old enough.
    let other_client = keys("ORD-9", "client-c");
    let fresh_client = store.load_lookup(&other_client).await.unwrap();
    let too_soon = LookupGuards {
        reference: ReserveGuard::LastAtOrBefore(now().unix_timestamp() - 1),
        ..FREE
    };
    assert_eq!(
        store
            .reserve_lookup_attempt(&other_client, &fresh_client, &too_soon, now())
            .await,
        Err(StoreError::Contention)
    );
    let late_enough = LookupGuards {
        reference: ReserveGuard::LastAtOrBefore(now().unix_timestamp()),
        ..FREE
    };
    store
        .reserve_lookup_attempt(&other_client, &fresh_client, &late_enough, now())
        .await
        .unwrap();

    store.release_lookup_attempt(&k, passed[0]).await.unwrap();
    let released = store.load_lookup(&k).await.unwrap();
    assert_eq!(released.reference_failures.recent_failures(now()), 3);
    assert_eq!(released.client_failures.recent_failures(now()), 2);
    assert_eq!(released.pair_failures.recent_failures(now()), 2);
    let other_pair = store.load_lookup(&other_client).await.unwrap();
    assert_eq!(other_pair.pair_failures.recent_failures(now()), 1);

    // Half an hour later the old bucket is stale and the next reservation drops it.
    let later = now() + Duration::minutes(30);
    store
        .reserve_lookup_attempt(&k, &released, &FREE, later)
        .await
        .unwrap();
    let pruned = store.load_lookup(&k).await.unwrap();
    assert_eq!(pruned.reference_failures.per_minute.len(), 1);
    assert_eq!(pruned.reference_failures.recent_failures(later), 1);
}
