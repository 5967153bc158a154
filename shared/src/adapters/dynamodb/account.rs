//! The shopper account on DynamoDB.
//! - `SIGNIN#<customer>` / `CODE`: the live sign-in code's digest, expiry and tries; a try is
//!   counted by a conditional UpdateItem before the code is compared.
//! - `SIGNIN#LIMIT#<key>` / `W#<hour>`: codes issued per email and per client IP in the hour,
//!   counted in the same TransactWriteItems as the code, on condition of the room left.
//! - `SESSION#<id>` / `SESSION`: an open session (deleted by signing out; TTL at expiry).
//! - A customer's orders: a Query on GSI1 (`CUSTOMER#<customer>`, newest first).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use time::OffsetDateTime;

use super::errors::store_error;
use super::items::*;
use super::DynamoStore;
use crate::ports::{
    AccountStore, CodeIssue, OrderPage, Session, SignInLimits, StoreError, StoredSignInCode,
};

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

fn code_key(customer_id: &str) -> Item {
    key(format!("SIGNIN#{customer_id}"), "CODE")
}

fn limit_key(limit: &str, window: i64) -> Item {
    key(format!("SIGNIN#LIMIT#{limit}"), &format!("W#{window}"))
}

fn session_key(id: &str) -> Item {
    key(format!("SESSION#{id}"), "SESSION")
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn number(item: &Item, name: &str) -> Result<i64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{name}: {v}"))),
        _ => Err(StoreError::Corrupt(format!("{name} missing"))),
    }
}

fn string(item: &Item, name: &str) -> Result<String, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Corrupt(format!("{name} missing"))),
    }
}

fn instant(unix: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Counts one code against a limit, on condition of the room left in the window.
fn count_code(
    table: &str,
    key: Item,
    max: u32,
    expires: OffsetDateTime,
) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression("SET #ttl = :ttl ADD #n :one")
        .condition_expression("attribute_not_exists(#n) OR #n < :max")
        .expression_attribute_names("#n", "issued")
        .expression_attribute_names("#ttl", TTL)
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":max", n(i64::from(max)))
        .expression_attribute_values(":ttl", n(expires.unix_timestamp()))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The cursor is GSI1's sort key of the last order given, base64url (opaque to callers).
fn cursor_key(customer_id: &str, cursor: &str) -> Result<Item, StoreError> {
    let bad = || StoreError::Missing("cursor".into());
    let sort = crate::ports::decode_order_cursor(cursor).ok_or_else(bad)?;
    let reference = sort.rsplit('#').next().ok_or_else(bad)?.to_string();
    Ok(HashMap::from([
        (PK.to_string(), s(&format!("ORDER#{reference}"))),
        (SK.to_string(), s("ORDER")),
        ("GSI1PK".to_string(), s(&format!("CUSTOMER#{customer_id}"))),
        ("GSI1SK".to_string(), s(&sort)),
    ]))
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn issue_sign_in_code(
        &self,
        code: &StoredSignInCode,
        limits: &SignInLimits,
    ) -> Result<CodeIssue, StoreError> {
        let table = self.table();
        let mut item = code_key(&code.customer_id);
        item.insert("digest".into(), s(&code.digest));
        item.insert("expires_at".into(), n(code.expires_at.unix_timestamp()));
        item.insert("tries".into(), n(0));
        item.insert(TTL.into(), n(code.expires_at.unix_timestamp()));
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .build()
            .map_err(build_error)?;
        let items = vec![
            count_code(
                table,
                limit_key(&limits.email_key, limits.window),
                limits.per_email,
                limits.window_ends_at,
            )?,
            count_code(
                table,
                limit_key(&limits.client_key, limits.window),
                limits.per_client,
                limits.window_ends_at,
            )?,
            count_code(
                table,
                limit_key(&limits.email_day_key, limits.day),
                limits.per_email_day,
                limits.day_ends_at,
            )?,
            TransactWriteItem::builder().put(put).build(),
        ];
        let result = self
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(CodeIssue::Issued),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    // [email this hour, client this hour, email today, the code].
                    let failed: Vec<bool> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code() == Some("ConditionalCheckFailed"))
                        .collect();
                    match failed.as_slice() {
                        [_, _, true, ..] => Ok(CodeIssue::Limited {
                            retry_at: limits.day_ends_at,
                        }),
                        [true, ..] | [_, true, ..] => Ok(CodeIssue::Limited {
                            retry_at: limits.window_ends_at,
                        }),
                        _ => Err(StoreError::Contention),
                    }
                }
                Some(e) if e.code() == Some("TransactionConflictException") => {
                    Err(StoreError::Contention)
                }
                _ => Err(store_error(err)),
            },
        }
    }

    async fn count_sign_in_try(
        &self,
        customer_id: &str,
        max_tries: u32,
        now: OffsetDateTime,
    ) -> Result<Option<StoredSignInCode>, StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(code_key(customer_id)))
            .update_expression("ADD tries :one")
            .condition_expression("attribute_exists(PK) AND tries < :max AND expires_at > :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(i64::from(max_tries)))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let item = match result {
            Ok(out) => out.attributes.unwrap_or_default(),
            Err(err) => {
                return match err.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(None),
                    _ => Err(store_error(err)),
                }
            }
        };
        Ok(Some(StoredSignInCode {
            customer_id: customer_id.to_string(),
            digest: string(&item, "digest")?,
            expires_at: instant(number(&item, "expires_at")?)?,
            tries: u32::try_from(number(&item, "tries")?).unwrap_or(u32::MAX),
        }))
    }

    async fn open_session(
        &self,
        code: &StoredSignInCode,
        session: &Session,
    ) -> Result<(), StoreError> {
        let table = self.table();
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(code_key(&code.customer_id)))
            .condition_expression("digest = :digest")
            .expression_attribute_values(":digest", s(&code.digest))
            .build()
            .map_err(build_error)?;
        let mut item = session_key(&session.id);
        item.insert("customer_id".into(), s(&session.customer_id));
        item.insert("email".into(), s(&session.email));
        item.insert("expires_at".into(), n(session.expires_at.unix_timestamp()));
        item.insert(TTL.into(), n(session.expires_at.unix_timestamp()));
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build_error)?;
        let result = self
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                // The code's condition failed: used or replaced meanwhile. Anything else (a
                // concurrent transaction on the same items) is contention, not a used code.
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled))
                    if cancelled
                        .cancellation_reasons()
                        .first()
                        .is_some_and(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Err(StoreError::Missing(format!(
                        "sign-in code of {}",
                        code.customer_id
                    )))
                }
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

    async fn get_session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let Some(item) = self.get(session_key(id)).await? else {
            return Ok(None);
        };
        Ok(Some(Session {
            id: id.to_string(),
            customer_id: string(&item, "customer_id")?,
            email: string(&item, "email")?,
            expires_at: instant(number(&item, "expires_at")?)?,
        }))
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(session_key(id)))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn customer_orders(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        let start = after.map(|c| cursor_key(customer_id, c)).transpose()?;
        // One more than asked: whether a next page exists, without an empty last page.
        let page = self
            .client()
            .query()
            .table_name(self.table())
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :customer AND begins_with(GSI1SK, :orders)")
            .expression_attribute_values(":customer", s(&format!("CUSTOMER#{customer_id}")))
            .expression_attribute_values(":orders", s("ORDER#"))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(store_error)?;
        let items = page.items.unwrap_or_default();
        let more = items.len() > limit;
        let mut orders = Vec::new();
        let mut last_sort = None;
        for item in items.into_iter().take(limit) {
            last_sort = Some(string(&item, "GSI1SK")?);
            orders.push(parse_order_item(item)?.0);
        }
        Ok(OrderPage {
            orders,
            next: last_sort
                .filter(|_| more)
                .map(|sort| URL_SAFE_NO_PAD.encode(sort.as_bytes())),
        })
    }
}
