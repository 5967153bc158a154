//! The memory store: a real implementation with DynamoDB's semantics (conditional writes,
//! all-or-nothing transactions), used by the devserver and fast tests.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::{FailureLog, Order, Reference};
use crate::ports::{
    LookupKeys, LookupSnapshot, LookupStore, OrderStore, StoreError, Versioned, Write,
};

#[derive(Default)]
struct Tables {
    orders: HashMap<Reference, Versioned<Order>>,
    counters: HashMap<String, u64>,
    reference_failures: HashMap<Reference, FailureLog>,
    client_failures: HashMap<String, FailureLog>,
}

#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Tables>, StoreError> {
        self.tables
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store poisoned".into()))
    }
}

/// Checks a write's condition without applying it.
fn check(tables: &Tables, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::InsertOrder(order) => match tables.orders.contains_key(&order.reference) {
            true => Err(StoreError::AlreadyExists(write.describe())),
            false => Ok(()),
        },
        Write::UpdateOrder {
            order,
            expected_version,
        } => match tables.orders.get(&order.reference) {
            Some(stored) if stored.version == *expected_version => Ok(()),
            _ => Err(StoreError::VersionConflict(write.describe())),
        },
        Write::AdvanceCounter { name, from, .. } => {
            match tables.counters.get(name).copied().unwrap_or(0) == *from {
                true => Ok(()),
                false => Err(StoreError::VersionConflict(write.describe())),
            }
        }
    }
}

fn apply(tables: &mut Tables, write: Write) {
    match write {
        Write::InsertOrder(order) => {
            tables.orders.insert(
                order.reference.clone(),
                Versioned {
                    value: order,
                    version: 1,
                },
            );
        }
        Write::UpdateOrder {
            order,
            expected_version,
        } => {
            tables.orders.insert(
                order.reference.clone(),
                Versioned {
                    value: order,
                    version: expected_version + 1,
                },
            );
        }
        Write::AdvanceCounter { name, to, .. } => {
            tables.counters.insert(name, to);
        }
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn get_order(
        &self,
        reference: &Reference,
    ) -> Result<Option<Versioned<Order>>, StoreError> {
        Ok(self.lock()?.orders.get(reference).cloned())
    }

    async fn read_counter(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self.lock()?.counters.get(name).copied().unwrap_or(0))
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut tables = self.lock()?;
        for write in &writes {
            check(&tables, write)?;
        }
        for write in writes {
            apply(&mut tables, write);
        }
        Ok(())
    }

    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        self.transact(vec![Write::InsertOrder(order.clone())]).await
    }

    async fn update_order(&self, order: &Order, expected_version: u64) -> Result<u64, StoreError> {
        self.transact(vec![Write::UpdateOrder {
            order: order.clone(),
            expected_version,
        }])
        .await?;
        Ok(expected_version + 1)
    }
}

#[async_trait]
impl LookupStore for MemoryStore {
    async fn load_lookup(&self, keys: &LookupKeys) -> Result<LookupSnapshot, StoreError> {
        let tables = self.lock()?;
        Ok(LookupSnapshot {
            order: tables.orders.get(&keys.reference).cloned(),
            reference_failures: tables
                .reference_failures
                .get(&keys.reference)
                .cloned()
                .unwrap_or_default(),
            client_failures: tables
                .client_failures
                .get(&keys.client)
                .cloned()
                .unwrap_or_default(),
        })
    }

    async fn record_failed_lookup(
        &self,
        keys: &LookupKeys,
        _seen: &LookupSnapshot,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tables = self.lock()?;
        tables
            .reference_failures
            .entry(keys.reference.clone())
            .or_default()
            .record(now);
        tables
            .client_failures
            .entry(keys.client.clone())
            .or_default()
            .record(now);
        Ok(())
    }
}
