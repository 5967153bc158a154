//! The memory store: a real implementation with DynamoDB's semantics (conditional writes,
//! all-or-nothing transactions), used by the devserver and fast tests.

mod account;
pub mod debit_jobs;
pub mod documents;
pub mod event_queue;
mod lookup;
pub mod notifications;
mod promos;
mod sepa;
mod tenders;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::{CustomerProfile, FailureLog, Order, OutboxEvent, Payment, Reference};
use crate::ports::{decide_claim, ExistingRecord, RecordState};
use crate::ports::{
    Claim, CounterStore, CustomerStore, IdempotencyKey, IdempotencyStore, OrderStore,
    OrderWithPayments, OutboxStore, PaymentRef, StoreError, Transactions, Versioned, Write,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutboxState {
    Pending,
    /// Published `invoice_due`, its email not yet confirmed.
    AwaitingInvoice,
    Done,
}

#[derive(Default)]
pub(super) struct Tables {
    pub(super) orders: HashMap<Reference, Versioned<Order>>,
    counters: HashMap<String, u64>,
    pub(super) reference_failures: HashMap<Reference, FailureLog>,
    pub(super) client_failures: HashMap<String, FailureLog>,
    pub(super) pair_failures: HashMap<(Reference, String), FailureLog>,
    /// (order, payment id) → payment
    /// Ordered: an order's payments are one range (its partition in DynamoDB).
    payments: BTreeMap<(Reference, String), Versioned<Payment>>,
    pub(super) customers: HashMap<String, Versioned<CustomerProfile>>,
    outbox: HashMap<String, (OutboxEvent, OutboxState)>,
    /// (created at, id) of the pending events, oldest first: the relay reads the head without
    /// walking every event ever queued (GSI1 in DynamoDB).
    pending_outbox: BTreeSet<(OffsetDateTime, String)>,
    /// (provider, event id)
    webhooks: std::collections::HashSet<(String, String)>,
    /// (scope, key) → record
    idempotency: HashMap<(String, String), ExistingRecord>,
    /// (provider, PSP payment id) → our payment
    provider_payments: HashMap<(String, String), PaymentRef>,
    pub(super) account: account::AccountTables,
    pub(super) sepa: sepa::SepaTables,
    pub(super) tenders: tenders::TenderTables,
}

fn idempotency_id(key: &IdempotencyKey) -> (String, String) {
    (key.scope.clone(), key.key.clone())
}

#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queued domain events, oldest first (the devserver's view of the outbox).
    pub fn outbox(&self) -> Vec<OutboxEvent> {
        let mut events: Vec<OutboxEvent> = self
            .lock()
            .map(|t| t.outbox.values().map(|(e, _)| e.clone()).collect())
            .unwrap_or_default();
        events.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        events
    }

    pub(super) fn lock(&self) -> Result<std::sync::MutexGuard<'_, Tables>, StoreError> {
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
        Write::PutPayment {
            payment,
            expected_version,
        } => {
            let stored = tables
                .payments
                .get(&(payment.order_reference.clone(), payment.id.clone()))
                .map(|p| p.version);
            match (stored, expected_version) {
                (None, None) => Ok(()),
                (Some(_), None) => Err(StoreError::AlreadyExists(write.describe())),
                (Some(v), Some(expected)) if v == *expected => Ok(()),
                _ => Err(StoreError::VersionConflict(write.describe())),
            }
        }
        Write::PutCustomer {
            customer,
            expected_version,
        } => match (
            tables.customers.get(&customer.id).map(|c| c.version),
            expected_version,
        ) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(StoreError::AlreadyExists(write.describe())),
            (Some(v), Some(expected)) if v == *expected => Ok(()),
            _ => Err(StoreError::VersionConflict(write.describe())),
        },
        Write::PutOutbox(event) => match tables.outbox.contains_key(&event.id) {
            true => Err(StoreError::AlreadyExists(write.describe())),
            false => Ok(()),
        },
        Write::RecordWebhook {
            provider, event_id, ..
        } => match tables
            .webhooks
            .contains(&(provider.clone(), event_id.clone()))
        {
            true => Err(StoreError::AlreadyExists(write.describe())),
            false => Ok(()),
        },
        Write::IndexProviderPayment { .. } => Ok(()),
        Write::Sepa(sepa) => tables.sepa.check(sepa),
        Write::Tender(tender) => tables.tenders.check(tender),
        Write::CompleteIdempotency(completion) => {
            match tables.idempotency.get(&idempotency_id(&completion.key)) {
                Some(record)
                    if record.request_hash == completion.request_hash
                        && matches!(record.state, RecordState::InProgress { .. }) =>
                {
                    Ok(())
                }
                _ => Err(StoreError::VersionConflict(write.describe())),
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
        Write::PutPayment {
            payment,
            expected_version,
        } => {
            let key = (payment.order_reference.clone(), payment.id.clone());
            let version = expected_version.map_or(1, |v| v + 1);
            tables.payments.insert(
                key,
                Versioned {
                    value: payment,
                    version,
                },
            );
        }
        Write::PutCustomer {
            customer,
            expected_version,
        } => {
            let version = expected_version.map_or(1, |v| v + 1);
            tables.customers.insert(
                customer.id.clone(),
                Versioned {
                    value: customer,
                    version,
                },
            );
        }
        Write::PutOutbox(event) => {
            tables
                .pending_outbox
                .insert((event.created_at, event.id.clone()));
            tables
                .outbox
                .insert(event.id.clone(), (event, OutboxState::Pending));
        }
        Write::RecordWebhook {
            provider, event_id, ..
        } => {
            tables.webhooks.insert((provider, event_id));
        }
        Write::IndexProviderPayment {
            provider,
            provider_payment,
            payment,
        } => {
            tables
                .provider_payments
                .insert((provider, provider_payment), payment);
        }
        Write::Sepa(sepa) => tables.sepa.apply(sepa),
        Write::Tender(tender) => tables.tenders.apply(tender),
        Write::CompleteIdempotency(completion) => {
            tables.idempotency.insert(
                idempotency_id(&completion.key),
                ExistingRecord {
                    request_hash: completion.request_hash,
                    state: RecordState::Completed(completion.response),
                    expires_at: completion.expires_at,
                },
            );
        }
    }
}

#[async_trait]
impl Transactions for MemoryStore {
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
}

/// How pending reviews are listed: oldest first, as DynamoDB's index sorts them.
fn review_order(p: &Payment) -> (Option<time::OffsetDateTime>, &Reference, &str) {
    (
        p.review.as_ref().map(|r| r.opened_at),
        &p.order_reference,
        p.id.as_str(),
    )
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn get_order(
        &self,
        reference: &Reference,
    ) -> Result<Option<Versioned<Order>>, StoreError> {
        Ok(self.lock()?.orders.get(reference).cloned())
    }

    async fn get_order_with_payments(
        &self,
        reference: &Reference,
    ) -> Result<Option<OrderWithPayments>, StoreError> {
        let tables = self.lock()?;
        let Some(order) = tables.orders.get(reference).cloned() else {
            return Ok(None);
        };
        let mut payments: Vec<Versioned<Payment>> = tables
            .payments
            .range((reference.clone(), String::new())..)
            .take_while(|((r, _), _)| r == reference)
            .map(|(_, p)| p.clone())
            .collect();
        payments.sort_by(|a, b| {
            (a.value.created_at, &a.value.id).cmp(&(b.value.created_at, &b.value.id))
        });
        Ok(Some(OrderWithPayments { order, payments }))
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

    async fn due_instalments(
        &self,
        until: time::Date,
        after: Option<&Payment>,
        limit: usize,
    ) -> Result<Vec<Payment>, StoreError> {
        let key = |p: &Payment| (p.due_on, p.order_reference.clone(), p.id.clone());
        let from = after.map(key);
        let tables = self.lock()?;
        let mut due: Vec<Payment> = tables
            .payments
            .values()
            .map(|p| &p.value)
            .filter(|p| p.status == crate::domain::PaymentStatus::Scheduled)
            .filter(|p| p.due_on.is_some_and(|d| d <= until))
            .filter(|p| from.as_ref().is_none_or(|f| key(p) > *f))
            .cloned()
            .collect();
        due.sort_by_key(key);
        due.truncate(limit);
        Ok(due)
    }

    async fn pending_reviews(&self, limit: usize) -> Result<Vec<Payment>, StoreError> {
        let tables = self.lock()?;
        let mut pending: Vec<Payment> = tables
            .payments
            .values()
            .map(|p| p.value.clone())
            .filter(|p| p.review.as_ref().is_some_and(|r| r.is_pending()))
            .collect();
        pending.sort_by(|a, b| review_order(a).cmp(&review_order(b)));
        pending.truncate(limit);
        Ok(pending)
    }

    async fn find_provider_payment(
        &self,
        provider: &str,
        provider_payment: &str,
    ) -> Result<Option<PaymentRef>, StoreError> {
        Ok(self
            .lock()?
            .provider_payments
            .get(&(provider.to_owned(), provider_payment.to_owned()))
            .cloned())
    }
}

#[async_trait]
impl CustomerStore for MemoryStore {
    async fn get_customer(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<CustomerProfile>>, StoreError> {
        Ok(self.lock()?.customers.get(id).cloned())
    }
}

#[async_trait]
impl CounterStore for MemoryStore {
    async fn read_counter(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self.lock()?.counters.get(name).copied().unwrap_or(0))
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let tables = self.lock()?;
        Ok(tables
            .pending_outbox
            .iter()
            .filter_map(|(_, id)| tables.outbox.get(id).map(|(e, _)| e.clone()))
            .take(limit)
            .collect())
    }

    async fn mark_outbox_published(&self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        let mut guard = self.lock()?;
        let tables = &mut *guard;
        for event in events {
            if let Some((stored, state)) = tables.outbox.get_mut(&event.id) {
                if *state == OutboxState::Pending {
                    *state = if stored.kind.issues_invoice() {
                        OutboxState::AwaitingInvoice
                    } else {
                        OutboxState::Done
                    };
                    let key = (stored.created_at, stored.id.clone());
                    tables.pending_outbox.remove(&key);
                }
            }
        }
        Ok(())
    }

    async fn confirm_invoice_delivered(&self, event_id: &str) -> Result<(), StoreError> {
        if let Some((_, state)) = self.lock()?.outbox.get_mut(event_id) {
            *state = OutboxState::Done;
        }
        Ok(())
    }

    async fn requeue_undelivered_invoices(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut tables = self.lock()?;
        let mut stale: Vec<OutboxEvent> = tables
            .outbox
            .values()
            .filter(|(e, state)| {
                *state == OutboxState::AwaitingInvoice && e.created_at < created_before
            })
            .map(|(e, _)| e.clone())
            .collect();
        stale.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        stale.truncate(limit);
        for event in &stale {
            if let Some((_, state)) = tables.outbox.get_mut(&event.id) {
                *state = OutboxState::Pending;
            }
            tables
                .pending_outbox
                .insert((event.created_at, event.id.clone()));
        }
        Ok(stale)
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn claim(
        &self,
        key: &IdempotencyKey,
        request_hash: &str,
        in_progress_until: OffsetDateTime,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let mut tables = self.lock()?;
        let id = idempotency_id(key);
        let claim = decide_claim(tables.idempotency.get(&id), request_hash, now);
        if claim == Claim::Acquired {
            tables.idempotency.insert(
                id,
                ExistingRecord {
                    request_hash: request_hash.to_string(),
                    state: RecordState::InProgress {
                        until: in_progress_until,
                    },
                    expires_at,
                },
            );
        }
        Ok(claim)
    }

    async fn release(&self, key: &IdempotencyKey, request_hash: &str) -> Result<(), StoreError> {
        let mut tables = self.lock()?;
        let id = idempotency_id(key);
        let ours = tables.idempotency.get(&id).is_some_and(|r| {
            r.request_hash == request_hash && matches!(r.state, RecordState::InProgress { .. })
        });
        if ours {
            tables.idempotency.remove(&id);
        }
        Ok(())
    }
}
