//! Promo codes and their uses in memory, with the DynamoDB adapter's conditions (see
//! `dynamodb/promos.rs`).

use std::collections::HashMap;

use crate::domain::promo::{PromoCode, PromoStatus};
use crate::ports::{StoreError, TenderWrite, Versioned};

#[derive(Default)]
pub(crate) struct PromoTables {
    pub(super) promos: HashMap<String, Versioned<PromoCode>>,
    /// (code, customer) → uses
    pub(super) uses: HashMap<(String, String), u32>,
}

impl PromoTables {
    pub(super) fn customer_uses(&self, code: &str, customer_id: &str) -> u32 {
        self.uses
            .get(&(code.to_string(), customer_id.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Whether `write` holds (a promo write: the others are not ours and hold here).
    pub(super) fn check(&self, write: &TenderWrite) -> Result<(), StoreError> {
        let short = || Err(StoreError::VersionConflict(write.describe()));
        match write {
            TenderWrite::PutPromo {
                promo,
                expected_version,
            } => match (
                self.promos.get(&promo.code).map(|p| p.version),
                expected_version,
            ) {
                (None, None) => Ok(()),
                (Some(_), None) => Err(StoreError::AlreadyExists(write.describe())),
                (Some(v), Some(e)) if v == *e => Ok(()),
                _ => short(),
            },
            TenderWrite::AdjustPromoUses { code, delta, on } => match self.promos.get(code) {
                None => short(),
                Some(p) if *delta > 0 => {
                    let p = &p.value;
                    let open = p.status == PromoStatus::Active
                        && (p.valid_from..=p.valid_until).contains(on)
                        && p.total_limit.is_none_or(|l| p.uses < l);
                    if open {
                        Ok(())
                    } else {
                        short()
                    }
                }
                Some(p) if i64::from(p.value.uses) + i64::from(*delta) >= 0 => Ok(()),
                Some(_) => short(),
            },
            TenderWrite::AdjustPromoCustomerUses {
                code,
                customer_id,
                delta,
                limit,
            } => {
                let used = self.customer_uses(code, customer_id);
                let holds = if *delta > 0 {
                    limit.is_none_or(|l| used < l)
                } else {
                    i64::from(used) + i64::from(*delta) >= 0
                };
                if holds {
                    Ok(())
                } else {
                    short()
                }
            }
            _ => Ok(()),
        }
    }

    /// Applies a promo write; false when `write` is not one.
    pub(super) fn apply(&mut self, write: &TenderWrite) -> bool {
        match write {
            TenderWrite::PutPromo {
                promo,
                expected_version,
            } => {
                self.promos.insert(
                    promo.code.clone(),
                    Versioned {
                        value: promo.clone(),
                        version: expected_version.map_or(1, |v| v + 1),
                    },
                );
            }
            TenderWrite::AdjustPromoUses { code, delta, .. } => {
                if let Some(stored) = self.promos.get_mut(code) {
                    stored.value.uses = stored.value.uses.saturating_add_signed(*delta);
                    stored.version += 1;
                }
            }
            TenderWrite::AdjustPromoCustomerUses {
                code,
                customer_id,
                delta,
                ..
            } => {
                let used = self
                    .uses
                    .entry((code.clone(), customer_id.clone()))
                    .or_default();
                *used = used.saturating_add_signed(*delta);
            }
            _ => return false,
        }
        true
    }
}
