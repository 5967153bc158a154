//! The seller's view and settings of a customer's SEPA standing: read it (cap, state, months),
//! set the cap, suspend SEPA or reinstate it (after a returned debit, a low score). Each change
//! is a conditional write on the standing's version, and the caller is logged.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::direct_debit::{record_other_settlement, OtherSettlementError, SettlementRecord};
use super::sepa_month_overview::{month_overview, MonthOverview, OverviewPage};
use super::start_sepa::SepaSettings;
use crate::domain::sepa::{DebitMonth, MonthId, SepaAccount, SepaState, SuspensionReason};
use crate::domain::FieldError;
use crate::ports::{Clock, SepaWrite, Store, StoreError, Write};

#[derive(Debug, thiserror::Error)]
pub enum SepaAdminError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the seller asks: a new cap, and/or SEPA open or closed for the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StandingChange {
    pub cap: Option<Decimal>,
    /// `Some(true)`: reinstate; `Some(false)`: suspend.
    pub active: Option<bool>,
}

pub struct SepaAdmin {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: SepaSettings,
}

impl SepaAdmin {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: SepaSettings) -> Self {
        Self {
            store,
            clock,
            settings,
        }
    }

    /// The standing (a new customer's when none is stored) and every month, newest first.
    pub async fn standing(
        &self,
        customer_id: &str,
    ) -> Result<(SepaAccount, Vec<DebitMonth>), SepaAdminError> {
        let snapshot = self.store.load_sepa(customer_id).await?;
        let account = snapshot.account.map(|a| a.value).unwrap_or_else(|| {
            SepaAccount::new(customer_id, &self.settings.rule, self.clock.now())
        });
        Ok((
            account,
            snapshot.months.into_iter().map(|m| m.value).collect(),
        ))
    }

    /// Applies the seller's change; retried on a concurrent change of the standing.
    pub async fn change(
        &self,
        customer_id: &str,
        change: &StandingChange,
    ) -> Result<SepaAccount, SepaAdminError> {
        if let Some(cap) = change.cap {
            // Significant decimals, as every amount read ("300.500" is 300.50).
            if cap <= Decimal::ZERO
                || cap.normalize().scale() > 2
                || cap > Decimal::new(1_000_000, 0)
            {
                return Err(FieldError::new(
                    "cap",
                    "must be a positive amount in euros, 2 decimals at most, up to 1000000",
                )
                .into());
            }
        }
        for _ in 0..3 {
            let now = self.clock.now();
            let snapshot = self.store.load_sepa(customer_id).await?;
            let stored = snapshot.account;
            let mut account = stored
                .as_ref()
                .map(|a| a.value.clone())
                .unwrap_or_else(|| SepaAccount::new(customer_id, &self.settings.rule, now));
            if let Some(cap) = change.cap {
                account.cap = cap;
                account.updated_at = now;
            }
            match change.active {
                Some(true) if account.state != SepaState::Active => account.reinstate(now),
                Some(false) => {
                    account.suspend(SuspensionReason::Seller, now);
                }
                _ => {}
            }
            let write = Write::Sepa(SepaWrite::PutAccount {
                account: account.clone(),
                expected_version: stored.map(|a| a.version),
            });
            match self.store.transact(vec![write]).await {
                Ok(()) => return Ok(account),
                Err(StoreError::VersionConflict(_) | StoreError::AlreadyExists(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention.into())
    }

    /// A month's debits: counts and totals by status, and a page of them.
    pub async fn month(
        &self,
        month: MonthId,
        page: OverviewPage,
    ) -> Result<MonthOverview, StoreError> {
        month_overview(self.store.clone(), month, page).await
    }

    /// Records that the customer paid a month the debit did not collect another way.
    pub async fn settle_otherwise(
        &self,
        customer_id: &str,
        month: MonthId,
        record: &SettlementRecord,
    ) -> Result<DebitMonth, OtherSettlementError> {
        record_other_settlement(
            self.store.as_ref(),
            customer_id,
            month,
            record,
            self.clock.now(),
        )
        .await
    }
}
