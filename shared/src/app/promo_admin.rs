//! The seller's promo codes: created (the code is the seller's word; creating the same code
//! with the same settings again answers it as it is), read with their uses and audit trail,
//! voided. Every change audited in its own transaction.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::domain::promo::{PromoCode, PromoStatus};
use crate::domain::tenders::AuditEntry;
use crate::domain::FieldError;
use crate::ports::{Clock, Store, StoreError, TenderWrite, Versioned, Write};

#[derive(Debug, thiserror::Error)]
pub enum PromoAdminError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("no such promo code")]
    NotFound,
    /// The code exists with other settings.
    #[error("this code exists with other settings")]
    Exists,
    #[error("changed concurrently too many times; retry")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct PromoAdmin {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

pub fn subject(code: &str) -> String {
    format!("promo {code}")
}

fn json(promo: &PromoCode) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(promo).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The settings the seller chose (what a second create must repeat to be the same).
fn same_settings(a: &PromoCode, b: &PromoCode) -> bool {
    let settings = |p: &PromoCode| {
        (
            p.label.clone(),
            p.currency,
            p.off,
            p.valid_from,
            p.valid_until,
            p.minimum_order,
            p.total_limit,
            p.per_customer_limit,
        )
    };
    settings(a) == settings(b)
}

impl PromoAdmin {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Creates `promo` (its `uses`, `status`, `created_*` are set here); true when created,
    /// false when the same code with the same settings existed.
    pub async fn create(
        &self,
        mut promo: PromoCode,
        by: &str,
    ) -> Result<(PromoCode, bool), PromoAdminError> {
        promo.validate()?;
        let now = self.clock.now();
        promo.uses = 0;
        promo.status = PromoStatus::Active;
        promo.created_at = now;
        promo.created_by = by.to_string();
        let writes = vec![
            Write::Tender(TenderWrite::PutPromo {
                promo: promo.clone(),
                expected_version: None,
            }),
            Write::Tender(TenderWrite::Audit(AuditEntry {
                subject: subject(&promo.code),
                at: now,
                by: by.to_string(),
                action: "promo_code_created".into(),
                before: None,
                after: json(&promo)?,
            })),
        ];
        match self.store.transact(writes).await {
            Ok(()) => Ok((promo, true)),
            Err(StoreError::AlreadyExists(_)) => {
                let stored = self
                    .store
                    .promo(&promo.code)
                    .await?
                    .ok_or(PromoAdminError::Conflict)?;
                if same_settings(&stored.value, &promo) {
                    Ok((stored.value, false))
                } else {
                    Err(PromoAdminError::Exists)
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The code with its audit trail (newest first).
    pub async fn show(
        &self,
        code: &str,
    ) -> Result<(Versioned<PromoCode>, Vec<AuditEntry>), PromoAdminError> {
        let stored = self
            .store
            .promo(code)
            .await?
            .ok_or(PromoAdminError::NotFound)?;
        let trail = self.store.audit_trail(&subject(code), 50).await?;
        Ok((stored, trail))
    }

    /// Voids the code: no checkout applies it any more (those holding it keep it).
    pub async fn void(&self, code: &str, by: &str) -> Result<PromoCode, PromoAdminError> {
        for _ in 0..3 {
            let stored = self
                .store
                .promo(code)
                .await?
                .ok_or(PromoAdminError::NotFound)?;
            if stored.value.status == PromoStatus::Void {
                return Ok(stored.value);
            }
            let mut voided = stored.value.clone();
            voided.status = PromoStatus::Void;
            let writes = vec![
                Write::Tender(TenderWrite::PutPromo {
                    promo: voided.clone(),
                    expected_version: Some(stored.version),
                }),
                Write::Tender(TenderWrite::Audit(AuditEntry {
                    subject: subject(code),
                    at: self.clock.now(),
                    by: by.to_string(),
                    action: "promo_code_voided".into(),
                    before: Some(json(&stored.value)?),
                    after: json(&voided)?,
                })),
            ];
            match self.store.transact(writes).await {
                Ok(()) => return Ok(voided),
                // A checkout counted a use meanwhile: read again.
                Err(StoreError::VersionConflict(_) | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PromoAdminError::Conflict)
    }
}
