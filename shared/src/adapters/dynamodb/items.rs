//! The single-table item layout: keys and the serde_dynamo shapes of each item kind.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use time::OffsetDateTime;

use crate::domain::{
    customer_id, CustomerProfile, FailureLog, Order, OutboxEvent, Payment, Reference,
};
use crate::ports::{ExistingRecord, RecordState};
use crate::ports::{IdempotencyKey, PaymentRef, StoreError, StoredResponse};

pub type Item = HashMap<String, AttributeValue>;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const TTL: &str = "ttl";
pub const VERSION: &str = "version";
/// Failure-log attributes are one per minute bucket: `m<minute since epoch>`.
pub const MINUTE_PREFIX: &str = "m";

pub fn key(pk: String, sk: &str) -> Item {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(pk)),
        (SK.to_string(), AttributeValue::S(sk.to_string())),
    ])
}

pub fn order_key(reference: &Reference) -> Item {
    key(format!("ORDER#{reference}"), "ORDER")
}

pub fn counter_key(name: &str) -> Item {
    key(format!("COUNTER#{name}"), "COUNTER")
}

pub fn reference_failures_key(reference: &Reference) -> Item {
    key(format!("LOOKUP#REF#{reference}"), "FAILURES")
}

pub fn client_failures_key(client: &str) -> Item {
    key(format!("LOOKUP#CLIENT#{client}"), "FAILURES")
}

pub fn pair_failures_key(reference: &Reference, client: &str) -> Item {
    key(format!("LOOKUP#PAIR#{reference}#{client}"), "FAILURES")
}

/// `ORDER#<ref>` / `ORDER`; GSI1 lists a customer's orders by creation time (an order its
/// shopper deleted leaves the index, so pages of "my orders" stay full).
#[derive(Debug, Serialize, Deserialize)]
pub struct OrderItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    pub version: u64,
    pub order: Order,
}

pub fn order_item(order: &Order, version: u64) -> Result<Item, StoreError> {
    let created = order
        .created_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let listed = order.closure != Some(crate::domain::OrderClosure::DeletedByShopper);
    let item = OrderItem {
        pk: format!("ORDER#{}", order.reference),
        sk: "ORDER".into(),
        gsi1pk: listed.then(|| format!("CUSTOMER#{}", customer_id(&order.customer.email))),
        gsi1sk: listed.then(|| format!("ORDER#{created}#{}", order.reference)),
        version,
        order: order.clone(),
    };
    serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn parse_order_item(item: Item) -> Result<(Order, u64), StoreError> {
    let parsed: OrderItem =
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((parsed.order, parsed.version))
}

pub fn parse_counter(item: Option<&Item>) -> Result<u64, StoreError> {
    match item.and_then(|i| i.get("value")) {
        None => Ok(0),
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("counter value {n:?}"))),
        Some(other) => Err(StoreError::Corrupt(format!("counter value {other:?}"))),
    }
}

pub fn parse_failure_log(item: Option<&Item>) -> FailureLog {
    let mut log = FailureLog::default();
    for (name, value) in item.into_iter().flatten() {
        let minute = name
            .strip_prefix(MINUTE_PREFIX)
            .and_then(|m| m.parse::<i64>().ok());
        let count = match value {
            AttributeValue::N(n) => n.parse::<u32>().ok(),
            _ => None,
        };
        if let (Some(minute), Some(count)) = (minute, count) {
            log.per_minute.insert(minute, count);
        }
        match (name.as_str(), value) {
            ("attempts", AttributeValue::N(n)) => log.attempts = n.parse().unwrap_or(0),
            ("last", AttributeValue::N(n)) => log.last_attempt_at = n.parse().ok(),
            _ => {}
        }
    }
    log
}

/// `ORDER#<ref>` / `PAYMENT#<id>`: payments live in their order's partition, so one Query
/// reads an order with its payments.
#[derive(Debug, Serialize, Deserialize)]
pub struct PaymentItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    /// `REVIEW#PENDING` while its fraud review waits for the seller (the review list), or
    /// `INSTALMENT#DUE` while it is a scheduled instalment (sorted by due date): GSI1.
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    pub version: u64,
    pub payment: Payment,
}

pub const PAYMENT_PREFIX: &str = "PAYMENT#";

pub const REVIEW_PENDING: &str = "REVIEW#PENDING";

pub const INSTALMENT_DUE: &str = "INSTALMENT#DUE";

/// A scheduled instalment's sort key on GSI1: due date, then order and id.
pub fn due_sort_key(due_on: time::Date, payment: &Payment) -> String {
    format!("{due_on}#{}#{}", payment.order_reference, payment.id)
}

/// The payment's GSI1 entry, if it is on a list.
fn payment_gsi1(payment: &Payment) -> Result<Option<(String, String)>, StoreError> {
    if payment.status == crate::domain::PaymentStatus::Scheduled {
        if let Some(due_on) = payment.due_on {
            return Ok(Some((INSTALMENT_DUE.into(), due_sort_key(due_on, payment))));
        }
    }
    let Some(review) = payment.review.as_ref().filter(|r| r.is_pending()) else {
        return Ok(None);
    };
    let at = review
        .opened_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some((
        REVIEW_PENDING.into(),
        format!("{at}#{}#{}", payment.order_reference, payment.id),
    )))
}

pub fn payment_item(payment: &Payment, version: u64) -> Result<Item, StoreError> {
    let (gsi1pk, gsi1sk) = payment_gsi1(payment)?.unzip();
    let item = PaymentItem {
        pk: format!("ORDER#{}", payment.order_reference),
        sk: format!("{PAYMENT_PREFIX}{}", payment.id),
        gsi1pk,
        gsi1sk,
        version,
        payment: payment.clone(),
    };
    serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn parse_payment_item(item: Item) -> Result<(Payment, u64), StoreError> {
    let parsed: PaymentItem =
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((parsed.payment, parsed.version))
}

pub fn idempotency_key(key: &IdempotencyKey) -> Item {
    self::key(
        format!("IDEMPOTENCY#{}#{}", key.scope, key.key),
        "IDEMPOTENCY",
    )
}

pub const IN_PROGRESS: &str = "INPROGRESS";
pub const COMPLETED: &str = "COMPLETED";

fn number(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn at(seconds: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn parse_idempotency_record(item: &Item) -> Result<ExistingRecord, StoreError> {
    let corrupt = || StoreError::Corrupt("idempotency record".into());
    let state = match string(item, "status") {
        Some(IN_PROGRESS) => RecordState::InProgress {
            until: at(number(item, "in_progress_until").ok_or_else(corrupt)?)?,
        },
        Some(COMPLETED) => RecordState::Completed(StoredResponse {
            status: number(item, "response_status")
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(corrupt)?,
            body: string(item, "response_body")
                .ok_or_else(corrupt)?
                .to_string(),
        }),
        _ => return Err(corrupt()),
    };
    Ok(ExistingRecord {
        request_hash: string(item, "request_hash")
            .ok_or_else(corrupt)?
            .to_string(),
        state,
        expires_at: at(number(item, "expires_at").ok_or_else(corrupt)?)?,
    })
}

/// The profile's sort key in the customer's partition.
pub const PROFILE_SK: &str = "PROFILE";

/// `CUSTOMER#<id>` / `PROFILE`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CustomerItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub version: u64,
    pub customer: CustomerProfile,
}

pub fn customer_key(id: &str) -> Item {
    key(format!("CUSTOMER#{id}"), PROFILE_SK)
}

pub fn customer_item(customer: &CustomerProfile, version: u64) -> Result<Item, StoreError> {
    let item = CustomerItem {
        pk: format!("CUSTOMER#{}", customer.id),
        sk: PROFILE_SK.into(),
        version,
        customer: customer.clone(),
    };
    serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn parse_customer_item(item: Item) -> Result<(CustomerProfile, u64), StoreError> {
    let parsed: CustomerItem =
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((parsed.customer, parsed.version))
}

/// `OUTBOX#<id>` / `OUTBOX`; GSI1 (`OUTBOX#PENDING`, created time) lists what is unsent.
#[derive(Debug, Serialize, Deserialize)]
pub struct OutboxItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
    pub event: OutboxEvent,
}

pub fn outbox_item(event: &OutboxEvent) -> Result<Item, StoreError> {
    let created = event
        .created_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let item = OutboxItem {
        pk: format!("OUTBOX#{}", event.id),
        sk: "OUTBOX".into(),
        gsi1pk: OUTBOX_PENDING.into(),
        gsi1sk: format!("{created}#{}", event.id),
        event: event.clone(),
    };
    serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `WEBHOOK#<provider>#<event id>` / `WEBHOOK`, expiring after the PSP's retry horizon.
pub fn webhook_item(provider: &str, event_id: &str, expires_at: OffsetDateTime) -> Item {
    let mut item = key(format!("WEBHOOK#{provider}#{event_id}"), "WEBHOOK");
    item.insert(
        TTL.to_string(),
        AttributeValue::N(expires_at.unix_timestamp().to_string()),
    );
    item
}

pub fn provider_payment_key(provider: &str, provider_payment: &str) -> Item {
    key(format!("PSPPAY#{provider}#{provider_payment}"), "PSPPAY")
}

/// The PSP payment id → our order and payment index.
pub fn provider_payment_item(provider: &str, provider_payment: &str, payment: &PaymentRef) -> Item {
    let mut item = provider_payment_key(provider, provider_payment);
    item.insert(
        "reference".into(),
        AttributeValue::S(payment.order_reference.as_str().to_owned()),
    );
    item.insert(
        "payment_id".into(),
        AttributeValue::S(payment.payment_id.clone()),
    );
    item
}

pub fn parse_provider_payment_item(item: &Item) -> Result<PaymentRef, StoreError> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(StoreError::Corrupt(format!(
            "PSP payment index without {name}"
        ))),
    };
    Ok(PaymentRef {
        order_reference: Reference::parse(&text("reference")?)
            .map_err(|e| StoreError::Corrupt(format!("PSP payment index reference: {e}")))?,
        payment_id: text("payment_id")?,
    })
}

pub const OUTBOX_PENDING: &str = "OUTBOX#PENDING";

pub fn outbox_key(id: &str) -> Item {
    key(format!("OUTBOX#{id}"), "OUTBOX")
}

pub fn parse_outbox_item(item: Item) -> Result<OutboxEvent, StoreError> {
    #[derive(Deserialize)]
    struct EventOnly {
        event: OutboxEvent,
    }
    let parsed: EventOnly =
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(parsed.event)
}
