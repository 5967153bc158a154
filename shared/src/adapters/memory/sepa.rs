//! SEPA items in memory, with the DynamoDB adapter's conditions (see `dynamodb/sepa.rs`).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;

use super::MemoryStore;
use crate::domain::sepa::{DebitMonth, DebitStatus, Mandate, MonthId, SepaAccount};
use crate::ports::{SepaSnapshot, SepaStore, SepaWrite, StoreError, Versioned};

#[derive(Default)]
pub(crate) struct SepaTables {
    /// (customer, mandate id) → mandate; ordered, so a customer's are one range (as the
    /// customer's partition is in DynamoDB) and a load does not walk every customer's.
    mandates: BTreeMap<(String, String), Versioned<Mandate>>,
    accounts: HashMap<String, Versioned<SepaAccount>>,
    months: BTreeMap<(String, MonthId), Versioned<DebitMonth>>,
}

fn versioned_ok(
    stored: Option<u64>,
    expected: Option<u64>,
    write: &SepaWrite,
) -> Result<(), StoreError> {
    match (stored, expected) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(StoreError::AlreadyExists(write.describe())),
        (Some(v), Some(e)) if v == e => Ok(()),
        _ => Err(StoreError::VersionConflict(write.describe())),
    }
}

impl SepaTables {
    pub(super) fn check(&self, write: &SepaWrite) -> Result<(), StoreError> {
        match write {
            SepaWrite::PutMandate {
                mandate,
                expected_version,
            } => {
                let key = (mandate.customer_id.clone(), mandate.id.clone());
                versioned_ok(
                    self.mandates.get(&key).map(|m| m.version),
                    *expected_version,
                    write,
                )
            }
            SepaWrite::PutAccount {
                account,
                expected_version,
            } => versioned_ok(
                self.accounts.get(&account.customer_id).map(|a| a.version),
                *expected_version,
                write,
            ),
            SepaWrite::ConfirmAccount {
                customer_id,
                version,
            } => versioned_ok(
                self.accounts.get(customer_id).map(|a| a.version),
                Some(*version),
                write,
            ),
            SepaWrite::AddLine {
                customer_id,
                month,
                payment_id,
                room,
                creates,
                ..
            } => match (self.months.get(&(customer_id.clone(), *month)), creates) {
                (None, true) => Ok(()),
                (Some(_), true) => Err(StoreError::AlreadyExists(write.describe())),
                (Some(m), false)
                    if m.value.status == DebitStatus::Open
                        && m.value.total <= *room
                        && !m.value.lines.contains_key(payment_id) =>
                {
                    Ok(())
                }
                _ => Err(StoreError::VersionConflict(write.describe())),
            },
            SepaWrite::PutMonth {
                month,
                expected_version,
            } => versioned_ok(
                self.months
                    .get(&(month.customer_id.clone(), month.month))
                    .map(|m| m.version),
                *expected_version,
                write,
            ),
        }
    }

    pub(super) fn apply(&mut self, write: SepaWrite) {
        match write {
            SepaWrite::PutMandate {
                mandate,
                expected_version,
            } => {
                let key = (mandate.customer_id.clone(), mandate.id.clone());
                let version = expected_version.map_or(1, |v| v + 1);
                self.mandates.insert(
                    key,
                    Versioned {
                        value: mandate,
                        version,
                    },
                );
            }
            SepaWrite::PutAccount {
                account,
                expected_version,
            } => {
                let version = expected_version.map_or(1, |v| v + 1);
                self.accounts.insert(
                    account.customer_id.clone(),
                    Versioned {
                        value: account,
                        version,
                    },
                );
            }
            SepaWrite::ConfirmAccount { .. } => {}
            SepaWrite::AddLine {
                customer_id,
                month,
                payment_id,
                line,
                ..
            } => {
                let now = line.at;
                let stored = self
                    .months
                    .entry((customer_id.clone(), month))
                    .or_insert_with(|| Versioned {
                        value: DebitMonth::new(&customer_id, month, now),
                        version: 0,
                    });
                stored.value.add_line(&payment_id, line);
                stored.value.updated_at = now;
                stored.version += 1;
            }
            SepaWrite::PutMonth {
                month,
                expected_version,
            } => {
                let version = expected_version.map_or(1, |v| v + 1);
                self.months.insert(
                    (month.customer_id.clone(), month.month),
                    Versioned {
                        value: month,
                        version,
                    },
                );
            }
        }
    }
}

#[async_trait]
impl SepaStore for MemoryStore {
    async fn load_sepa(&self, customer_id: &str) -> Result<SepaSnapshot, StoreError> {
        let tables = self.lock()?;
        let sepa = &tables.sepa;
        let mut mandates: Vec<Versioned<Mandate>> = sepa
            .mandates
            .range((customer_id.to_string(), String::new())..)
            .take_while(|((c, _), _)| c == customer_id)
            .map(|(_, m)| m.clone())
            .collect();
        mandates.sort_by(|a, b| {
            (a.value.created_at, &a.value.id).cmp(&(b.value.created_at, &b.value.id))
        });
        let mut months: Vec<Versioned<DebitMonth>> = sepa
            .months
            .range((customer_id.to_string(), MonthId::EARLIEST)..)
            .take_while(|((c, _), _)| c == customer_id)
            .map(|(_, m)| m.clone())
            .collect();
        months.sort_by_key(|m| std::cmp::Reverse(m.value.month));
        Ok(SepaSnapshot {
            profile: tables.customers.get(customer_id).cloned(),
            account: sepa.accounts.get(customer_id).cloned(),
            mandates,
            months,
        })
    }

    async fn get_debit_month(
        &self,
        customer_id: &str,
        month: MonthId,
    ) -> Result<Option<Versioned<DebitMonth>>, StoreError> {
        Ok(self
            .lock()?
            .sepa
            .months
            .get(&(customer_id.to_string(), month))
            .cloned())
    }

    async fn month_customers(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let tables = self.lock()?;
        // Ordered by customer: a page starts where the last one ended and stops when full.
        let start = (after.unwrap_or_default().to_string(), MonthId::EARLIEST);
        Ok(tables
            .sepa
            .months
            .range(start..)
            .map(|((c, m), _)| (c, m))
            .filter(|(c, m)| **m == month && after.is_none_or(|a| c.as_str() > a))
            .filter(|(c, _)| crate::ports::month_shard(c) == shard)
            .take(limit)
            .map(|(c, _)| c.clone())
            .collect())
    }

    async fn month_debits(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DebitMonth>, StoreError> {
        let customers = self.month_customers(month, shard, after, limit).await?;
        let tables = self.lock()?;
        Ok(customers
            .into_iter()
            .filter_map(|c| tables.sepa.months.get(&(c, month)))
            .map(|m| m.value.clone())
            .collect())
    }
}
