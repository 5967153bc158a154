//! The email records of the notification store: `EMAIL#<event>#<template>#<recipient digest>`,
//! claimed (SENDING, with a lease) before a send and marked SENT after.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::super::errors::{is_condition_failed, store_error};
use super::super::items::{key, Item, PK, TTL};
use super::DynamoNotificationStore;
use crate::ports::{EmailClaim, EmailKey, SentEmails, StoreError};

const EMAIL_SK: &str = "EMAIL";
const SENDING: &str = "SENDING";
const SENT: &str = "SENT";
/// Email records outlive any redelivery (SQS keeps messages 14 days at most).
const EMAIL_RECORD_DAYS: i64 = 90;

fn email_key(k: &EmailKey) -> Item {
    key(format!("EMAIL#{}", k.as_str()), EMAIL_SK)
}

fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

#[async_trait]
impl SentEmails for DynamoNotificationStore {
    async fn claim_email(
        &self,
        k: &EmailKey,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<EmailClaim, StoreError> {
        let mut item = email_key(k);
        item.insert("status".into(), AttributeValue::S(SENDING.into()));
        item.insert("lease_until".into(), number(lease_until.unix_timestamp()));
        let expires = lease_until + time::Duration::days(EMAIL_RECORD_DAYS);
        item.insert(TTL.into(), number(expires.unix_timestamp()));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#pk) OR (#status = :sending AND lease_until < :now)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
            .expression_attribute_values(":now", number(now.unix_timestamp()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(EmailClaim::Claimed),
            Err(e) if is_condition_failed(&e) => {
                let existing = self.get(email_key(k)).await?;
                let field = |name: &str| match existing.as_ref().and_then(|i| i.get(name)) {
                    Some(AttributeValue::S(s)) => Some(s.clone()),
                    _ => None,
                };
                match (field("status").as_deref(), field("message_id")) {
                    (Some(SENT), Some(message_id)) => Ok(EmailClaim::AlreadySent { message_id }),
                    // Held by another consumer, or released just now: either way, later.
                    _ => Ok(EmailClaim::InFlight),
                }
            }
            Err(e) => Err(store_error(e)),
        }
    }

    async fn mark_email_sent(
        &self,
        k: &EmailKey,
        message_id: &str,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut item = email_key(k);
        item.insert("status".into(), AttributeValue::S(SENT.into()));
        item.insert("message_id".into(), AttributeValue::S(message_id.into()));
        item.insert("sent_at".into(), number(sent_at.unix_timestamp()));
        let expires = sent_at + time::Duration::days(EMAIL_RECORD_DAYS);
        item.insert(TTL.into(), number(expires.unix_timestamp()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn release_email(&self, k: &EmailKey) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(email_key(k)))
            .condition_expression("#status = :sending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already sent (or gone): nothing of ours to release.
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}
