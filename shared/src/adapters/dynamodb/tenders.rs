//! Vouchers, balances and the audit trail in the single table.
//!
//! - `VOUCHER#<id>` / `VOUCHER`: `balance` (N), `status`, `expires_on` (`yyyy-mm-dd`, so it
//!   compares as text) at the top level, the rest of the voucher under `voucher`;
//! - `CUSTOMER#<id>` / `BALANCE#<currency>`: `credit`, `outstanding`, `maximum` (N) and
//!   `allowed` at the top level;
//! - `AUDIT#<subject>` / `<at>#<uuid>`: one entry of the audit trail.
//!
//! A reservation is one UpdateItem that ADDs a negative amount on condition of the balance
//! (`balance >= :need`, `outstanding <= :room`): the limit is the write's own condition.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, TransactWriteItem, Update};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use super::errors::store_error;
use super::items::{key, Item, PK, VERSION};
use super::promos;
use super::transact::put_if_version;
use super::DynamoStore;
use crate::domain::tenders::{AuditEntry, CustomerBalance, OnAccount, Voucher, VoucherStatus};
use crate::domain::Currency;
use crate::ports::{
    CheckoutReads, StoreError, TenderSnapshot, TenderStore, TenderWrite, Versioned,
};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building request: {e}"))
}

fn voucher_key(id: &str) -> Item {
    key(format!("VOUCHER#{id}"), "VOUCHER")
}

fn balance_key(customer_id: &str, currency: Currency) -> Item {
    key(
        format!("CUSTOMER#{customer_id}"),
        &format!("BALANCE#{}", currency.code()),
    )
}

fn audit_pk(subject: &str) -> String {
    format!("AUDIT#{subject}")
}

fn day(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn number(value: Decimal) -> AttributeValue {
    AttributeValue::N(value.normalize().to_string())
}

fn read_number(item: &Item, name: &str) -> Result<Decimal, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| corrupt(format!("{name} {n:?} is not a number"))),
        None => Ok(Decimal::ZERO),
        Some(other) => Err(corrupt(format!("{name} is {other:?}"))),
    }
}

fn read_version(item: &Item) -> Result<u64, StoreError> {
    match item.get(VERSION) {
        Some(AttributeValue::N(n)) => n.parse().map_err(corrupt),
        _ => Err(corrupt("no version")),
    }
}

#[derive(Serialize, Deserialize)]
struct VoucherItem {
    voucher: Voucher,
}

fn voucher_item(voucher: &Voucher, version: u64) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(VoucherItem {
        voucher: voucher.clone(),
    })
    .map_err(corrupt)?;
    item.extend(voucher_key(&voucher.id));
    item.insert(VERSION.into(), AttributeValue::N(version.to_string()));
    item.insert("balance".into(), number(voucher.balance));
    item.insert(
        "status".into(),
        AttributeValue::S(voucher.status.as_str().into()),
    );
    item.insert(
        "expires_on".into(),
        AttributeValue::S(day(voucher.expires_on)),
    );
    Ok(item)
}

fn parse_voucher(item: Item) -> Result<Versioned<Voucher>, StoreError> {
    let version = read_version(&item)?;
    let balance = read_number(&item, "balance")?;
    let parsed: VoucherItem = serde_dynamo::from_item(item).map_err(corrupt)?;
    let mut voucher = parsed.voucher;
    voucher.balance = balance;
    Ok(Versioned {
        value: voucher,
        version,
    })
}

fn balance_item(balance: &CustomerBalance, version: u64) -> Item {
    let mut item = balance_key(&balance.customer_id, balance.currency);
    item.insert(VERSION.into(), AttributeValue::N(version.to_string()));
    item.insert(
        "customer_id".into(),
        AttributeValue::S(balance.customer_id.clone()),
    );
    item.insert(
        "currency".into(),
        AttributeValue::S(balance.currency.code().into()),
    );
    item.insert("credit".into(), number(balance.credit));
    item.insert(
        "allowed".into(),
        AttributeValue::Bool(balance.on_account.allowed),
    );
    item.insert("maximum".into(), number(balance.on_account.maximum));
    item.insert("outstanding".into(), number(balance.on_account.outstanding));
    item
}

fn parse_balance(item: &Item) -> Result<Versioned<CustomerBalance>, StoreError> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(corrupt(format!("balance without {name}"))),
    };
    let currency = Currency::from_code(&text("currency")?).map_err(corrupt)?;
    Ok(Versioned {
        version: read_version(item)?,
        value: CustomerBalance {
            customer_id: text("customer_id")?,
            currency,
            credit: read_number(item, "credit")?,
            on_account: OnAccount {
                allowed: matches!(item.get("allowed"), Some(AttributeValue::Bool(true))),
                maximum: read_number(item, "maximum")?,
                outstanding: read_number(item, "outstanding")?,
            },
        },
    })
}

fn audit_item(entry: &AuditEntry) -> Result<Item, StoreError> {
    let at = entry
        .at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(corrupt)?;
    let mut item: Item = serde_dynamo::to_item(entry).map_err(corrupt)?;
    item.extend(key(
        audit_pk(&entry.subject),
        &format!("{at}#{}", uuid::Uuid::new_v4().simple()),
    ));
    Ok(item)
}

fn adjust_voucher(
    table: &str,
    voucher: &str,
    delta: Decimal,
    usable_on: Option<Date>,
) -> Result<Update, StoreError> {
    let mut conditions = vec!["attribute_exists(#pk)"];
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(voucher_key(voucher)))
        .update_expression("ADD #balance :delta, #v :one")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#balance", "balance")
        .expression_attribute_names("#v", VERSION)
        .expression_attribute_values(":delta", number(delta))
        .expression_attribute_values(":one", AttributeValue::N("1".into()));
    if delta < Decimal::ZERO {
        conditions.push("#balance >= :need");
        update = update.expression_attribute_values(":need", number(-delta));
    }
    if let Some(on) = usable_on {
        conditions.push("#status = :active AND #expires >= :day");
        update = update
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#expires", "expires_on")
            .expression_attribute_values(
                ":active",
                AttributeValue::S(VoucherStatus::Active.as_str().into()),
            )
            .expression_attribute_values(":day", AttributeValue::S(day(on)));
    }
    update
        .condition_expression(conditions.join(" AND "))
        .build()
        .map_err(build_error)
}

fn adjust_balance(
    table: &str,
    customer_id: &str,
    currency: Currency,
    credit: Decimal,
    outstanding: Decimal,
    maximum_seen: Option<Decimal>,
) -> Result<Update, StoreError> {
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(balance_key(customer_id, currency)))
        .update_expression(
            "SET #customer = :customer, #currency = :currency, \
             #allowed = if_not_exists(#allowed, :no), #maximum = if_not_exists(#maximum, :zero) \
             ADD #credit :credit, #outstanding :outstanding, #v :one",
        )
        .expression_attribute_names("#customer", "customer_id")
        .expression_attribute_names("#currency", "currency")
        .expression_attribute_names("#allowed", "allowed")
        .expression_attribute_names("#maximum", "maximum")
        .expression_attribute_names("#credit", "credit")
        .expression_attribute_names("#outstanding", "outstanding")
        .expression_attribute_names("#v", VERSION)
        .expression_attribute_values(":customer", AttributeValue::S(customer_id.into()))
        .expression_attribute_values(":currency", AttributeValue::S(currency.code().into()))
        .expression_attribute_values(":no", AttributeValue::Bool(false))
        .expression_attribute_values(":zero", AttributeValue::N("0".into()))
        .expression_attribute_values(":credit", number(credit))
        .expression_attribute_values(":outstanding", number(outstanding))
        .expression_attribute_values(":one", AttributeValue::N("1".into()));
    let mut conditions = Vec::new();
    if credit < Decimal::ZERO {
        conditions.push("#credit >= :credit_need");
        update = update.expression_attribute_values(":credit_need", number(-credit));
    }
    if outstanding > Decimal::ZERO {
        let maximum = maximum_seen.unwrap_or(Decimal::ZERO);
        conditions.push("#allowed = :yes AND #maximum = :maximum AND #outstanding <= :room");
        update = update
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":maximum", number(maximum))
            .expression_attribute_values(":room", number(maximum - outstanding));
    }
    if !conditions.is_empty() {
        update = update.condition_expression(conditions.join(" AND "));
    }
    update.build().map_err(build_error)
}

/// The DynamoDB operation for one tender write.
pub fn transact_item(table: &str, write: &TenderWrite) -> Result<TransactWriteItem, StoreError> {
    let next = |expected: &Option<u64>| expected.map_or(1, |v| v + 1);
    let put = match write {
        TenderWrite::PutVoucher {
            voucher,
            expected_version,
        } => put_if_version(
            table,
            voucher_item(voucher, next(expected_version))?,
            *expected_version,
        )?,
        TenderWrite::PutBalance {
            balance,
            expected_version,
        } => put_if_version(
            table,
            balance_item(balance, next(expected_version)),
            *expected_version,
        )?,
        TenderWrite::Audit(entry) => put_if_version(table, audit_item(entry)?, None)?,
        TenderWrite::AdjustVoucher {
            voucher,
            delta,
            usable_on,
        } => {
            let update = adjust_voucher(table, voucher, *delta, *usable_on)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        TenderWrite::PutPromo {
            promo,
            expected_version,
        } => put_if_version(
            table,
            promos::promo_item(promo, next(expected_version))?,
            *expected_version,
        )?,
        TenderWrite::AdjustPromoUses { code, delta, on } => {
            let update = promos::adjust_uses(table, code, *delta, *on)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        TenderWrite::AdjustPromoCustomerUses {
            code,
            customer_id,
            delta,
            limit,
        } => {
            let update = promos::adjust_customer_uses(table, code, customer_id, *delta, *limit)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        TenderWrite::CountCodeFailure { bucket, limit } => {
            let update = super::code_guesses::count_failure(table, bucket, *limit)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        TenderWrite::CheckCodeRoom { bucket, limit } => {
            let check = super::code_guesses::check_room(table, bucket, *limit)?;
            return Ok(TransactWriteItem::builder().condition_check(check).build());
        }
        TenderWrite::AdjustBalance {
            customer_id,
            currency,
            credit,
            outstanding,
            maximum_seen,
        } => {
            let update = adjust_balance(
                table,
                customer_id,
                *currency,
                *credit,
                *outstanding,
                *maximum_seen,
            )?;
            return Ok(TransactWriteItem::builder().update(update).build());
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

impl DynamoStore {
    /// The vouchers, the balance and maybe a promo code with the customer's uses of it, in
    /// one BatchGetItem.
    async fn load(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: Currency,
        reads: CheckoutReads<'_>,
    ) -> Result<TenderSnapshot, StoreError> {
        let mut keys: Vec<Item> = voucher_ids.iter().map(|id| voucher_key(id)).collect();
        keys.push(balance_key(customer_id, currency));
        if let Some(code) = reads.promo {
            keys.push(promos::promo_key(code));
            keys.push(promos::promo_use_key(code, customer_id));
        }
        if let Some(bucket) = reads.guesses {
            keys.push(super::code_guesses::bucket_key(bucket));
        }
        keys.dedup();
        let mut found: Vec<Item> = Vec::new();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(build_error)?,
        );
        // Unprocessed keys (throttling) are asked again, a few times.
        for _ in 0..5 {
            let Some(request) = pending.take() else { break };
            let answer = self
                .client()
                .batch_get_item()
                .request_items(self.table(), request)
                .send()
                .await
                .map_err(store_error)?;
            if let Some(items) = answer.responses().and_then(|r| r.get(self.table())) {
                found.extend(items.iter().cloned());
            }
            pending = answer
                .unprocessed_keys()
                .and_then(|u| u.get(self.table()))
                .filter(|k| !k.keys().is_empty())
                .cloned();
        }
        if pending.is_some() {
            return Err(StoreError::Throttled);
        }
        let mut snapshot = TenderSnapshot::default();
        let mut vouchers: HashMap<String, Versioned<Voucher>> = HashMap::new();
        for item in found {
            match sort_key(&item) {
                "VOUCHER" => {
                    let voucher = parse_voucher(item)?;
                    vouchers.insert(voucher.value.id.clone(), voucher);
                }
                "PROMO" => snapshot.promo = Some(promos::parse_promo(item)?),
                sk if sk.starts_with("USE#") => {
                    snapshot.promo_customer_uses = promos::parse_customer_uses(&item)?
                }
                sk if super::code_guesses::is_bucket(sk) => {
                    snapshot.client_code_failures = super::code_guesses::parse_failures(&item)?
                }
                _ => snapshot.balance = Some(parse_balance(&item)?),
            }
        }
        snapshot.vouchers = voucher_ids
            .iter()
            .filter_map(|id| vouchers.get(id).cloned())
            .collect();
        Ok(snapshot)
    }
}

#[async_trait]
impl TenderStore for DynamoStore {
    async fn load_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: Currency,
    ) -> Result<TenderSnapshot, StoreError> {
        self.load(voucher_ids, customer_id, currency, CheckoutReads::default())
            .await
    }

    async fn promo(
        &self,
        code: &str,
    ) -> Result<Option<Versioned<crate::domain::promo::PromoCode>>, StoreError> {
        let answer = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(promos::promo_key(code)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        answer.item.map(promos::parse_promo).transpose()
    }

    async fn load_checkout_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: Currency,
        reads: CheckoutReads<'_>,
    ) -> Result<TenderSnapshot, StoreError> {
        self.load(voucher_ids, customer_id, currency, reads).await
    }

    async fn audit_trail(
        &self,
        subject: &str,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let answer = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(audit_pk(subject)))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(store_error)?;
        answer
            .items()
            .iter()
            .map(|item| serde_dynamo::from_item(item.clone()).map_err(corrupt))
            .collect()
    }
}
