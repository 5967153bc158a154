//! The persistence port. Adapters implement it: `adapters::dynamodb` in AWS, `adapters::memory`
//! for the devserver and fast tests; both pass the same contract suite (`contract`).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{IdempotencyCompletion, IdempotencyStore};
use crate::domain::{CustomerProfile, FailureLog, Order, OutboxEvent, Payment, Reference};

/// A stored value with the version its next conditional write must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// What kind of item a write touches: callers tell failures apart by it, never by text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Order,
    Payment,
    Customer,
    Counter,
    Outbox,
    Webhook,
    Idempotency,
    ProviderPaymentIndex,
    Mandate,
    SepaAccount,
    DebitMonth,
    Voucher,
    Balance,
    Audit,
    /// A promo code or a customer's uses of it.
    Promo,
    /// A client address's wrong codes in an hour.
    CodeGuesses,
}

/// The item a failed write named: its kind and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub id: String,
}

impl ItemRef {
    pub fn new(kind: ItemKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }
}

impl std::fmt::Display for ItemRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ItemKind::Order => "order",
            ItemKind::Payment => "payment",
            ItemKind::Customer => "customer",
            ItemKind::Counter => "counter",
            ItemKind::Outbox => "outbox event",
            ItemKind::Webhook => "webhook",
            ItemKind::Idempotency => "idempotency record",
            ItemKind::ProviderPaymentIndex => "PSP payment index",
            ItemKind::Mandate => "mandate",
            ItemKind::SepaAccount => "SEPA standing",
            ItemKind::DebitMonth => "direct debit month",
            ItemKind::Voucher => "voucher",
            ItemKind::Balance => "customer balance",
            ItemKind::Audit => "audit entry",
            ItemKind::Promo => "promo code",
            ItemKind::CodeGuesses => "wrong codes of a client",
        };
        write!(f, "{kind} {}", self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    AlreadyExists(ItemRef),
    #[error("{0} was changed by someone else (version conflict)")]
    VersionConflict(ItemRef),
    #[error("{0} does not exist")]
    Missing(String),
    /// Another transaction touched the same items; safe to retry.
    #[error("transaction conflict")]
    Contention,
    #[error("throttled by the store")]
    Throttled,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored item is unreadable: {0}")]
    Corrupt(String),
}

/// One item change inside a transaction; all of a transaction's writes happen or none do.
#[derive(Debug, Clone, PartialEq)]
// A handful of writes live for one transaction: boxing the payment would only add allocations.
#[allow(clippy::large_enum_variant)]
pub enum Write {
    /// Creates the order; fails with `AlreadyExists` if the reference is taken.
    InsertOrder(Order),
    /// Replaces the order if it is still at `expected_version`; stores `expected_version + 1`.
    UpdateOrder { order: Order, expected_version: u64 },
    /// Moves a named counter from `from` (0 when it has never been written) to `to`.
    AdvanceCounter { name: String, from: u64, to: u64 },
    /// Creates a payment (`expected_version` None) or replaces it at that version.
    PutPayment {
        payment: Payment,
        expected_version: Option<u64>,
    },
    /// Creates the customer (`expected_version` None) or replaces it at that version.
    PutCustomer {
        customer: CustomerProfile,
        expected_version: Option<u64>,
    },
    /// Queues a domain event; `AlreadyExists` if that event id was queued before.
    PutOutbox(OutboxEvent),
    /// Remembers a PSP webhook event; `AlreadyExists` when it was processed before (dedupe).
    RecordWebhook {
        provider: String,
        event_id: String,
        /// When the record may be forgotten (PSPs stop retrying after days).
        expires_at: OffsetDateTime,
    },
    /// Remembers which order and payment a PSP's payment id belongs to (an unconditional put:
    /// the same id always maps to the same payment).
    IndexProviderPayment {
        provider: String,
        provider_payment: String,
        payment: PaymentRef,
    },
    /// Turns this request's INPROGRESS idempotency record into COMPLETED with its response;
    /// fails (`VersionConflict`) if the record is no longer this request's claim.
    CompleteIdempotency(IdempotencyCompletion),
    /// A write to a customer's SEPA items.
    Sepa(super::SepaWrite),
    /// A write to a voucher, a customer's balance or the audit trail.
    Tender(super::TenderWrite),
}

impl Write {
    /// The item the write touches, as named in errors.
    pub fn describe(&self) -> ItemRef {
        use ItemKind as K;
        match self {
            Write::InsertOrder(o) | Write::UpdateOrder { order: o, .. } => {
                ItemRef::new(K::Order, o.reference.as_str())
            }
            Write::AdvanceCounter { name, .. } => ItemRef::new(K::Counter, name),
            Write::PutPayment { payment, .. } => ItemRef::new(K::Payment, &payment.id),
            Write::PutCustomer { customer, .. } => ItemRef::new(K::Customer, &customer.id),
            Write::CompleteIdempotency(c) => {
                ItemRef::new(K::Idempotency, format!("{}#{}", c.key.scope, c.key.key))
            }
            Write::PutOutbox(e) => ItemRef::new(K::Outbox, &e.id),
            Write::RecordWebhook {
                provider, event_id, ..
            } => ItemRef::new(K::Webhook, format!("{provider} {event_id}")),
            Write::Sepa(write) => write.describe(),
            Write::Tender(write) => write.describe(),
            Write::IndexProviderPayment {
                provider,
                provider_payment,
                ..
            } => ItemRef::new(
                K::ProviderPaymentIndex,
                format!("{provider} {provider_payment}"),
            ),
        }
    }
}

/// Several writes as one: all happen or none (DynamoDB TransactWriteItems).
#[async_trait]
pub trait Transactions: Send + Sync {
    /// Applies every write or none. A failed condition reports the first offending write as
    /// `AlreadyExists` / `VersionConflict`, naming its item.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}

/// Orders and their payments (one partition per order).
#[async_trait]
pub trait OrderStore: Send + Sync {
    async fn get_order(
        &self,
        reference: &Reference,
    ) -> Result<Option<Versioned<Order>>, StoreError>;

    /// The order and all its payments, in one request (a Query on the order's partition).
    async fn get_order_with_payments(
        &self,
        reference: &Reference,
    ) -> Result<Option<OrderWithPayments>, StoreError>;

    async fn insert_order(&self, order: &Order) -> Result<(), StoreError>;
    async fn update_order(&self, order: &Order, expected_version: u64) -> Result<u64, StoreError>;

    /// Our order and payment for a PSP's payment id (the index written when we learnt the id),
    /// for notifications that do not carry our ids.
    async fn find_provider_payment(
        &self,
        provider: &str,
        provider_payment: &str,
    ) -> Result<Option<PaymentRef>, StoreError>;

    /// Payments whose fraud review waits for the seller, oldest review first, `limit` at most.
    async fn pending_reviews(&self, limit: usize) -> Result<Vec<Payment>, StoreError>;

    /// Scheduled instalments due on `until` or before, soonest first (then by order and id),
    /// `limit` at most, after `after` (the last of the previous page) when given.
    async fn due_instalments(
        &self,
        until: time::Date,
        after: Option<&Payment>,
        limit: usize,
    ) -> Result<Vec<Payment>, StoreError>;
}

/// Customer profiles (billing on file, PSP customer ids).
#[async_trait]
pub trait CustomerStore: Send + Sync {
    async fn get_customer(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<CustomerProfile>>, StoreError>;
}

/// Named gap-free counters (order references, invoice numbers).
#[async_trait]
pub trait CounterStore: Send + Sync {
    /// Reads a counter's value (0 when never written).
    async fn read_counter(&self, name: &str) -> Result<u64, StoreError>;
}

/// Domain events waiting to be published.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Outbox events not yet published, oldest first (a Query on the sparse GSI1).
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError>;

    /// Takes published events off the pending list (each its own conditional update). An
    /// `invoice_due` event is then listed apart until `confirm_invoice_delivered`, so the daily
    /// sweep can find invoices that never reached the customer.
    async fn mark_outbox_published(&self, events: &[OutboxEvent]) -> Result<(), StoreError>;

    /// The invoice email of this `invoice_due` event is out (sent now or before).
    async fn confirm_invoice_delivered(&self, event_id: &str) -> Result<(), StoreError>;

    /// `invoice_due` events created before `created_before` whose invoice email was never
    /// confirmed go back on the pending list (the relay publishes them again); returns them,
    /// oldest first, at most `limit`.
    async fn requeue_undelivered_invoices(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, StoreError>;
}

/// Where a PSP's payment lives here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRef {
    pub order_reference: Reference,
    pub payment_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderWithPayments {
    pub order: Versioned<Order>,
    /// Oldest first.
    pub payments: Vec<Versioned<Payment>>,
}

/// Who a failed lookup is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupKeys {
    pub reference: Reference,
    /// An opaque key for the client address (hashed; we do not keep raw IPs).
    pub client: String,
}

/// Everything a lookup needs, fetched in one round trip.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LookupSnapshot {
    pub order: Option<Versioned<Order>>,
    /// Everyone's attempts on the reference (it slows down, never locks).
    pub reference_failures: FailureLog,
    /// This client's attempts on any reference.
    pub client_failures: FailureLog,
    /// This client's attempts on this reference.
    pub pair_failures: FailureLog,
}

/// An attempt counted against both keys before its postcode is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupReservation {
    /// The minute bucket it was counted in (given back there).
    pub minute: i64,
}

#[async_trait]
pub trait LookupStore: Send + Sync {
    /// Reads the order and the three failure logs in one request (BatchGetItem on DynamoDB).
    async fn load_lookup(&self, keys: &LookupKeys) -> Result<LookupSnapshot, StoreError>;
    /// Counts one attempt against the reference, the client and the pair in one write (a
    /// TransactWriteItems on DynamoDB) conditioned by `guards` on each log, records when, and
    /// forgets buckets `seen` showed stale. `Err(Contention)` when a guard no longer holds
    /// (other attempts took the room meanwhile): read again.
    async fn reserve_lookup_attempt(
        &self,
        keys: &LookupKeys,
        seen: &LookupSnapshot,
        guards: &crate::domain::throttle::LookupGuards,
        now: OffsetDateTime,
    ) -> Result<LookupReservation, StoreError>;
    /// Gives a reservation back (the postcode matched): it no longer counts as a failure.
    async fn release_lookup_attempt(
        &self,
        keys: &LookupKeys,
        reservation: LookupReservation,
    ) -> Result<(), StoreError>;
}

/// The whole persistence port, as handed to the routers; use cases take the narrowest traits
/// they need.
pub trait Store:
    PaymentWrites
    + super::AccountStore
    + Transactions
    + OrderStore
    + CustomerStore
    + CounterStore
    + OutboxStore
    + LookupStore
    + IdempotencyStore
    + super::SepaStore
    + super::TenderStore
{
}
impl<T> Store for T where
    T: super::AccountStore
        + super::SepaStore
        + Transactions
        + OrderStore
        + CustomerStore
        + CounterStore
        + OutboxStore
        + LookupStore
        + IdempotencyStore
        + super::TenderStore
{
}

/// Reading an order with its payments and committing changes to them: what every payment
/// change needs.
pub trait PaymentWrites: OrderStore + Transactions {}
impl<T: OrderStore + Transactions + ?Sized> PaymentWrites for T {}

/// Every store trait, for code that calls them through `dyn Store`.
pub mod prelude {
    pub use super::{CounterStore, CustomerStore, OrderStore, OutboxStore, Store, Transactions};
    pub use crate::ports::{AccountStore, IdempotencyStore, LookupStore, SepaStore, TenderStore};
}
