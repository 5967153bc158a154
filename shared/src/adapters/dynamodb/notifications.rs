//! The notification store on the single table:
//! `COUNTER#invoice#<year>`/`COUNTER` (value), `INVOICE#<number>`/`INVOICE`,
//! `INVOICE_FOR#<order>#<payment>`/`INVOICE` (the same invoice: one read answers redeliveries),
//! `ORDER#<order>`/`DOCUMENT#<number>` (the same again, in the order's partition: one Query
//! lists an order's invoices and credit notes),
//! `EMAIL#<event>#<template>#<recipient digest>`/`EMAIL`.
//! Numbering is one TransactWriteItems (counter n → n+1, invoice, marker, order's document), so a number is used
//! exactly when its invoice exists: no gaps, no duplicates. A month summary, issued under its
//! month's marker, links each of its orders (`DOCUMENT#<number>`) and their payments
//! (`INVOICE_FOR#…`) to it by number: in the same transaction up to 97 links, the rest right
//! after and again on every redelivery.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::errors::store_error;
use super::items::{counter_key, key, parse_counter, Item, PK, SK};
use crate::domain::{Invoice, InvoiceDraft, Reference};
use crate::ports::{InvoiceStore, StoreError};

#[path = "notifications_emails.rs"]
mod emails;

/// Counter races settle with at least one winner per round: 50 concurrent issues need at most
/// 50 rounds, so this leaves room for throttling too.
const ISSUE_ATTEMPTS: u32 = 120;
const INVOICE_SK: &str = "INVOICE";

#[derive(Clone)]
pub struct DynamoNotificationStore {
    client: Client,
    table: String,
    /// Issuers in one process take turns: they would only race each other for the same
    /// counter value. Across processes the conditional transaction is the guard. (It also
    /// keeps moto, whose failed transactions restore a whole-table snapshot, consistent.)
    issuing: Arc<tokio::sync::Mutex<()>>,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

fn invoice_key(number: &str) -> Item {
    key(format!("INVOICE#{number}"), INVOICE_SK)
}

fn marker_key(order: &Reference, payment_id: &str) -> Item {
    key(format!("INVOICE_FOR#{order}#{payment_id}"), INVOICE_SK)
}

const DOCUMENT_PREFIX: &str = "DOCUMENT#";

fn order_document_key(order: &Reference, number: &str) -> Item {
    key(
        format!("ORDER#{order}"),
        &format!("{DOCUMENT_PREFIX}{number}"),
    )
}

fn with_invoice(mut item: Item, invoice: &Invoice) -> Result<Item, StoreError> {
    item.insert(
        "invoice".into(),
        serde_dynamo::to_attribute_value(invoice).map_err(corrupt)?,
    );
    item.insert("number".into(), AttributeValue::S(invoice.number.clone()));
    Ok(item)
}

fn parse_invoice(item: &Item) -> Result<Invoice, StoreError> {
    let value = item
        .get("invoice")
        .ok_or_else(|| corrupt("invoice item without invoice"))?;
    serde_dynamo::from_attribute_value(value.clone()).map_err(corrupt)
}

fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The order's copy: its partition key exists already (the order), so the condition is on the
/// sort key.
fn put_new_document(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#sk)")
        .expression_attribute_names("#sk", SK)
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// DynamoDB's limit on a TransactWriteItems.
const TRANSACTION_ITEMS: usize = 100;

/// What points a summarised order at its summary: the order's copy and each of its payments'
/// marker. They carry the number only (the invoice is read from `INVOICE#<number>`): a summary
/// copied whole into each of its orders would make the transaction too large.
fn summary_links(invoice: &Invoice) -> Vec<Item> {
    let draft = &invoice.draft;
    let documents = draft
        .orders()
        .into_iter()
        .map(|order| order_document_key(order, &invoice.number));
    let markers = draft
        .summarised_payments()
        .into_iter()
        .map(|(order, payment)| marker_key(order, payment));
    documents
        .chain(markers)
        .map(|mut item| {
            item.insert("number".into(), AttributeValue::S(invoice.number.clone()));
            item
        })
        .collect()
}

/// A link is written once, and writing it again is a no-op; one naming another invoice is
/// never overwritten.
fn put_link(table: &str, item: Item, number: &str) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#number) OR #number = :number")
        .expression_attribute_names("#number", "number")
        .expression_attribute_values(":number", AttributeValue::S(number.to_string()))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Jittered exponential backoff, capped at ~160 ms, so racing issuers spread out.
async fn backoff(attempt: u32) {
    let cap_ms = 5u64 << attempt.min(5);
    let jitter = (uuid::Uuid::new_v4().as_u128() % u128::from(cap_ms)) as u64;
    tokio::time::sleep(Duration::from_millis(jitter + 1)).await;
}

/// Why one numbering transaction failed.
enum IssueFailure {
    /// Someone else moved the counter, or the transaction collided: read and retry.
    Retry,
    /// The payment got its invoice meanwhile.
    AlreadyIssued,
    Fatal(StoreError),
}

impl DynamoNotificationStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            issuing: Arc::new(tokio::sync::Mutex::new(())),
        }
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

    /// An item that is the invoice, or names it (a summary's link).
    async fn resolve(&self, item: &Item) -> Result<Invoice, StoreError> {
        if item.contains_key("invoice") {
            return parse_invoice(item);
        }
        let number = match item.get("number") {
            Some(AttributeValue::S(number)) => number,
            _ => return Err(corrupt("an invoice link without a number")),
        };
        self.get_invoice(number)
            .await?
            .ok_or_else(|| corrupt(format!("invoice {number} missing")))
    }

    /// A summary's links from the `skip`th on, by transactions of at most 100 (each link
    /// written once: again is a no-op).
    async fn write_links(&self, invoice: &Invoice, skip: usize) -> Result<(), StoreError> {
        let links: Vec<Item> = summary_links(invoice).into_iter().skip(skip).collect();
        for chunk in links.chunks(TRANSACTION_ITEMS) {
            let items = chunk
                .iter()
                .map(|item| put_link(&self.table, item.clone(), &invoice.number))
                .collect::<Result<Vec<_>, _>>()?;
            self.client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
                .map_err(|e| match e.as_service_error() {
                    // A link naming another invoice; anything else (a conflicting redelivery,
                    // throttling) may pass on a retry.
                    Some(TransactWriteItemsError::TransactionCanceledException(c))
                        if c.cancellation_reasons()
                            .iter()
                            .any(|r| r.code() == Some("ConditionalCheckFailed")) =>
                    {
                        StoreError::Corrupt(format!(
                            "an order of {} is invoiced already",
                            invoice.number
                        ))
                    }
                    Some(TransactWriteItemsError::TransactionCanceledException(_)) => {
                        StoreError::Contention
                    }
                    _ => store_error(e),
                })?;
        }
        Ok(())
    }

    /// The issued invoice, a summary's links completed (a crash may have cut them short).
    async fn completed(&self, invoice: Invoice, skip: usize) -> Result<Invoice, StoreError> {
        if invoice.draft.summary.is_some() {
            self.write_links(&invoice, skip).await?;
        }
        Ok(invoice)
    }

    async fn try_issue(&self, invoice: &Invoice, from: u64) -> Result<(), IssueFailure> {
        let build = |r: Result<TransactWriteItem, StoreError>| r.map_err(IssueFailure::Fatal);
        let mut counter = Update::builder()
            .table_name(&self.table)
            .set_key(Some(counter_key(&invoice.draft.counter())))
            .update_expression("SET #value = :to")
            .expression_attribute_names("#value", "value")
            .expression_attribute_values(":to", AttributeValue::N(invoice.sequence.to_string()));
        counter = if from == 0 {
            counter
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
        } else {
            counter
                .condition_expression("#value = :from")
                .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
        };
        let counter = counter
            .build()
            .map_err(|e| IssueFailure::Fatal(build_error(e)))?;
        let invoice_item =
            with_invoice(invoice_key(&invoice.number), invoice).map_err(IssueFailure::Fatal)?;
        let marker_item = with_invoice(
            marker_key(&invoice.draft.order_reference, &invoice.draft.payment_id),
            invoice,
        )
        .map_err(IssueFailure::Fatal)?;
        let mut items = vec![
            TransactWriteItem::builder().update(counter).build(),
            build(put_new(&self.table, invoice_item))?,
            build(put_new(&self.table, marker_item))?,
        ];
        match &invoice.draft.summary {
            None => {
                let document_item = with_invoice(
                    order_document_key(&invoice.draft.order_reference, &invoice.number),
                    invoice,
                )
                .map_err(IssueFailure::Fatal)?;
                items.push(build(put_new_document(&self.table, document_item))?);
            }
            // The first links go in the numbering transaction; a summary of more orders than it
            // holds gets the rest right after (`write_links`, also on every redelivery).
            Some(_) => {
                for link in summary_links(invoice)
                    .into_iter()
                    .take(TRANSACTION_ITEMS - 3)
                {
                    items.push(build(put_link(&self.table, link, &invoice.number))?);
                }
            }
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                let codes: Vec<&str> = cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None"))
                    .collect();
                Err(issue_failure(&codes, &invoice.number))
            }
            Some(e) if e.code() == Some("TransactionConflictException") => Err(IssueFailure::Retry),
            _ => match store_error(err) {
                StoreError::Throttled => Err(IssueFailure::Retry),
                other => Err(IssueFailure::Fatal(other)),
            },
        }
    }
}

/// Reads the cancellation reasons of [counter, invoice, marker, links…], in that order.
fn issue_failure(codes: &[&str], number: &str) -> IssueFailure {
    match codes {
        [_, _, "ConditionalCheckFailed", ..] => IssueFailure::AlreadyIssued,
        // A summarised order's payment has another invoice: billing it again would double it.
        [_, _, _, links @ ..] if links.contains(&"ConditionalCheckFailed") => IssueFailure::Fatal(
            StoreError::Corrupt(format!("an order of {number} is invoiced already")),
        ),
        ["ConditionalCheckFailed", ..] => IssueFailure::Retry,
        // The counter allowed a number that is already used: the data is inconsistent.
        [_, "ConditionalCheckFailed", ..] => {
            IssueFailure::Fatal(StoreError::Corrupt(format!("invoice {number} exists")))
        }
        _ if codes.iter().any(|c| {
            matches!(
                *c,
                "TransactionConflict"
                    | "ThrottlingError"
                    | "ProvisionedThroughputExceeded"
                    | "RequestLimitExceeded"
            )
        }) =>
        {
            IssueFailure::Retry
        }
        _ => IssueFailure::Fatal(StoreError::Unavailable(format!(
            "invoice transaction cancelled: {codes:?}"
        ))),
    }
}

#[async_trait]
impl InvoiceStore for DynamoNotificationStore {
    async fn issue_invoice(&self, draft: &InvoiceDraft) -> Result<Invoice, StoreError> {
        let (order, payment) = (&draft.order_reference, draft.payment_id.as_str());
        if let Some(existing) = self.get_invoice_for(order, payment).await? {
            return self.completed(existing, 0).await;
        }
        let _turn = self.issuing.lock().await;
        let counter = counter_key(&draft.counter());
        for attempt in 0..ISSUE_ATTEMPTS {
            let current = parse_counter(self.get(counter.clone()).await?.as_ref())?;
            let invoice = draft.clone().numbered(current + 1);
            match self.try_issue(&invoice, current).await {
                Ok(()) => return self.completed(invoice, TRANSACTION_ITEMS - 3).await,
                Err(IssueFailure::AlreadyIssued) => {
                    let existing = self
                        .get_invoice_for(order, payment)
                        .await?
                        .ok_or_else(|| corrupt("invoice marker vanished"))?;
                    return self.completed(existing, 0).await;
                }
                Err(IssueFailure::Retry) => backoff(attempt).await,
                Err(IssueFailure::Fatal(e)) => return Err(e),
            }
        }
        Err(StoreError::Contention)
    }

    async fn get_invoice_for(
        &self,
        order: &Reference,
        payment_id: &str,
    ) -> Result<Option<Invoice>, StoreError> {
        match self.get(marker_key(order, payment_id)).await? {
            Some(item) => self.resolve(&item).await.map(Some),
            None => Ok(None),
        }
    }

    async fn get_invoice(&self, number: &str) -> Result<Option<Invoice>, StoreError> {
        match self.get(invoice_key(number)).await? {
            Some(item) => parse_invoice(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn documents_of(&self, order: &Reference) -> Result<Vec<Invoice>, StoreError> {
        // The SDK's paginator follows LastEvaluatedKey.
        let items: Vec<Item> = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", AttributeValue::S(format!("ORDER#{order}")))
            .expression_attribute_values(":prefix", AttributeValue::S(DOCUMENT_PREFIX.into()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(store_error)?;
        let mut documents = Vec::with_capacity(items.len());
        for item in &items {
            documents.push(self.resolve(item).await?);
        }
        documents
            .sort_by(|a, b| (a.draft.issued_on, &a.number).cmp(&(b.draft.issued_on, &b.number)));
        Ok(documents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation_reasons_decide_retry_or_reuse() {
        let n = "F-2026-000001";
        let cases = [
            (vec!["None", "None", "ConditionalCheckFailed"], "reuse"),
            (vec!["ConditionalCheckFailed", "None", "None"], "retry"),
            (vec!["TransactionConflict", "None", "None"], "retry"),
            (vec!["None", "ConditionalCheckFailed", "None"], "fatal"),
            (vec!["ValidationError", "None", "None"], "fatal"),
        ];
        for (codes, expected) in cases {
            let got = match issue_failure(&codes, n) {
                IssueFailure::AlreadyIssued => "reuse",
                IssueFailure::Retry => "retry",
                IssueFailure::Fatal(_) => "fatal",
            };
            assert_eq!(got, expected, "{codes:?}");
        }
    }
}
