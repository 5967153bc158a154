//! Lookup throttling on DynamoDB: the order and the three failure logs (reference, client,
//! the pair) in one BatchGetItem; an attempt reserved on the three by one TransactWriteItems
//! conditioned on the room each has left
//! (concurrent guesses cannot all pass one read), given back when the postcode matched.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use time::OffsetDateTime;

use super::errors::store_error;
use super::items::*;
use super::DynamoStore;
use crate::domain::throttle::{minute_of, LookupGuards, ReserveGuard};
use crate::domain::FailureLog;
use crate::ports::{
    LookupKeys, LookupReservation, LookupSnapshot, LookupStore, StoreError, Versioned,
};

/// The attribute counting the attempts ever reserved on a failure log.
const ATTEMPTS: &str = "attempts";
/// When the last attempt was reserved (Unix seconds).
const LAST_ATTEMPT: &str = "last";

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

fn minute_name(minute: i64) -> String {
    format!("{MINUTE_PREFIX}{minute}")
}

/// ADD one attempt to this minute's bucket and to `attempts` on condition of `guard`, record
/// when; drop buckets seen stale; push the TTL out.
fn reserve(
    table: &str,
    key: Item,
    seen: &FailureLog,
    guard: ReserveGuard,
    now: OffsetDateTime,
) -> Result<TransactWriteItem, StoreError> {
    let mut names = HashMap::from([
        ("#now".to_string(), minute_name(minute_of(now))),
        ("#ttl".to_string(), TTL.to_string()),
        ("#a".to_string(), ATTEMPTS.to_string()),
        ("#last".to_string(), LAST_ATTEMPT.to_string()),
    ]);
    let mut values = HashMap::from([
        (":one".to_string(), AttributeValue::N("1".into())),
        (
            ":now".to_string(),
            AttributeValue::N(now.unix_timestamp().to_string()),
        ),
        (
            ":ttl".to_string(),
            AttributeValue::N(FailureLog::expires_at(now).to_string()),
        ),
    ]);
    let mut expression = "SET #ttl = :ttl, #last = :now ADD #now :one, #a :one".to_string();
    let stale: Vec<String> = seen
        .stale_minutes(now)
        .into_iter()
        .enumerate()
        .map(|(i, minute)| {
            names.insert(format!("#s{i}"), minute_name(minute));
            format!("#s{i}")
        })
        .collect();
    if !stale.is_empty() {
        expression.push_str(" REMOVE ");
        expression.push_str(&stale.join(", "));
    }
    // Within the limits, concurrent attempts do not conflict: only the room left is checked.
    let condition = match guard {
        ReserveGuard::Always => None,
        ReserveGuard::BucketBelow(room) => {
            values.insert(":room".to_string(), AttributeValue::N(room.to_string()));
            Some("attribute_not_exists(#now) OR #now < :room")
        }
        ReserveGuard::LastAtOrBefore(at) => {
            values.insert(":not_after".to_string(), AttributeValue::N(at.to_string()));
            Some("attribute_not_exists(#last) OR #last <= :not_after")
        }
    };
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(expression)
        .set_condition_expression(condition.map(str::to_string))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Takes the attempt back out of the bucket it was counted in (`attempts` stays: it orders
/// reservations, it does not count failures).
fn give_back(table: &str, key: Item, minute: i64) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression("ADD #m :minus_one")
        .expression_attribute_names("#m", minute_name(minute))
        .expression_attribute_values(":minus_one", AttributeValue::N("-1".into()))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

#[async_trait]
impl LookupStore for DynamoStore {
    async fn load_lookup(&self, keys: &LookupKeys) -> Result<LookupSnapshot, StoreError> {
        let order_pk = format!("ORDER#{}", keys.reference);
        let reference_pk = format!("LOOKUP#REF#{}", keys.reference);
        let client_pk = format!("LOOKUP#CLIENT#{}", keys.client);
        let pair_pk = format!("LOOKUP#PAIR#{}#{}", keys.reference, keys.client);
        let items = self
            .batch_get(vec![
                order_key(&keys.reference),
                reference_failures_key(&keys.reference),
                client_failures_key(&keys.client),
                pair_failures_key(&keys.reference, &keys.client),
            ])
            .await?;
        let mut snapshot = LookupSnapshot::default();
        for item in items {
            match super::pk_of(&item) {
                Some(pk) if pk == order_pk => {
                    let (value, version) = parse_order_item(item)?;
                    snapshot.order = Some(Versioned { value, version });
                }
                Some(pk) if pk == reference_pk => {
                    snapshot.reference_failures = parse_failure_log(Some(&item))
                }
                Some(pk) if pk == client_pk => {
                    snapshot.client_failures = parse_failure_log(Some(&item))
                }
                Some(pk) if pk == pair_pk => {
                    snapshot.pair_failures = parse_failure_log(Some(&item))
                }
                _ => {}
            }
        }
        Ok(snapshot)
    }

    async fn reserve_lookup_attempt(
        &self,
        keys: &LookupKeys,
        seen: &LookupSnapshot,
        guards: &LookupGuards,
        now: OffsetDateTime,
    ) -> Result<LookupReservation, StoreError> {
        let items = vec![
            reserve(
                &self.table,
                reference_failures_key(&keys.reference),
                &seen.reference_failures,
                guards.reference,
                now,
            )?,
            reserve(
                &self.table,
                client_failures_key(&keys.client),
                &seen.client_failures,
                guards.client,
                now,
            )?,
            reserve(
                &self.table,
                pair_failures_key(&keys.reference, &keys.client),
                &seen.pair_failures,
                guards.pair,
                now,
            )?,
        ];
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(LookupReservation {
                minute: minute_of(now),
            }),
            // Another attempt reserved first (or is reserving now): read again.
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(_)) => {
                    Err(StoreError::Contention)
                }
                Some(e) if e.code() == Some("TransactionConflictException") => {
                    Err(StoreError::Contention)
                }
                _ => Err(store_error(err)),
            },
        }
    }

    async fn release_lookup_attempt(
        &self,
        keys: &LookupKeys,
        reservation: LookupReservation,
    ) -> Result<(), StoreError> {
        let items = vec![
            give_back(
                &self.table,
                reference_failures_key(&keys.reference),
                reservation.minute,
            )?,
            give_back(
                &self.table,
                client_failures_key(&keys.client),
                reservation.minute,
            )?,
            give_back(
                &self.table,
                pair_failures_key(&keys.reference, &keys.client),
                reservation.minute,
            )?,
        ];
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
