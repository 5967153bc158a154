//! The outbox on GSI1: `OUTBOX#PENDING` lists what the relay must publish; a published
//! `invoice_due` event moves to `INVOICE#AWAITING` until the notifier confirms its email, so
//! the daily sweep finds invoices that never reached the customer. Other published events
//! leave the index.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::errors::{is_condition_failed, store_error};
use super::items::{outbox_key, parse_outbox_item, OUTBOX_PENDING, PK};
use crate::domain::OutboxEvent;
use crate::ports::StoreError;

pub const INVOICE_AWAITING: &str = "INVOICE#AWAITING";

fn page_size(limit: usize) -> i32 {
    i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000)
}

/// One conditional update of an outbox item; a missing item (or one already moved on) is not
/// an error: the change it stood for has happened.
async fn update_outbox_index(
    client: &Client,
    table: &str,
    id: &str,
    update: &str,
    condition: &str,
    values: &[(&str, &str)],
) -> Result<bool, StoreError> {
    let mut request = client
        .update_item()
        .table_name(table)
        .set_key(Some(outbox_key(id)))
        .update_expression(update)
        .condition_expression(condition)
        .expression_attribute_names("#pk", PK);
    for (name, value) in values {
        request = request.expression_attribute_values(*name, AttributeValue::S(value.to_string()));
    }
    match request.send().await {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failed(&e) => Ok(false),
        Err(e) => Err(store_error(e)),
    }
}

pub async fn pending(
    client: &Client,
    table: &str,
    limit: usize,
) -> Result<Vec<OutboxEvent>, StoreError> {
    let page = client
        .query()
        .table_name(table)
        .index_name("GSI1")
        .key_condition_expression("GSI1PK = :pending")
        .expression_attribute_values(":pending", AttributeValue::S(OUTBOX_PENDING.into()))
        .scan_index_forward(true)
        .limit(page_size(limit))
        .send()
        .await
        .map_err(store_error)?;
    page.items
        .unwrap_or_default()
        .into_iter()
        .map(parse_outbox_item)
        .collect()
}

pub async fn mark_published(
    client: &Client,
    table: &str,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    for event in events {
        let pending_only = "attribute_exists(#pk) AND GSI1PK = :pending";
        if event.kind.issues_invoice() {
            update_outbox_index(
                client,
                table,
                &event.id,
                "SET GSI1PK = :awaiting",
                pending_only,
                &[
                    (":pending", OUTBOX_PENDING),
                    (":awaiting", INVOICE_AWAITING),
                ],
            )
            .await?;
        } else {
            // Leaving the sparse index is what "published" means.
            update_outbox_index(
                client,
                table,
                &event.id,
                "REMOVE GSI1PK, GSI1SK",
                pending_only,
                &[(":pending", OUTBOX_PENDING)],
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn confirm_invoice_delivered(
    client: &Client,
    table: &str,
    event_id: &str,
) -> Result<(), StoreError> {
    update_outbox_index(
        client,
        table,
        event_id,
        "REMOVE GSI1PK, GSI1SK",
        "attribute_exists(#pk) AND GSI1PK = :awaiting",
        &[(":awaiting", INVOICE_AWAITING)],
    )
    .await
    .map(|_| ())
}

pub async fn requeue_undelivered_invoices(
    client: &Client,
    table: &str,
    created_before: OffsetDateTime,
    limit: usize,
) -> Result<Vec<OutboxEvent>, StoreError> {
    // GSI1SK is `<created, RFC 3339 UTC>#<id>`: a string comparison with the cutoff is a
    // time comparison.
    let cutoff = created_before
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let page = client
        .query()
        .table_name(table)
        .index_name("GSI1")
        .key_condition_expression("GSI1PK = :awaiting AND GSI1SK < :cutoff")
        .expression_attribute_values(":awaiting", AttributeValue::S(INVOICE_AWAITING.into()))
        .expression_attribute_values(":cutoff", AttributeValue::S(cutoff))
        .scan_index_forward(true)
        .limit(page_size(limit))
        .send()
        .await
        .map_err(store_error)?;
    let mut requeued = Vec::new();
    for item in page.items.unwrap_or_default() {
        let event = parse_outbox_item(item)?;
        let moved = update_outbox_index(
            client,
            table,
            &event.id,
            "SET GSI1PK = :pending",
            "attribute_exists(#pk) AND GSI1PK = :awaiting",
            &[
                (":pending", OUTBOX_PENDING),
                (":awaiting", INVOICE_AWAITING),
            ],
        )
        .await?;
        if moved {
            requeued.push(event);
        }
    }
    Ok(requeued)
}
