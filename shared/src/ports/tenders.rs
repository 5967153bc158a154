//! Vouchers, customer balances and their audit trail. A balance only moves by a conditional
//! write inside the payment's own transaction (`Write::Tender`): the condition holds the
//! limit (a voucher or credit never below zero, on account never above its maximum), so
//! concurrent checkouts cannot spend the same money twice.

use async_trait::async_trait;
use rust_decimal::Decimal;
use time::Date;

use super::{ItemKind, ItemRef, StoreError, Versioned};
use crate::domain::promo::PromoCode;
use crate::domain::tenders::{AuditEntry, CodeGuessBucket, CustomerBalance, Voucher};
use crate::domain::Currency;

/// One write to a voucher, a balance or the audit trail, inside a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum TenderWrite {
    /// Creates the voucher (`expected_version` None: `AlreadyExists` if its id is taken) or
    /// replaces it at that version (the seller voids it).
    PutVoucher {
        voucher: Voucher,
        expected_version: Option<u64>,
    },
    /// Moves a voucher's balance by `delta`. A negative delta holds on condition that the
    /// balance stays at least zero; with `usable_on`, also that the voucher is active and not
    /// expired that day. A positive delta (a release, a refund) always holds.
    AdjustVoucher {
        voucher: String,
        delta: Decimal,
        usable_on: Option<Date>,
    },
    /// Replaces the customer's balance at that version (the seller's settings), or creates it.
    PutBalance {
        balance: CustomerBalance,
        expected_version: Option<u64>,
    },
    /// Moves the credit balance by `credit` and the outstanding on account by `outstanding`.
    /// A negative `credit` holds on condition that the credit stays at least zero; a positive
    /// `outstanding` on condition that on account is allowed, its maximum is still
    /// `maximum_seen` and the outstanding stays at most that maximum. Giving back (credit up,
    /// outstanding down) always holds, and creates the balance when there is none.
    AdjustBalance {
        customer_id: String,
        currency: Currency,
        credit: Decimal,
        outstanding: Decimal,
        maximum_seen: Option<Decimal>,
    },
    /// Appends an entry to the audit trail.
    Audit(AuditEntry),
    /// Creates a promo code (`expected_version` None: `AlreadyExists` if the code is taken)
    /// or replaces it at that version (the seller voids it).
    PutPromo {
        promo: PromoCode,
        expected_version: Option<u64>,
    },
    /// Moves a promo code's uses by `delta`. A positive delta holds on condition that the
    /// code is active, `on` is within its window and its total limit is not reached; giving a
    /// use back holds while there is one to give back.
    AdjustPromoUses { code: String, delta: i32, on: Date },
    /// Moves a customer's uses of a promo code by `delta`: a positive delta on condition
    /// that they stay within `limit` (None: no limit).
    AdjustPromoCustomerUses {
        code: String,
        customer_id: String,
        delta: i32,
        limit: Option<u32>,
    },
    /// Counts a wrong code against a client address's hour, on condition that it had fewer
    /// than `limit` (the counter expires an hour after its own).
    CountCodeFailure { bucket: CodeGuessBucket, limit: u32 },
    /// Writes nothing; holds while the client address's hour has fewer than `limit` wrong
    /// codes (a checkout whose codes were right, committed within the limit).
    CheckCodeRoom { bucket: CodeGuessBucket, limit: u32 },
}

impl TenderWrite {
    pub fn describe(&self) -> ItemRef {
        match self {
            TenderWrite::PutVoucher { voucher, .. } => ItemRef::new(ItemKind::Voucher, &voucher.id),
            TenderWrite::AdjustVoucher { voucher, .. } => ItemRef::new(ItemKind::Voucher, voucher),
            TenderWrite::PutBalance { balance, .. } => ItemRef::new(
                ItemKind::Balance,
                format!("{}/{}", balance.customer_id, balance.currency.code()),
            ),
            TenderWrite::AdjustBalance {
                customer_id,
                currency,
                ..
            } => ItemRef::new(
                ItemKind::Balance,
                format!("{customer_id}/{}", currency.code()),
            ),
            TenderWrite::Audit(entry) => ItemRef::new(ItemKind::Audit, &entry.subject),
            TenderWrite::PutPromo { promo, .. } => ItemRef::new(ItemKind::Promo, &promo.code),
            TenderWrite::AdjustPromoUses { code, .. } => ItemRef::new(ItemKind::Promo, code),
            TenderWrite::AdjustPromoCustomerUses {
                code, customer_id, ..
            } => ItemRef::new(ItemKind::Promo, format!("{code}/{customer_id}")),
            TenderWrite::CountCodeFailure { bucket, .. }
            | TenderWrite::CheckCodeRoom { bucket, .. } => ItemRef::new(
                ItemKind::CodeGuesses,
                format!("{}/{}", bucket.client, bucket.hour),
            ),
        }
    }

    /// Whether a failed condition means the item exists already (vs changed or short).
    pub fn creates(&self) -> bool {
        matches!(
            self,
            TenderWrite::PutVoucher {
                expected_version: None,
                ..
            } | TenderWrite::PutBalance {
                expected_version: None,
                ..
            } | TenderWrite::PutPromo {
                expected_version: None,
                ..
            } | TenderWrite::Audit(_)
        )
    }

    /// The item it touches, to merge two writes to one item (a transaction may touch an item
    /// once).
    pub fn target(&self) -> (ItemKind, String) {
        let item = self.describe();
        (item.kind, item.id)
    }
}

/// Merges the adjustments of one transaction that touch the same voucher or balance into
/// one (a released reservation and a new one on the same voucher, say): deltas added, the
/// conditions of each kept.
pub fn merge_adjustments(writes: Vec<super::Write>) -> Vec<super::Write> {
    use super::Write;
    let mut merged: Vec<Write> = Vec::with_capacity(writes.len());
    for write in writes {
        let Write::Tender(adjustment) = &write else {
            merged.push(write);
            continue;
        };
        let target = adjustment.target();
        let same = merged.iter_mut().find_map(|w| match w {
            Write::Tender(t) if t.target() == target => Some(t),
            _ => None,
        });
        match (same, adjustment) {
            (
                Some(TenderWrite::AdjustVoucher {
                    delta, usable_on, ..
                }),
                TenderWrite::AdjustVoucher {
                    delta: more,
                    usable_on: on,
                    ..
                },
            ) => {
                *delta += *more;
                *usable_on = (*usable_on).max(*on);
            }
            (
                Some(TenderWrite::AdjustBalance {
                    credit,
                    outstanding,
                    maximum_seen,
                    ..
                }),
                TenderWrite::AdjustBalance {
                    credit: more_credit,
                    outstanding: more_outstanding,
                    maximum_seen: seen,
                    ..
                },
            ) => {
                *credit += *more_credit;
                *outstanding += *more_outstanding;
                *maximum_seen = (*maximum_seen).or(*seen);
            }
            (
                Some(TenderWrite::AdjustPromoUses { delta, on, .. }),
                TenderWrite::AdjustPromoUses {
                    delta: more,
                    on: day,
                    ..
                },
            ) => {
                *delta += *more;
                *on = (*on).max(*day);
            }
            (
                Some(TenderWrite::AdjustPromoCustomerUses { delta, limit, .. }),
                TenderWrite::AdjustPromoCustomerUses {
                    delta: more,
                    limit: other,
                    ..
                },
            ) => {
                *delta += *more;
                *limit = (*limit).or(*other);
            }
            _ => merged.push(write),
        }
    }
    merged
}

/// What a checkout reads of its tenders, in one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenderSnapshot {
    /// The vouchers found, in the order asked (an unknown id is left out).
    pub vouchers: Vec<Versioned<Voucher>>,
    pub balance: Option<Versioned<CustomerBalance>>,
    /// The promo code asked, when it exists, and the customer's uses of it.
    pub promo: Option<Versioned<PromoCode>>,
    pub promo_customer_uses: u32,
    /// The wrong codes counted in the client address's hour asked (0 when not asked).
    pub client_code_failures: u32,
}

/// What a checkout reads besides its vouchers and the balance, in the same request.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckoutReads<'a> {
    /// A promo code, and the customer's uses of it.
    pub promo: Option<&'a str>,
    /// The client address's wrong codes this hour.
    pub guesses: Option<&'a CodeGuessBucket>,
}

#[async_trait]
pub trait TenderStore: Send + Sync {
    /// The vouchers and the customer's balance in `currency`, in one read (BatchGetItem).
    async fn load_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: Currency,
    ) -> Result<TenderSnapshot, StoreError>;

    /// A promo code as stored (the back office's view), in one GetItem.
    async fn promo(&self, code: &str) -> Result<Option<Versioned<PromoCode>>, StoreError>;

    /// The same, with a promo code and the customer's uses of it and the client address's
    /// wrong codes this hour, still in one read.
    async fn load_checkout_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: Currency,
        reads: CheckoutReads<'_>,
    ) -> Result<TenderSnapshot, StoreError>;

    /// The audit trail of a subject, newest first, `limit` at most.
    async fn audit_trail(&self, subject: &str, limit: usize)
        -> Result<Vec<AuditEntry>, StoreError>;
}
