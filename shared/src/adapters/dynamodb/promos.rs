//! Promo codes in the single table:
//!
//! - `PROMO#<code>` / `PROMO`: `uses` (N), `status`, `valid_from`, `valid_until` (`yyyy-mm-dd`,
//!   compared as text) and `total_limit` (N, absent: none) at the top level, the code under
//!   `promo`;
//! - `PROMO#<code>` / `USE#<customer>`: that customer's `uses` (N).
//!
//! A use is one UpdateItem per item that ADDs 1 on the limit's condition.

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use serde::{Deserialize, Serialize};
use time::Date;

use super::items::{key, Item, VERSION};
use crate::domain::promo::{PromoCode, PromoStatus};
use crate::ports::{StoreError, Versioned};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

pub(super) fn promo_key(code: &str) -> Item {
    key(format!("PROMO#{code}"), "PROMO")
}

pub(super) fn promo_use_key(code: &str, customer_id: &str) -> Item {
    key(format!("PROMO#{code}"), &format!("USE#{customer_id}"))
}

fn day(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn status(status: PromoStatus) -> &'static str {
    match status {
        PromoStatus::Active => "active",
        PromoStatus::Void => "void",
    }
}

fn read_count(item: &Item, name: &str) -> Result<u32, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().map_err(corrupt),
        None => Ok(0),
        Some(other) => Err(corrupt(format!("{name} is {other:?}"))),
    }
}

#[derive(Serialize, Deserialize)]
struct PromoItem {
    promo: PromoCode,
}

pub(super) fn promo_item(promo: &PromoCode, version: u64) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(PromoItem {
        promo: promo.clone(),
    })
    .map_err(corrupt)?;
    item.extend(promo_key(&promo.code));
    item.insert(VERSION.into(), AttributeValue::N(version.to_string()));
    item.insert("uses".into(), AttributeValue::N(promo.uses.to_string()));
    item.insert(
        "status".into(),
        AttributeValue::S(status(promo.status).into()),
    );
    item.insert(
        "valid_from".into(),
        AttributeValue::S(day(promo.valid_from)),
    );
    item.insert(
        "valid_until".into(),
        AttributeValue::S(day(promo.valid_until)),
    );
    if let Some(limit) = promo.total_limit {
        item.insert("total_limit".into(), AttributeValue::N(limit.to_string()));
    }
    Ok(item)
}

pub(super) fn parse_promo(item: Item) -> Result<Versioned<PromoCode>, StoreError> {
    let version = match item.get(VERSION) {
        Some(AttributeValue::N(n)) => n.parse().map_err(corrupt)?,
        _ => return Err(corrupt("promo code without a version")),
    };
    let uses = read_count(&item, "uses")?;
    let parsed: PromoItem = serde_dynamo::from_item(item).map_err(corrupt)?;
    let mut promo = parsed.promo;
    promo.uses = uses;
    Ok(Versioned {
        value: promo,
        version,
    })
}

pub(super) fn parse_customer_uses(item: &Item) -> Result<u32, StoreError> {
    read_count(item, "uses")
}

/// One use more (on the code's conditions) or less. A transaction takes a code once, so a
/// positive delta is 1 (conditions cannot do arithmetic: `uses < total_limit`).
pub(super) fn adjust_uses(
    table: &str,
    code: &str,
    delta: i32,
    on: Date,
) -> Result<Update, StoreError> {
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(promo_key(code)))
        .update_expression("ADD #uses :delta, #v :one")
        .expression_attribute_names("#uses", "uses")
        .expression_attribute_names("#v", VERSION)
        .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()));
    update = if delta > 0 {
        update
            .condition_expression(
                "#status = :active AND #from <= :day AND #until >= :day \
                 AND (attribute_not_exists(#limit) OR #uses < #limit)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#from", "valid_from")
            .expression_attribute_names("#until", "valid_until")
            .expression_attribute_names("#limit", "total_limit")
            .expression_attribute_values(":active", AttributeValue::S("active".into()))
            .expression_attribute_values(":day", AttributeValue::S(day(on)))
    } else {
        update
            .condition_expression("#uses >= :back")
            .expression_attribute_values(":back", AttributeValue::N((-delta).to_string()))
    };
    update.build().map_err(build_error)
}

/// A customer's uses of a code, one more (within `limit`) or less.
pub(super) fn adjust_customer_uses(
    table: &str,
    code: &str,
    customer_id: &str,
    delta: i32,
    limit: Option<u32>,
) -> Result<Update, StoreError> {
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(promo_use_key(code, customer_id)))
        .update_expression("ADD #uses :delta")
        .expression_attribute_names("#uses", "uses")
        .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()));
    match (delta > 0, limit) {
        (true, Some(limit)) => {
            update = update
                .condition_expression("attribute_not_exists(#uses) OR #uses < :limit")
                .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()));
        }
        (true, None) => {}
        (false, _) => {
            update = update
                .condition_expression("#uses >= :back")
                .expression_attribute_values(":back", AttributeValue::N((-delta).to_string()));
        }
    }
    update.build().map_err(build_error)
}
