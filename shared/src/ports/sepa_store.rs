//! The SEPA items of a customer (mandates, SEPA standing, months of debits), and the sharded
//! index of the customers who bought by SEPA in a month (the close's fan-out, never a Scan).

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::{StoreError, Versioned};
use crate::domain::sepa::{DebitLine, DebitMonth, Mandate, MonthId, SepaAccount};
use crate::domain::CustomerProfile;

/// Index partitions a month's customers are spread over (each a GSI1 partition), so a close
/// of 100,000 customers reads many partitions in parallel instead of one hot one.
pub const MONTH_SHARDS: u32 = 16;

/// The shard a customer's months are listed in.
pub fn month_shard(customer_id: &str) -> u32 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(customer_id.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % MONTH_SHARDS
}

/// One write to a customer's SEPA items, inside a transaction (`Write::Sepa`).
#[derive(Debug, Clone, PartialEq)]
pub enum SepaWrite {
    /// Creates the mandate (`expected_version` None) or replaces it at that version.
    PutMandate {
        mandate: Mandate,
        expected_version: Option<u64>,
    },
    /// Creates the SEPA standing or replaces it at that version.
    PutAccount {
        account: SepaAccount,
        expected_version: Option<u64>,
    },
    /// Holds the transaction to the standing as read (cap, state, score unchanged meanwhile).
    ConfirmAccount { customer_id: String, version: u64 },
    /// Adds a purchase to an open month on condition that the month's total stays at most
    /// `room` before it (the cap less this amount) and that the payment is not on it yet;
    /// `creates` when the month has no item yet (then only its absence is the condition).
    AddLine {
        customer_id: String,
        month: MonthId,
        payment_id: String,
        line: DebitLine,
        room: Decimal,
        creates: bool,
    },
    /// Replaces a month at that version (`None`: creates it).
    PutMonth {
        month: DebitMonth,
        expected_version: Option<u64>,
    },
}

impl SepaWrite {
    pub fn describe(&self) -> super::ItemRef {
        use super::{ItemKind, ItemRef};
        match self {
            SepaWrite::PutMandate { mandate, .. } => ItemRef::new(ItemKind::Mandate, &mandate.id),
            SepaWrite::PutAccount { account, .. } => {
                ItemRef::new(ItemKind::SepaAccount, &account.customer_id)
            }
            SepaWrite::ConfirmAccount { customer_id, .. } => {
                ItemRef::new(ItemKind::SepaAccount, customer_id)
            }
            SepaWrite::AddLine {
                customer_id, month, ..
            } => ItemRef::new(ItemKind::DebitMonth, format!("{customer_id} {month}")),
            SepaWrite::PutMonth { month, .. } => ItemRef::new(
                ItemKind::DebitMonth,
                format!("{} {}", month.customer_id, month.month),
            ),
        }
    }

    /// Whether a failed condition means the item exists already (vs changed meanwhile).
    pub fn creates(&self) -> bool {
        match self {
            SepaWrite::PutMandate {
                expected_version, ..
            }
            | SepaWrite::PutAccount {
                expected_version, ..
            }
            | SepaWrite::PutMonth {
                expected_version, ..
            } => expected_version.is_none(),
            SepaWrite::AddLine { creates, .. } => *creates,
            SepaWrite::ConfirmAccount { .. } => false,
        }
    }
}

/// Everything SEPA of one customer, read in one request (a Query on the customer's partition).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SepaSnapshot {
    /// The customer's profile, which shares the partition: the close and the debit need its
    /// email and PSP customer without a GetItem of their own.
    pub profile: Option<Versioned<CustomerProfile>>,
    pub account: Option<Versioned<SepaAccount>>,
    /// Oldest first.
    pub mandates: Vec<Versioned<Mandate>>,
    /// Newest first.
    pub months: Vec<Versioned<DebitMonth>>,
}

impl SepaSnapshot {
    pub fn month(&self, month: MonthId) -> Option<&Versioned<DebitMonth>> {
        self.months.iter().find(|m| m.value.month == month)
    }

    pub fn mandate(&self, id: &str) -> Option<&Versioned<Mandate>> {
        self.mandates.iter().find(|m| m.value.id == id)
    }

    /// The mandate debits are taken on: the newest active one.
    pub fn active_mandate(&self) -> Option<&Mandate> {
        self.mandates
            .iter()
            .rev()
            .map(|m| &m.value)
            .find(|m| m.is_usable())
    }
}

#[async_trait]
pub trait SepaStore: Send + Sync {
    /// The customer's SEPA standing, mandates and months, in one read.
    async fn load_sepa(&self, customer_id: &str) -> Result<SepaSnapshot, StoreError>;

    async fn get_debit_month(
        &self,
        customer_id: &str,
        month: MonthId,
    ) -> Result<Option<Versioned<DebitMonth>>, StoreError>;

    /// The customers with a debit month for `month` in `shard`, by customer id, after `after`
    /// (the last of the previous page), `limit` at most.
    async fn month_customers(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// The months of `month` listed in `shard`, whole, by customer id after `after`, `limit`
    /// at most (the back office's overview of a month).
    async fn month_debits(
        &self,
        month: MonthId,
        shard: u32,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DebitMonth>, StoreError>;
}
