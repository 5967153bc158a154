//! The DynamoDB store: one table, items keyed `PK`/`SK`, every change conditional.

mod account;
mod code_guesses;
mod errors;
pub mod items;
mod lookup;
pub mod notifications;
mod outbox;
mod promos;
pub mod request_counter;
pub mod schema;
mod sepa;
mod tenders;
pub mod transact;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use time::OffsetDateTime;

use self::errors::{is_condition_failed, store_error};
use self::items::*;
pub use self::request_counter::{Exchange, RequestCounter};
use crate::domain::{CustomerProfile, Order, OutboxEvent, Reference};
use crate::ports::decide_claim;
use crate::ports::{
    Claim, CounterStore, CustomerStore, IdempotencyKey, IdempotencyStore, OrderStore,
    OrderWithPayments, OutboxStore, PaymentRef, StoreError, Transactions, Versioned, Write,
};

/// How many times BatchGetItem's unprocessed keys are retried before giving up.
const BATCH_GET_ATTEMPTS: u32 = 5;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// Builds a DynamoDB client from the environment (`AWS_ENDPOINT_URL` reaches an emulator), with
/// an optional request counter. Call once at init and share the client.
pub async fn client_from_env(counter: Option<RequestCounter>) -> Client {
    client_from_config(&aws_config::load_from_env().await, counter)
}

/// `client_from_env` on an AWS configuration already loaded (one load per cold start).
pub fn client_from_config(
    sdk_config: &aws_config::SdkConfig,
    counter: Option<RequestCounter>,
) -> Client {
    let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk_config);
    if let Some(counter) = counter {
        builder = builder.interceptor(counter);
    }
    Client::from_conf(builder.build())
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Opens the connection (TLS, credentials) at init so the first request does not pay for it.
    /// A GetItem on a key that never exists needs no permission beyond the function's own.
    pub async fn warm_up(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key("WARMUP".into(), "WARMUP")))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(out.item)
    }

    /// One BatchGetItem for a handful of keys; unprocessed keys (throttling) are retried.
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut pending = keys;
        let mut found = Vec::new();
        for attempt in 0..BATCH_GET_ATTEMPTS {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(store_error)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|k| k.keys)
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(found);
            }
            tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
        }
        Err(StoreError::Throttled)
    }

    /// A single order write as one PutItem (half the write cost of a one-item transaction), with
    /// the same condition the transaction would use.
    async fn put_order(&self, write: Write) -> Result<(), StoreError> {
        let put = transact::item_put(&self.table, &write)?
            .ok_or_else(|| StoreError::Unavailable(format!("{} is not a put", write.describe())))?;
        let result = self
            .client
            .put_item()
            .table_name(put.table_name())
            .set_item(Some(put.item().clone()))
            .set_condition_expression(put.condition_expression().map(str::to_string))
            .set_expression_attribute_names(put.expression_attribute_names().cloned())
            .set_expression_attribute_values(put.expression_attribute_values().cloned())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(transact::condition_failed(&write)),
            Err(e) => Err(store_error(e)),
        }
    }
}

fn pk_of(item: &Item) -> Option<&str> {
    match item.get(PK) {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    }
}

#[async_trait]
impl Transactions for DynamoStore {
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        transact::transact_write(&self.client, &self.table, &writes).await
    }
}

/// The payments of a GSI1 page (the index projects whole items).
fn payments_of(
    page: Option<Vec<std::collections::HashMap<String, AttributeValue>>>,
) -> Result<Vec<crate::domain::Payment>, StoreError> {
    page.unwrap_or_default()
        .into_iter()
        .map(|item| items::parse_payment_item(item).map(|(payment, _)| payment))
        .collect()
}

impl DynamoStore {
    /// GSI1 `INSTALMENT#DUE` up to the end of `until` (`~` sorts after the `#` that follows
    /// the date), from after `after` (its keys rebuilt: they are derived from the payment).
    async fn query_due_instalments(
        &self,
        until: time::Date,
        after: Option<&crate::domain::Payment>,
        limit: usize,
    ) -> Result<Vec<crate::domain::Payment>, StoreError> {
        let start = after.and_then(|p| Some((p, p.due_on?))).map(|(p, due_on)| {
            std::collections::HashMap::from([
                (
                    "PK".to_string(),
                    AttributeValue::S(format!("ORDER#{}", p.order_reference)),
                ),
                (
                    "SK".to_string(),
                    AttributeValue::S(format!("{}{}", items::PAYMENT_PREFIX, p.id)),
                ),
                (
                    "GSI1PK".to_string(),
                    AttributeValue::S(items::INSTALMENT_DUE.into()),
                ),
                (
                    "GSI1SK".to_string(),
                    AttributeValue::S(items::due_sort_key(due_on, p)),
                ),
            ])
        });
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :due AND GSI1SK < :bound")
            .expression_attribute_values(":due", AttributeValue::S(items::INSTALMENT_DUE.into()))
            .expression_attribute_values(":bound", AttributeValue::S(format!("{until}~")))
            .scan_index_forward(true)
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000))
            .send()
            .await
            .map_err(store_error)?;
        payments_of(page.items)
    }

    /// GSI1 `REVIEW#PENDING`: payment items carry it while their review is pending.
    async fn query_pending_reviews(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::domain::Payment>, StoreError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :pending")
            .expression_attribute_values(
                ":pending",
                AttributeValue::S(items::REVIEW_PENDING.into()),
            )
            .scan_index_forward(true)
            .limit(i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000))
            .send()
            .await
            .map_err(store_error)?;
        payments_of(page.items)
    }
}

#[async_trait]
impl OrderStore for DynamoStore {
    async fn pending_reviews(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::domain::Payment>, StoreError> {
        self.query_pending_reviews(limit).await
    }

    async fn due_instalments(
        &self,
        until: time::Date,
        after: Option<&crate::domain::Payment>,
        limit: usize,
    ) -> Result<Vec<crate::domain::Payment>, StoreError> {
        self.query_due_instalments(until, after, limit).await
    }

    async fn get_order(
        &self,
        reference: &Reference,
    ) -> Result<Option<Versioned<Order>>, StoreError> {
        self.get(order_key(reference))
            .await?
            .map(|item| parse_order_item(item).map(|(value, version)| Versioned { value, version }))
            .transpose()
    }

    async fn get_order_with_payments(
        &self,
        reference: &Reference,
    ) -> Result<Option<OrderWithPayments>, StoreError> {
        let mut order = None;
        let mut payments = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", AttributeValue::S(format!("ORDER#{reference}")))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            for item in page.items.unwrap_or_default() {
                match item.get(SK) {
                    Some(AttributeValue::S(sk)) if sk == "ORDER" => {
                        let (value, version) = parse_order_item(item)?;
                        order = Some(Versioned { value, version });
                    }
                    Some(AttributeValue::S(sk)) if sk.starts_with(PAYMENT_PREFIX) => {
                        let (value, version) = parse_payment_item(item)?;
                        payments.push(Versioned { value, version });
                    }
                    _ => {}
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        payments.sort_by(|a, b| {
            (a.value.created_at, &a.value.id).cmp(&(b.value.created_at, &b.value.id))
        });
        Ok(order.map(|order| OrderWithPayments { order, payments }))
    }

    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        self.put_order(Write::InsertOrder(order.clone())).await
    }

    async fn update_order(&self, order: &Order, expected_version: u64) -> Result<u64, StoreError> {
        self.put_order(Write::UpdateOrder {
            order: order.clone(),
            expected_version,
        })
        .await?;
        Ok(expected_version + 1)
    }

    async fn find_provider_payment(
        &self,
        provider: &str,
        provider_payment: &str,
    ) -> Result<Option<PaymentRef>, StoreError> {
        self.get(provider_payment_key(provider, provider_payment))
            .await?
            .map(|item| parse_provider_payment_item(&item))
            .transpose()
    }
}

#[async_trait]
impl CustomerStore for DynamoStore {
    async fn get_customer(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<CustomerProfile>>, StoreError> {
        self.get(customer_key(id))
            .await?
            .map(|item| {
                parse_customer_item(item).map(|(value, version)| Versioned { value, version })
            })
            .transpose()
    }
}

#[async_trait]
impl CounterStore for DynamoStore {
    async fn read_counter(&self, name: &str) -> Result<u64, StoreError> {
        parse_counter(self.get(counter_key(name)).await?.as_ref())
    }
}

#[async_trait]
impl OutboxStore for DynamoStore {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        outbox::pending(&self.client, &self.table, limit).await
    }

    async fn mark_outbox_published(&self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        outbox::mark_published(&self.client, &self.table, events).await
    }

    async fn confirm_invoice_delivered(&self, event_id: &str) -> Result<(), StoreError> {
        outbox::confirm_invoice_delivered(&self.client, &self.table, event_id).await
    }

    async fn requeue_undelivered_invoices(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        outbox::requeue_undelivered_invoices(&self.client, &self.table, created_before, limit).await
    }
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn claim(
        &self,
        key: &IdempotencyKey,
        request_hash: &str,
        in_progress_until: OffsetDateTime,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let mut item = idempotency_key(key);
        item.insert("status".into(), AttributeValue::S(IN_PROGRESS.into()));
        item.insert(
            "request_hash".into(),
            AttributeValue::S(request_hash.into()),
        );
        let until = AttributeValue::N(in_progress_until.unix_timestamp().to_string());
        item.insert("in_progress_until".into(), until);
        let expires = AttributeValue::N(expires_at.unix_timestamp().to_string());
        item.insert("expires_at".into(), expires.clone());
        item.insert(TTL.into(), expires);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // Free, expired, or claimed by a request whose Lambda ran out of time.
            .condition_expression(
                "attribute_not_exists(#pk) OR expires_at <= :now \
                 OR (#status = :in_progress AND in_progress_until <= :now)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":now",
                AttributeValue::N(now.unix_timestamp().to_string()),
            )
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.into()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let existing = failed.item().map(parse_idempotency_record).transpose()?;
                    Ok(match decide_claim(existing.as_ref(), request_hash, now) {
                        // The store refused the claim: someone holds it (clocks disagree).
                        Claim::Acquired => Claim::InProgress,
                        other => other,
                    })
                }
                _ => Err(store_error(e)),
            },
        }
    }

    async fn release(&self, key: &IdempotencyKey, request_hash: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(idempotency_key(key)))
            .condition_expression("#status = :in_progress AND request_hash = :hash")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.into()))
            .expression_attribute_values(":hash", AttributeValue::S(request_hash.into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Not ours any more (completed, or claimed again): leave it.
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}
