//! Vouchers, balances and the audit trail in memory, with the DynamoDB adapter's conditions
//! (see `dynamodb/tenders.rs`).

use std::collections::HashMap;

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::MemoryStore;
use crate::domain::tenders::{
    AuditEntry, CodeGuessBucket, CustomerBalance, Voucher, VoucherStatus,
};
use crate::domain::Currency;
use crate::ports::{
    CheckoutReads, StoreError, TenderSnapshot, TenderStore, TenderWrite, Versioned,
};

#[derive(Default)]
pub(crate) struct TenderTables {
    vouchers: HashMap<String, Versioned<Voucher>>,
    /// (customer, currency code) → balance
    balances: HashMap<(String, &'static str), Versioned<CustomerBalance>>,
    /// Oldest first.
    audit: Vec<AuditEntry>,
    promos: super::promos::PromoTables,
    /// A client address's wrong codes per hour.
    guesses: HashMap<CodeGuessBucket, u32>,
}

fn versioned_ok(
    stored: Option<u64>,
    expected: Option<u64>,
    write: &TenderWrite,
) -> Result<(), StoreError> {
    match (stored, expected) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(StoreError::AlreadyExists(write.describe())),
        (Some(v), Some(e)) if v == e => Ok(()),
        _ => Err(StoreError::VersionConflict(write.describe())),
    }
}

impl TenderTables {
    fn balance(
        &self,
        customer_id: &str,
        currency: Currency,
    ) -> Option<&Versioned<CustomerBalance>> {
        self.balances
            .get(&(customer_id.to_string(), currency.code()))
    }

    pub(super) fn check(&self, write: &TenderWrite) -> Result<(), StoreError> {
        let short = || Err(StoreError::VersionConflict(write.describe()));
        match write {
            TenderWrite::PutVoucher {
                voucher,
                expected_version,
            } => versioned_ok(
                self.vouchers.get(&voucher.id).map(|v| v.version),
                *expected_version,
                write,
            ),
            TenderWrite::AdjustVoucher {
                voucher,
                delta,
                usable_on,
            } => match self.vouchers.get(voucher) {
                None => short(),
                Some(v) => {
                    let enough =
                        *delta >= Decimal::ZERO || v.value.balance + *delta >= Decimal::ZERO;
                    let usable = usable_on.is_none_or(|day| {
                        v.value.status == VoucherStatus::Active && day <= v.value.expires_on
                    });
                    if enough && usable {
                        Ok(())
                    } else {
                        short()
                    }
                }
            },
            TenderWrite::PutBalance {
                balance,
                expected_version,
            } => versioned_ok(
                self.balance(&balance.customer_id, balance.currency)
                    .map(|b| b.version),
                *expected_version,
                write,
            ),
            TenderWrite::AdjustBalance {
                customer_id,
                currency,
                credit,
                outstanding,
                maximum_seen,
            } => {
                let stored = self.balance(customer_id, *currency).map(|b| &b.value);
                let credit_ok = *credit >= Decimal::ZERO
                    || stored.is_some_and(|b| b.credit + *credit >= Decimal::ZERO);
                let outstanding_ok = *outstanding <= Decimal::ZERO
                    || stored.is_some_and(|b| {
                        b.on_account.allowed
                            && Some(b.on_account.maximum) == *maximum_seen
                            && b.on_account.outstanding + *outstanding <= b.on_account.maximum
                    });
                if credit_ok && outstanding_ok {
                    Ok(())
                } else {
                    short()
                }
            }
            TenderWrite::Audit(_) => Ok(()),
            TenderWrite::CountCodeFailure { bucket, limit }
            | TenderWrite::CheckCodeRoom { bucket, limit } => {
                if self.guesses.get(bucket).copied().unwrap_or(0) < *limit {
                    Ok(())
                } else {
                    short()
                }
            }
            TenderWrite::PutPromo { .. }
            | TenderWrite::AdjustPromoUses { .. }
            | TenderWrite::AdjustPromoCustomerUses { .. } => self.promos.check(write),
        }
    }

    pub(super) fn apply(&mut self, write: TenderWrite) {
        if self.promos.apply(&write) {
            return;
        }
        match write {
            TenderWrite::PutVoucher {
                voucher,
                expected_version,
            } => {
                let version = expected_version.map_or(1, |v| v + 1);
                self.vouchers.insert(
                    voucher.id.clone(),
                    Versioned {
                        value: voucher,
                        version,
                    },
                );
            }
            TenderWrite::AdjustVoucher { voucher, delta, .. } => {
                if let Some(stored) = self.vouchers.get_mut(&voucher) {
                    stored.value.balance += delta;
                    stored.version += 1;
                }
            }
            TenderWrite::PutBalance {
                balance,
                expected_version,
            } => {
                let version = expected_version.map_or(1, |v| v + 1);
                self.balances.insert(
                    (balance.customer_id.clone(), balance.currency.code()),
                    Versioned {
                        value: balance,
                        version,
                    },
                );
            }
            TenderWrite::AdjustBalance {
                customer_id,
                currency,
                credit,
                outstanding,
                ..
            } => {
                let stored = self
                    .balances
                    .entry((customer_id.clone(), currency.code()))
                    .or_insert_with(|| Versioned {
                        value: CustomerBalance::empty(&customer_id, currency),
                        version: 0,
                    });
                stored.value.credit += credit;
                stored.value.on_account.outstanding += outstanding;
                stored.version += 1;
            }
            TenderWrite::Audit(entry) => self.audit.push(entry),
            TenderWrite::CountCodeFailure { bucket, .. } => {
                *self.guesses.entry(bucket).or_default() += 1;
            }
            TenderWrite::CheckCodeRoom { .. } => {}
            TenderWrite::PutPromo { .. }
            | TenderWrite::AdjustPromoUses { .. }
            | TenderWrite::AdjustPromoCustomerUses { .. } => {}
        }
    }
}

#[async_trait]
impl TenderStore for MemoryStore {
    async fn load_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: Currency,
    ) -> Result<TenderSnapshot, StoreError> {
        let tables = self.lock()?;
        let tenders = &tables.tenders;
        Ok(TenderSnapshot {
            vouchers: voucher_ids
                .iter()
                .filter_map(|id| tenders.vouchers.get(id).cloned())
                .collect(),
            balance: tenders.balance(customer_id, currency).cloned(),
            promo: None,
            promo_customer_uses: 0,
            client_code_failures: 0,
        })
    }

    async fn promo(
        &self,
        code: &str,
    ) -> Result<Option<Versioned<crate::domain::promo::PromoCode>>, StoreError> {
        Ok(self.lock()?.tenders.promos.promos.get(code).cloned())
    }

    async fn load_checkout_tenders(
        &self,
        voucher_ids: &[String],
        customer_id: &str,
        currency: Currency,
        reads: CheckoutReads<'_>,
    ) -> Result<TenderSnapshot, StoreError> {
        let mut snapshot = self
            .load_tenders(voucher_ids, customer_id, currency)
            .await?;
        let tables = self.lock()?;
        if let Some(promo) = reads.promo {
            let promos = &tables.tenders.promos;
            snapshot.promo = promos.promos.get(promo).cloned();
            snapshot.promo_customer_uses = promos.customer_uses(promo, customer_id);
        }
        if let Some(bucket) = reads.guesses {
            snapshot.client_code_failures =
                tables.tenders.guesses.get(bucket).copied().unwrap_or(0);
        }
        Ok(snapshot)
    }

    async fn audit_trail(
        &self,
        subject: &str,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let tables = self.lock()?;
        Ok(tables
            .tenders
            .audit
            .iter()
            .rev()
            .filter(|e| e.subject == subject)
            .take(limit)
            .cloned()
            .collect())
    }
}
