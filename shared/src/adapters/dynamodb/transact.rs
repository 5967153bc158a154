//! TransactWriteItems for domain writes: builds each item's conditional operation and maps the
//! per-item cancellation reasons back to domain errors.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::errors::store_error;
use super::items::{
    counter_key, customer_item, idempotency_key, order_item, outbox_item, payment_item,
    provider_payment_item, webhook_item, COMPLETED, IN_PROGRESS, PK, TTL, VERSION,
};
use crate::ports::{IdempotencyCompletion, StoreError, Write};

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

/// A Put that creates the item (`expected` None) or replaces it at that version.
pub(super) fn put_if_version(
    table: &str,
    item: super::items::Item,
    expected: Option<u64>,
) -> Result<Put, StoreError> {
    let put = Put::builder().table_name(table).set_item(Some(item));
    match expected {
        None => put
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK),
        Some(v) => put
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", VERSION)
            .expression_attribute_values(":expected", AttributeValue::N(v.to_string())),
    }
    .build()
    .map_err(build_error)
}

/// The conditional Put behind an order or payment write; also sent on its own as a PutItem, so
/// the conditions live in one place.
pub fn item_put(table: &str, write: &Write) -> Result<Option<Put>, StoreError> {
    let (item, expected) = match write {
        Write::InsertOrder(order) => (order_item(order, 1)?, None),
        Write::UpdateOrder {
            order,
            expected_version,
        } => (
            order_item(order, expected_version + 1)?,
            Some(*expected_version),
        ),
        Write::PutPayment {
            payment,
            expected_version,
        } => (
            payment_item(payment, expected_version.map_or(1, |v| v + 1))?,
            *expected_version,
        ),
        Write::PutCustomer {
            customer,
            expected_version,
        } => (
            customer_item(customer, expected_version.map_or(1, |v| v + 1))?,
            *expected_version,
        ),
        Write::PutOutbox(event) => (outbox_item(event)?, None),
        Write::RecordWebhook {
            provider,
            event_id,
            expires_at,
        } => (webhook_item(provider, event_id, *expires_at), None),
        Write::IndexProviderPayment {
            provider,
            provider_payment,
            payment,
        } => {
            // The same PSP id always maps to the same payment: no condition to check.
            let item = provider_payment_item(provider, provider_payment, payment);
            return Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .build()
                .map(Some)
                .map_err(build_error);
        }
        Write::AdvanceCounter { .. }
        | Write::CompleteIdempotency(_)
        | Write::Sepa(_)
        | Write::Tender(_) => return Ok(None),
    };
    put_if_version(table, item, expected).map(Some)
}

/// INPROGRESS → COMPLETED with the response, only if the record is still this request's claim.
fn complete_idempotency(
    table: &str,
    completion: &IdempotencyCompletion,
) -> Result<TransactWriteItem, StoreError> {
    let expires = completion.expires_at.unix_timestamp().to_string();
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(idempotency_key(&completion.key)))
        .update_expression(
            "SET #status = :completed, response_status = :code, response_body = :body, \
             expires_at = :expires, #ttl = :expires REMOVE in_progress_until",
        )
        .condition_expression("#status = :in_progress AND request_hash = :hash")
        .expression_attribute_names("#status", "status")
        .expression_attribute_names("#ttl", TTL)
        .expression_attribute_values(":completed", AttributeValue::S(COMPLETED.into()))
        .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.into()))
        .expression_attribute_values(":hash", AttributeValue::S(completion.request_hash.clone()))
        .expression_attribute_values(
            ":code",
            AttributeValue::N(completion.response.status.to_string()),
        )
        .expression_attribute_values(":body", AttributeValue::S(completion.response.body.clone()))
        .expression_attribute_values(":expires", AttributeValue::N(expires))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The DynamoDB operation for one domain write, conditional as the write demands.
pub fn transact_item(table: &str, write: &Write) -> Result<TransactWriteItem, StoreError> {
    if let Some(put) = item_put(table, write)? {
        return Ok(TransactWriteItem::builder().put(put).build());
    }
    if let Write::CompleteIdempotency(completion) = write {
        return complete_idempotency(table, completion);
    }
    if let Write::Sepa(sepa) = write {
        return super::sepa::transact_item(table, sepa);
    }
    if let Write::Tender(tender) = write {
        return super::tenders::transact_item(table, tender);
    }
    let Write::AdvanceCounter { name, from, to } = write else {
        return Err(StoreError::Unavailable(format!(
            "no operation for {}",
            write.describe()
        )));
    };
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(counter_key(name)))
        .update_expression("SET #value = :to")
        .expression_attribute_names("#value", "value")
        .expression_attribute_values(":to", AttributeValue::N(to.to_string()));
    update = if *from == 0 {
        update
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
    } else {
        update
            .condition_expression("#value = :from")
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
    };
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(build_error)?)
        .build())
}

/// What a failed condition on this write means to the caller.
pub fn condition_failed(write: &Write) -> StoreError {
    match write {
        Write::Sepa(sepa) if sepa.creates() => StoreError::AlreadyExists(write.describe()),
        Write::Sepa(_) => StoreError::VersionConflict(write.describe()),
        Write::Tender(tender) if tender.creates() => StoreError::AlreadyExists(write.describe()),
        Write::Tender(_) => StoreError::VersionConflict(write.describe()),
        Write::InsertOrder(_) => StoreError::AlreadyExists(write.describe()),
        Write::PutPayment {
            expected_version: None,
            ..
        }
        | Write::PutCustomer {
            expected_version: None,
            ..
        }
        | Write::PutOutbox(_)
        | Write::RecordWebhook { .. }
        | Write::IndexProviderPayment { .. } => StoreError::AlreadyExists(write.describe()),
        Write::UpdateOrder { .. }
        | Write::AdvanceCounter { .. }
        | Write::PutPayment { .. }
        | Write::PutCustomer { .. }
        | Write::CompleteIdempotency(_) => StoreError::VersionConflict(write.describe()),
    }
}

/// Maps DynamoDB's per-item cancellation reasons (same order as the request) to the first
/// domain error that explains the cancellation.
pub fn cancellation_error(writes: &[Write], reason_codes: &[Option<&str>]) -> StoreError {
    let mut fallback = StoreError::Contention;
    for (write, code) in writes.iter().zip(reason_codes) {
        match code.unwrap_or("None") {
            "None" => {}
            "ConditionalCheckFailed" => return condition_failed(write),
            "TransactionConflict" => fallback = StoreError::Contention,
            "ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded" => {
                fallback = StoreError::Throttled
            }
            other => fallback = StoreError::Unavailable(format!("transaction item: {other}")),
        }
    }
    fallback
}

pub async fn transact_write(
    client: &Client,
    table: &str,
    writes: &[Write],
) -> Result<(), StoreError> {
    if writes.is_empty() {
        return Ok(());
    }
    let items = writes
        .iter()
        .map(|w| transact_item(table, w))
        .collect::<Result<Vec<_>, _>>()?;
    let result = client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(err) => match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                let codes: Vec<Option<&str>> = cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code())
                    .collect();
                Err(cancellation_error(writes, &codes))
            }
            Some(e) if e.code() == Some("TransactionConflictException") => {
                Err(StoreError::Contention)
            }
            _ => Err(store_error(err)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation_reasons_name_the_failed_write() {
        let order = crate::domain::order::tests::sample_order("ORD-1");
        let writes = vec![
            Write::AdvanceCounter {
                name: "c".into(),
                from: 1,
                to: 2,
            },
            Write::InsertOrder(order),
        ];
        assert_eq!(
            cancellation_error(&writes, &[Some("None"), Some("ConditionalCheckFailed")]),
            StoreError::AlreadyExists(crate::ports::ItemRef::new(
                crate::ports::ItemKind::Order,
                "ORD-1"
            ))
        );
        assert_eq!(
            cancellation_error(&writes, &[Some("ConditionalCheckFailed"), None]),
            StoreError::VersionConflict(crate::ports::ItemRef::new(
                crate::ports::ItemKind::Counter,
                "c"
            ))
        );
        assert_eq!(
            cancellation_error(&writes, &[Some("ThrottlingError"), Some("None")]),
            StoreError::Throttled
        );
        assert_eq!(
            cancellation_error(&writes, &[Some("TransactionConflict"), Some("None")]),
            StoreError::Contention
        );
    }
}
