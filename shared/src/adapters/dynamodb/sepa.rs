//! SEPA items in the customer's partition: `CUSTOMER#<id>` / `MANDATE#<id>`, `SEPA` (the
//! standing) and `DD#<yyyy-mm>` (a month's debit). A month item keeps `total`, `status` and
//! `lines` as top-level attributes, so a purchase is one UpdateItem conditioned on the total
//! (`total <= cap - amount`): concurrent purchases can never pass the cap together. It is
//! listed on GSI1 `DDMONTH#<yyyy-mm>#<shard>` / `<customer>` for the month close.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::errors::store_error;
use super::items::{key, Item, PROFILE_SK, VERSION};
use super::transact::put_if_version;
use super::DynamoStore;
use crate::domain::sepa::{DebitLine, DebitMonth, DebitStatus, Mandate, MonthId, SepaAccount};
use crate::ports::{month_shard, SepaSnapshot, SepaStore, SepaWrite, StoreError, Versioned};

const MANDATE_PREFIX: &str = "MANDATE#";
const ACCOUNT_SK: &str = "SEPA";
const MONTH_PREFIX: &str = "DD#";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

fn customer_pk(customer_id: &str) -> String {
    format!("CUSTOMER#{customer_id}")
}

fn month_key(customer_id: &str, month: MonthId) -> Item {
    key(customer_pk(customer_id), &format!("{MONTH_PREFIX}{month}"))
}

fn month_index(month: MonthId, customer_id: &str) -> String {
    format!("DDMONTH#{month}#{:02}", month_shard(customer_id))
}

#[derive(Serialize, Deserialize)]
struct MandateItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    version: u64,
    mandate: Mandate,
}

#[derive(Serialize, Deserialize)]
struct AccountItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    version: u64,
    account: SepaAccount,
}

/// The month's fields other than `total`, `status` and `lines` (top-level attributes).
#[derive(Serialize, Deserialize)]
struct MonthItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    version: u64,
    debit: DebitMonth,
}

fn mandate_item(mandate: &Mandate, version: u64) -> Result<Item, StoreError> {
    serde_dynamo::to_item(MandateItem {
        pk: customer_pk(&mandate.customer_id),
        sk: format!("{MANDATE_PREFIX}{}", mandate.id),
        version,
        mandate: mandate.clone(),
    })
    .map_err(corrupt)
}

fn account_item(account: &SepaAccount, version: u64) -> Result<Item, StoreError> {
    serde_dynamo::to_item(AccountItem {
        pk: customer_pk(&account.customer_id),
        sk: ACCOUNT_SK.into(),
        version,
        account: account.clone(),
    })
    .map_err(corrupt)
}

fn line_value(line: &DebitLine) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(line).map_err(corrupt)
}

fn month_item(month: &DebitMonth, version: u64) -> Result<Item, StoreError> {
    let mut blob = month.clone();
    blob.lines.clear();
    let mut item: Item = serde_dynamo::to_item(MonthItem {
        pk: customer_pk(&month.customer_id),
        sk: format!("{MONTH_PREFIX}{}", month.month),
        gsi1pk: month_index(month.month, &month.customer_id),
        gsi1sk: month.customer_id.clone(),
        version,
        debit: blob,
    })
    .map_err(corrupt)?;
    let lines = month
        .lines
        .iter()
        .map(|(id, line)| Ok((id.clone(), line_value(line)?)))
        .collect::<Result<HashMap<_, _>, StoreError>>()?;
    item.insert("lines".into(), AttributeValue::M(lines));
    item.insert("total".into(), AttributeValue::N(month.total.to_string()));
    item.insert(
        "status".into(),
        AttributeValue::S(month.status.as_str().into()),
    );
    Ok(item)
}

fn parse_month_item(mut item: Item) -> Result<Versioned<DebitMonth>, StoreError> {
    let total = match item.remove("total") {
        Some(AttributeValue::N(n)) => n.parse::<Decimal>().map_err(corrupt)?,
        other => return Err(corrupt(format!("month total {other:?}"))),
    };
    let status = match item.remove("status") {
        Some(AttributeValue::S(s)) => DebitStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| corrupt(format!("month status {s:?}")))?,
        other => return Err(corrupt(format!("month status {other:?}"))),
    };
    let lines = match item.remove("lines") {
        Some(AttributeValue::M(lines)) => lines
            .into_iter()
            .map(|(id, v)| Ok((id, serde_dynamo::from_attribute_value(v).map_err(corrupt)?)))
            .collect::<Result<_, StoreError>>()?,
        _ => Default::default(),
    };
    let parsed: MonthItem = serde_dynamo::from_item(item).map_err(corrupt)?;
    let mut debit = parsed.debit;
    debit.total = total;
    debit.status = status;
    debit.lines = lines;
    Ok(Versioned {
        value: debit,
        version: parsed.version,
    })
}

/// A purchase added to a month that exists: the cap held by the condition on `total`.
fn add_line_update(
    table: &str,
    customer_id: &str,
    month: MonthId,
    payment_id: &str,
    line: &DebitLine,
    room: Decimal,
) -> Result<Update, StoreError> {
    Update::builder()
        .table_name(table)
        .set_key(Some(month_key(customer_id, month)))
        .update_expression("SET #lines.#payment = :line ADD #total :amount, #v :one")
        .condition_expression(
            "#status = :open AND #total <= :room AND attribute_not_exists(#lines.#payment)",
        )
        .expression_attribute_names("#lines", "lines")
        .expression_attribute_names("#payment", payment_id)
        .expression_attribute_names("#total", "total")
        .expression_attribute_names("#status", "status")
        .expression_attribute_names("#v", VERSION)
        .expression_attribute_values(":line", line_value(line)?)
        .expression_attribute_values(":amount", AttributeValue::N(line.amount.to_string()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .expression_attribute_values(
            ":open",
            AttributeValue::S(DebitStatus::Open.as_str().into()),
        )
        .expression_attribute_values(":room", AttributeValue::N(room.to_string()))
        .build()
        .map_err(build_error)
}

/// The DynamoDB operation for one SEPA write.
pub fn transact_item(table: &str, write: &SepaWrite) -> Result<TransactWriteItem, StoreError> {
    let next = |expected: &Option<u64>| expected.map_or(1, |v| v + 1);
    let put = match write {
        SepaWrite::PutMandate {
            mandate,
            expected_version,
        } => put_if_version(
            table,
            mandate_item(mandate, next(expected_version))?,
            *expected_version,
        )?,
        SepaWrite::PutAccount {
            account,
            expected_version,
        } => put_if_version(
            table,
            account_item(account, next(expected_version))?,
            *expected_version,
        )?,
        SepaWrite::PutMonth {
            month,
            expected_version,
        } => put_if_version(
            table,
            month_item(month, next(expected_version))?,
            *expected_version,
        )?,
        SepaWrite::AddLine {
            customer_id,
            month,
            payment_id,
            line,
            creates: true,
            ..
        } => {
            let mut debit = DebitMonth::new(customer_id, *month, line.at);
            debit.add_line(payment_id, line.clone());
            put_if_version(table, month_item(&debit, 1)?, None)?
        }
        SepaWrite::AddLine {
            customer_id,
            month,
            payment_id,
            line,
            room,
            creates: false,
        } => {
            let update = add_line_update(table, customer_id, *month, payment_id, line, *room)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        SepaWrite::ConfirmAccount {
            customer_id,
            version,
        } => {
            let check = ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(key(customer_pk(customer_id), ACCOUNT_SK)))
                .condition_expression("#v = :expected")
                .expression_attribute_names("#v", VERSION)
                .expression_attribute_values(":expected", AttributeValue::N(version.to_string()))
                .build()
                .map_err(build_error)?;
            return Ok(TransactWriteItem::builder().condition_check(check).build());
        }
    };
    Ok(TransactWriteItem::builder().put(put).build())
}

fn sort_key(item: &Item) -> &str {
    match item.get("SK") {
        Some(AttributeValue::S(s)) => s.as_str(),
        _ => "",
    }
}

fn add_to_snapshot(snapshot: &mut SepaSnapshot, item: Item) -> Result<(), StoreError> {
    let sk = sort_key(&item).to_string();
    if sk.starts_with(MANDATE_PREFIX) {
        let parsed: MandateItem = serde_dynamo::from_item(item).map_err(corrupt)?;
        snapshot.mandates.push(Versioned {
            value: parsed.mandate,
            version: parsed.version,
        });
    } else if sk == ACCOUNT_SK {
        let parsed: AccountItem = serde_dynamo::from_item(item).map_err(corrupt)?;
        snapshot.account = Some(Versioned {
            value: parsed.account,
            version: parsed.version,
        });
    } else if sk.starts_with(MONTH_PREFIX) {
        snapshot.months.push(parse_month_item(item)?);
    } else if sk == PROFILE_SK {
        let (value, version) = super::items::parse_customer_item(item)?;
        snapshot.profile = Some(Versioned { value, version });
    }
    Ok(())
}

#[async_trait]
impl SepaStore for DynamoStore {
    async fn load_sepa(&self, customer_id: &str) -> Result<SepaSnapshot, StoreError> {
        let mut snapshot = SepaSnapshot::default();
        let mut start = None;
        loop {
            let page = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(customer_pk(customer_id)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            for item in page.items.unwrap_or_default() {
                add_to_snapshot(&mut snapshot, item)?;
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        snapshot.mandates.sort_by(|a, b| {
            (a.value.created_at, &a.value.id).cmp(&(b.value.created_at, &b.value.id))
        });
        snapshot
            .months
            .sort_by_key(|m| std::cmp::Reverse(m.value.month));
        Ok(snapshot)
    }

    async fn get_debit_month(
        &self,
        customer_id: &str,
        month: MonthId,
    ) -> Result<Option<Versioned<DebitMonth>>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(month_key(customer_id, month)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        out.item.map(parse_month_item).transpose()
    }

    async fn month_customers(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let items = self
            .month_page(month, shard, after, limit, Some("GSI1SK"))
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|item| match item.get("GSI1SK") {
                Some(AttributeValue::S(s)) => Some(s.clone()),
                _ => None,
            })
            .collect())
    }

    async fn month_debits(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DebitMonth>, StoreError> {
        let items = self.month_page(month, shard, after, limit, None).await?;
        items
            .into_iter()
            .map(|item| parse_month_item(item).map(|m| m.value))
            .collect()
    }
}

impl DynamoStore {
    /// One Query of a month's index shard, after the customer `after`.
    async fn month_page(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let partition = format!("DDMONTH#{month}#{shard:02}");
        let start = after.map(|customer| {
            let mut start = month_key(customer, month);
            start.insert("GSI1PK".into(), AttributeValue::S(partition.clone()));
            start.insert("GSI1SK".into(), AttributeValue::S(customer.to_string()));
            start
        });
        let page = self
            .client()
            .query()
            .table_name(self.table())
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :shard")
            .expression_attribute_values(":shard", AttributeValue::S(partition))
            .set_projection_expression(projection.map(str::to_string))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000))
            .send()
            .await
            .map_err(store_error)?;
        Ok(page.items.unwrap_or_default())
    }
}
