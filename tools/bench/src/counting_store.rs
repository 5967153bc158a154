//! A `Store` decorator that counts calls per method and the time spent inside the wrapped
//! store: the memory store's equivalent of the SDK's `RequestCounter`. A store call is not a
//! DynamoDB request (e.g. `mark_outbox_published` is one call but one UpdateItem per event):
//! the moto run gives the requests; this gives the calls at scales moto cannot reach.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use encaisse::domain::sepa::{DebitMonth, MonthId};
use encaisse::domain::throttle::LookupGuards;
use encaisse::domain::CustomerProfile;
use encaisse::domain::{Order, OutboxEvent, Payment, Reference};
use encaisse::ports::{
    AccountStore, Claim, CodeIssue, CounterStore, CustomerStore, IdempotencyKey, IdempotencyStore,
    LookupKeys, LookupReservation, LookupSnapshot, LookupStore, OrderPage, OrderStore,
    OrderWithPayments, OutboxStore, PaymentRef, SepaSnapshot, SepaStore, Session, SignInLimits,
    Store, StoreError, StoredSignInCode, Transactions, Versioned, Write,
};
use time::OffsetDateTime;

#[derive(Default)]
struct Tally {
    calls: BTreeMap<&'static str, u64>,
    inside: Duration,
}

pub struct CountingStore {
    inner: Arc<dyn Store>,
    tally: Mutex<Tally>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            tally: Mutex::new(Tally::default()),
        }
    }

    fn record(&self, method: &'static str, took: Duration) {
        if let Ok(mut t) = self.tally.lock() {
            *t.calls.entry(method).or_default() += 1;
            t.inside += took;
        }
    }

    /// Calls by method since the last reset, and the time spent inside the wrapped store.
    pub fn take(&self) -> (BTreeMap<String, u64>, Duration) {
        self.tally
            .lock()
            .map(|mut t| {
                let taken = std::mem::take(&mut *t);
                (
                    taken
                        .calls
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                    taken.inside,
                )
            })
            .unwrap_or_default()
    }
}

/// Times and counts one delegated call.
macro_rules! counted {
    ($self:ident, $name:literal, $call:expr) => {{
        let started = Instant::now();
        let out = $call.await;
        $self.record($name, started.elapsed());
        out
    }};
}

#[async_trait]
impl Transactions for CountingStore {
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        counted!(self, "transact", self.inner.transact(writes))
    }
}

#[async_trait]
impl OrderStore for CountingStore {
    async fn get_order(
        &self,
        reference: &Reference,
    ) -> Result<Option<Versioned<Order>>, StoreError> {
        counted!(self, "get_order", self.inner.get_order(reference))
    }

    async fn get_order_with_payments(
        &self,
        reference: &Reference,
    ) -> Result<Option<OrderWithPayments>, StoreError> {
        counted!(
            self,
            "get_order_with_payments",
            self.inner.get_order_with_payments(reference)
        )
    }

    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        counted!(self, "insert_order", self.inner.insert_order(order))
    }

    async fn update_order(&self, order: &Order, expected_version: u64) -> Result<u64, StoreError> {
        counted!(
            self,
            "update_order",
            self.inner.update_order(order, expected_version)
        )
    }

    async fn find_provider_payment(
        &self,
        provider: &str,
        provider_payment: &str,
    ) -> Result<Option<PaymentRef>, StoreError> {
        counted!(
            self,
            "find_provider_payment",
            self.inner.find_provider_payment(provider, provider_payment)
        )
    }

    async fn pending_reviews(&self, limit: usize) -> Result<Vec<Payment>, StoreError> {
        counted!(self, "pending_reviews", self.inner.pending_reviews(limit))
    }

    async fn due_instalments(
        &self,
        until: time::Date,
        after: Option<&Payment>,
        limit: usize,
    ) -> Result<Vec<Payment>, StoreError> {
        counted!(
            self,
            "due_instalments",
            self.inner.due_instalments(until, after, limit)
        )
    }
}

#[async_trait]
impl CustomerStore for CountingStore {
    async fn get_customer(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<CustomerProfile>>, StoreError> {
        counted!(self, "get_customer", self.inner.get_customer(id))
    }
}

#[async_trait]
impl CounterStore for CountingStore {
    async fn read_counter(&self, name: &str) -> Result<u64, StoreError> {
        counted!(self, "read_counter", self.inner.read_counter(name))
    }
}

#[async_trait]
impl OutboxStore for CountingStore {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        counted!(self, "pending_outbox", self.inner.pending_outbox(limit))
    }

    async fn mark_outbox_published(&self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        counted!(
            self,
            "mark_outbox_published",
            self.inner.mark_outbox_published(events)
        )
    }

    async fn confirm_invoice_delivered(&self, event_id: &str) -> Result<(), StoreError> {
        counted!(
            self,
            "confirm_invoice_delivered",
            self.inner.confirm_invoice_delivered(event_id)
        )
    }

    async fn requeue_undelivered_invoices(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        counted!(
            self,
            "requeue_undelivered_invoices",
            self.inner
                .requeue_undelivered_invoices(created_before, limit)
        )
    }
}

#[async_trait]
impl LookupStore for CountingStore {
    async fn load_lookup(&self, keys: &LookupKeys) -> Result<LookupSnapshot, StoreError> {
        counted!(self, "load_lookup", self.inner.load_lookup(keys))
    }

    async fn reserve_lookup_attempt(
        &self,
        keys: &LookupKeys,
        seen: &LookupSnapshot,
        guards: &LookupGuards,
        now: OffsetDateTime,
    ) -> Result<LookupReservation, StoreError> {
        counted!(
            self,
            "reserve_lookup_attempt",
            self.inner.reserve_lookup_attempt(keys, seen, guards, now)
        )
    }

    async fn release_lookup_attempt(
        &self,
        keys: &LookupKeys,
        reservation: LookupReservation,
    ) -> Result<(), StoreError> {
        counted!(
            self,
            "release_lookup_attempt",
            self.inner.release_lookup_attempt(keys, reservation)
        )
    }
}

#[async_trait]
impl IdempotencyStore for CountingStore {
    async fn claim(
        &self,
        key: &IdempotencyKey,
        request_hash: &str,
        in_progress_until: OffsetDateTime,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        counted!(
            self,
            "claim",
            self.inner
                .claim(key, request_hash, in_progress_until, expires_at, now)
        )
    }

    async fn release(&self, key: &IdempotencyKey, request_hash: &str) -> Result<(), StoreError> {
        counted!(self, "release", self.inner.release(key, request_hash))
    }
}

#[async_trait]
impl AccountStore for CountingStore {
    async fn issue_sign_in_code(
        &self,
        code: &StoredSignInCode,
        limits: &SignInLimits,
    ) -> Result<CodeIssue, StoreError> {
        counted!(
            self,
            "issue_sign_in_code",
            self.inner.issue_sign_in_code(code, limits)
        )
    }

    async fn count_sign_in_try(
        &self,
        customer_id: &str,
        max_tries: u32,
        now: OffsetDateTime,
    ) -> Result<Option<StoredSignInCode>, StoreError> {
        counted!(
            self,
            "count_sign_in_try",
            self.inner.count_sign_in_try(customer_id, max_tries, now)
        )
    }

    async fn open_session(
        &self,
        code: &StoredSignInCode,
        session: &Session,
    ) -> Result<(), StoreError> {
        counted!(self, "open_session", self.inner.open_session(code, session))
    }

    async fn get_session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        counted!(self, "get_session", self.inner.get_session(id))
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        counted!(self, "delete_session", self.inner.delete_session(id))
    }

    async fn customer_orders(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        counted!(
            self,
            "customer_orders",
            self.inner.customer_orders(customer_id, after, limit)
        )
    }
}

#[async_trait]
impl SepaStore for CountingStore {
    async fn load_sepa(&self, customer_id: &str) -> Result<SepaSnapshot, StoreError> {
        counted!(self, "load_sepa", self.inner.load_sepa(customer_id))
    }

    async fn get_debit_month(
        &self,
        customer_id: &str,
        month: MonthId,
    ) -> Result<Option<Versioned<DebitMonth>>, StoreError> {
        counted!(
            self,
            "get_debit_month",
            self.inner.get_debit_month(customer_id, month)
        )
    }

    async fn month_customers(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        counted!(
            self,
            "month_customers",
            self.inner.month_customers(month, shard, after, limit)
        )
    }

    async fn month_debits(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DebitMonth>, StoreError> {
        counted!(
            self,
            "month_debits",
            self.inner.month_debits(month, shard, after, limit)
        )
    }
}

/// The DynamoDB request(s) each store method sends (`dynamodb/*.rs`), for reading the memory
/// run's calls beside the moto run's requests.
pub fn dynamodb_equivalent(method: &str) -> &'static str {
    match method {
        "load_sepa" => "Query (customer partition)",
        "get_customer" | "get_debit_month" | "get_order" => "GetItem",
        "get_order_with_payments" => "Query (order partition)",
        "month_customers" | "month_debits" => "Query (GSI1 month shard)",
        "pending_outbox" => "Query (GSI1 pending outbox)",
        "mark_outbox_published" => "UpdateItem per event",
        "transact" => "TransactWriteItems",
        _ => "see dynamodb/*.rs",
    }
}

/// Whether a store method reads (else it writes), for the target.
pub fn is_read(method: &str) -> bool {
    matches!(
        method,
        "load_sepa"
            | "get_customer"
            | "get_debit_month"
            | "get_order"
            | "get_order_with_payments"
            | "month_customers"
            | "month_debits"
            | "pending_outbox"
            | "find_provider_payment"
            | "pending_reviews"
            | "due_instalments"
            | "read_counter"
            | "load_lookup"
            | "get_session"
            | "customer_orders"
    )
}

#[async_trait]
impl encaisse::ports::TenderStore for CountingStore {
    async fn load_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: encaisse::domain::Currency,
    ) -> Result<encaisse::ports::TenderSnapshot, StoreError> {
        counted!(
            self,
            "load_tenders",
            self.inner.load_tenders(voucher_ids, customer_id, currency)
        )
    }

    async fn promo(
        &self,
        code: &str,
    ) -> Result<Option<encaisse::ports::Versioned<encaisse::domain::promo::PromoCode>>, StoreError>
    {
        counted!(self, "promo", self.inner.promo(code))
    }

    async fn load_checkout_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: encaisse::domain::Currency,
        reads: encaisse::ports::CheckoutReads<'_>,
    ) -> Result<encaisse::ports::TenderSnapshot, StoreError> {
        counted!(
            self,
            "load_tenders",
            self.inner
                .load_checkout_tenders(voucher_ids, customer_id, currency, reads)
        )
    }

    async fn audit_trail(
        &self,
        subject: &str,
        limit: usize,
    ) -> Result<Vec<encaisse::domain::tenders::AuditEntry>, StoreError> {
        counted!(self, "audit_trail", self.inner.audit_trail(subject, limit))
    }
}
