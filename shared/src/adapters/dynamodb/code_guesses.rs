//! A client address's wrong codes in the single table: `CODEGUESS#<client digest>` /
//! `HOUR#<hours since the epoch>`, `failures` (N) and `ttl` an hour after its own. A wrong
//! code ADDs 1 on condition that the hour has room; a checkout whose codes were right checks
//! the same room in its own transaction.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Update};

use super::items::{key, Item, TTL};
use crate::domain::tenders::CodeGuessBucket;
use crate::ports::StoreError;

const FAILURES: &str = "failures";
const ROOM: &str = "attribute_not_exists(#failures) OR #failures < :limit";

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

pub(super) fn bucket_key(bucket: &CodeGuessBucket) -> Item {
    key(
        format!("CODEGUESS#{}", bucket.client),
        &format!("HOUR#{}", bucket.hour),
    )
}

pub(super) fn is_bucket(sort_key: &str) -> bool {
    sort_key.starts_with("HOUR#")
}

pub(super) fn parse_failures(item: &Item) -> Result<u32, StoreError> {
    match item.get(FAILURES) {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{FAILURES}: {e}"))),
        None => Ok(0),
        Some(other) => Err(StoreError::Corrupt(format!("{FAILURES} is {other:?}"))),
    }
}

pub(super) fn count_failure(
    table: &str,
    bucket: &CodeGuessBucket,
    limit: u32,
) -> Result<Update, StoreError> {
    Update::builder()
        .table_name(table)
        .set_key(Some(bucket_key(bucket)))
        .update_expression("SET #ttl = :ttl ADD #failures :one")
        .condition_expression(ROOM)
        .expression_attribute_names("#failures", FAILURES)
        .expression_attribute_names("#ttl", TTL)
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
        .expression_attribute_values(":ttl", AttributeValue::N(bucket.expires_at().to_string()))
        .build()
        .map_err(build_error)
}

pub(super) fn check_room(
    table: &str,
    bucket: &CodeGuessBucket,
    limit: u32,
) -> Result<ConditionCheck, StoreError> {
    ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(bucket_key(bucket)))
        .condition_expression(ROOM)
        .expression_attribute_names("#failures", FAILURES)
        .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
        .build()
        .map_err(build_error)
}
