//! Lookup throttling in memory, with DynamoDB's semantics (see `dynamodb/lookup.rs`).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryStore;
use crate::domain::throttle::{minute_of, LookupGuards, ReserveGuard};
use crate::domain::FailureLog;
use crate::ports::{LookupKeys, LookupReservation, LookupSnapshot, LookupStore, StoreError};

#[async_trait]
impl LookupStore for MemoryStore {
    async fn load_lookup(&self, keys: &LookupKeys) -> Result<LookupSnapshot, StoreError> {
        let tables = self.lock()?;
        Ok(LookupSnapshot {
            order: tables.orders.get(&keys.reference).cloned(),
            reference_failures: tables
                .reference_failures
                .get(&keys.reference)
                .cloned()
                .unwrap_or_default(),
            client_failures: tables
                .client_failures
                .get(&keys.client)
                .cloned()
                .unwrap_or_default(),
            pair_failures: tables
                .pair_failures
                .get(&(keys.reference.clone(), keys.client.clone()))
                .cloned()
                .unwrap_or_default(),
        })
    }

    async fn reserve_lookup_attempt(
        &self,
        keys: &LookupKeys,
        _seen: &LookupSnapshot,
        guards: &LookupGuards,
        now: OffsetDateTime,
    ) -> Result<LookupReservation, StoreError> {
        let mut guard = self.lock()?;
        let tables = &mut *guard;
        let by_reference = tables
            .reference_failures
            .entry(keys.reference.clone())
            .or_default();
        let by_client = tables
            .client_failures
            .entry(keys.client.clone())
            .or_default();
        let by_pair = tables
            .pair_failures
            .entry((keys.reference.clone(), keys.client.clone()))
            .or_default();
        // The same conditions as DynamoDB's.
        let holds = |log: &FailureLog, guard: ReserveGuard| match guard {
            ReserveGuard::Always => true,
            ReserveGuard::BucketBelow(room) => {
                log.per_minute.get(&minute_of(now)).copied().unwrap_or(0) < room
            }
            ReserveGuard::LastAtOrBefore(at) => log.last_attempt_at.is_none_or(|last| last <= at),
        };
        if !(holds(by_reference, guards.reference)
            && holds(by_client, guards.client)
            && holds(by_pair, guards.pair))
        {
            return Err(StoreError::Contention);
        }
        for log in [by_reference, by_client, by_pair] {
            log.record(now);
            log.attempts += 1;
            log.last_attempt_at = Some(now.unix_timestamp());
        }
        Ok(LookupReservation {
            minute: minute_of(now),
        })
    }

    async fn release_lookup_attempt(
        &self,
        keys: &LookupKeys,
        reservation: LookupReservation,
    ) -> Result<(), StoreError> {
        let mut guard = self.lock()?;
        let tables = &mut *guard;
        let by_reference = tables.reference_failures.get_mut(&keys.reference);
        let by_client = tables.client_failures.get_mut(&keys.client);
        let by_pair = tables
            .pair_failures
            .get_mut(&(keys.reference.clone(), keys.client.clone()));
        for log in [by_reference, by_client, by_pair].into_iter().flatten() {
            log.give_back(reservation.minute);
        }
        Ok(())
    }
}
