//! `monthly-direct-debit`: every customer's SEPA purchases of a month collected in ONE debit.
//! The schedule (02:00 Paris on the 1st) fans out one job per customer of the month from the
//! sharded index (never a Scan); each job moves its month one step: an open month of the past
//! is totalled, its customer's cap reviewed and the debit announced for a business day
//! `notice_days` ahead (one transaction with the announcement's and the month's summary
//! invoice's outbox events); an announced
//! month whose day has come is submitted to the PSP (its key from customer and month, so a
//! schedule fired twice or a job delivered twice debits no one twice). The PSP's answer, now
//! or by notification, settles the month's orders (`outcome.rs`).

mod other_settlement;
mod outcome;

use std::sync::Arc;

use time::OffsetDateTime;

pub use other_settlement::{record_other_settlement, OtherSettlementError, SettlementRecord};
pub use outcome::{debit_outcome, record_debit_outcome, DebitOutcome};

use super::start_sepa::SepaSettings;
use crate::domain::paris_time::paris_date;
use crate::domain::sepa::calendar::add_business_days;
use crate::domain::sepa::{DebitMonth, DebitStatus, MonthId, SepaAccount, StoredScore};
use crate::domain::{Currency, Money, OutboxEvent, OutboxKind};
use crate::ports::{
    Clock, DebitJob, DebitJobQueue, MandateDebit, ProviderError, ProviderRegistry, QueueError,
    SepaWrite, Store, StoreError, Versioned, Write, MONTH_SHARDS,
};

/// A page of the month's index per query.
const PAGE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum DebitError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("score provider: {0}")]
    Score(String),
}

/// What the fan-out did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FanOutReport {
    pub month: String,
    pub customers: usize,
    pub queued: usize,
}

/// What a job did to its month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Advanced {
    /// Nothing to do yet (or any more): the month is where it should be.
    Unchanged,
    /// Totalled and announced for its collection date.
    Announced,
    /// Totalled, but no usable mandate: the seller settles it another way.
    ClosedWithoutMandate,
    /// Sent to the PSP.
    Submitted,
    /// Sent, and the PSP's answer already settled it.
    Settled,
}

pub struct MonthlyDirectDebit {
    store: Arc<dyn Store>,
    providers: Arc<ProviderRegistry>,
    clock: Arc<dyn Clock>,
    queue: Arc<dyn DebitJobQueue>,
    settings: SepaSettings,
    notice_days: u32,
    creditor_id: Option<String>,
}

impl MonthlyDirectDebit {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<ProviderRegistry>,
        clock: Arc<dyn Clock>,
        queue: Arc<dyn DebitJobQueue>,
        settings: SepaSettings,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
            queue,
            notice_days: settings.notice_days,
            settings,
            creditor_id: None,
        }
    }

    /// The seller's SEPA creditor identifier, given in the announcement (`SEPA_CREDITOR_ID`;
    /// None: the PSP's own, shown on the mandate).
    pub fn with_creditor_id(mut self, creditor_id: Option<String>) -> Self {
        self.creditor_id = creditor_id;
        self
    }

    /// The month just ended in Paris.
    pub fn last_month(&self) -> MonthId {
        MonthId::of(paris_date(self.clock.now())).previous()
    }

    /// One job per customer with a SEPA month `month`, every shard paged through.
    pub async fn fan_out(&self, month: MonthId) -> Result<FanOutReport, DebitError> {
        let (mut customers, mut queued) = (0, 0);
        for shard in 0..MONTH_SHARDS {
            let mut after: Option<String> = None;
            loop {
                let page = self
                    .store
                    .month_customers(month, shard, after.as_deref(), PAGE)
                    .await?;
                if page.is_empty() {
                    break;
                }
                let jobs: Vec<DebitJob> = page
                    .iter()
                    .map(|customer_id| DebitJob {
                        customer_id: customer_id.clone(),
                        month,
                    })
                    .collect();
                customers += jobs.len();
                queued += self.queue.enqueue(&jobs).await?;
                after = page.last().cloned();
                if page.len() < PAGE {
                    break;
                }
            }
        }
        tracing::info!(%month, customers, queued, "direct debit jobs queued");
        Ok(FanOutReport {
            month: month.to_string(),
            customers,
            queued,
        })
    }

    /// Moves one customer's month one step (see the module's comment).
    pub async fn advance(&self, job: &DebitJob) -> Result<Advanced, DebitError> {
        self.advance_at(job, self.clock.now()).await
    }

    /// As `advance`, as of `now` (the devserver's trigger reaches a collection date at once).
    pub async fn advance_at(
        &self,
        job: &DebitJob,
        now: OffsetDateTime,
    ) -> Result<Advanced, DebitError> {
        let today = paris_date(now);
        let snapshot = self.store.load_sepa(&job.customer_id).await?;
        let Some(month) = snapshot.month(job.month).cloned() else {
            return Ok(Advanced::Unchanged);
        };
        match month.value.status {
            DebitStatus::Open if job.month < MonthId::of(today) => {
                self.close(&snapshot, month, now).await
            }
            DebitStatus::Notified if month.value.collection_on.is_some_and(|d| d <= today) => {
                self.submit(&snapshot, month, now).await
            }
            // The PSP's notification may have been lost: asked again on each run.
            DebitStatus::Submitted => self.poll(&month.value, now).await,
            _ => Ok(Advanced::Unchanged),
        }
    }

    async fn close(
        &self,
        snapshot: &crate::ports::SepaSnapshot,
        month: Versioned<DebitMonth>,
        now: OffsetDateTime,
    ) -> Result<Advanced, DebitError> {
        let customer_id = month.value.customer_id.clone();
        // For score providers keyed by email; empty without a profile.
        let email = snapshot
            .profile
            .as_ref()
            .map(|p| p.value.email.clone())
            .unwrap_or_default();
        let value = self
            .settings
            .scores
            .score(&customer_id, &email)
            .await
            .map_err(|e| DebitError::Score(e.0))?;
        let stored_account = snapshot.account.clone();
        let mut account = stored_account
            .as_ref()
            .map(|a| a.value.clone())
            .unwrap_or_else(|| SepaAccount::new(&customer_id, &self.settings.rule, now));
        let score = StoredScore {
            value,
            checked_on: paris_date(now),
        };
        let review = self.settings.rule.review(
            &mut account,
            month.value.month,
            month.value.total,
            score,
            now,
        );
        let mut closed = month.value.clone();
        closed.updated_at = now;
        let mut writes = vec![Write::Sepa(SepaWrite::PutAccount {
            account,
            expected_version: stored_account.map(|a| a.version),
        })];
        let advanced = match snapshot.active_mandate() {
            Some(mandate) => {
                closed.status = DebitStatus::Notified;
                closed.mandate = Some(mandate.id.clone());
                closed.mandate_reference = mandate.reference.clone();
                closed.creditor_id = self.creditor_id.clone();
                closed.collection_on = Some(add_business_days(paris_date(now), self.notice_days));
                writes.push(Write::PutOutbox(month_event(
                    &closed,
                    OutboxKind::DirectDebitAnnounced,
                    now,
                )?));
                Advanced::Announced
            }
            None => {
                tracing::warn!(alert = "sepa_month_without_mandate", month = %closed.month, "a SEPA month has no usable mandate: the seller settles it");
                closed.status = DebitStatus::Closed;
                Advanced::ClosedWithoutMandate
            }
        };
        // The month's summary invoice, announced or not: the customer owes it either way.
        writes.push(Write::PutOutbox(month_event(
            &closed,
            OutboxKind::MonthInvoiceDue,
            now,
        )?));
        writes.push(Write::Sepa(SepaWrite::PutMonth {
            month: closed,
            expected_version: Some(month.version),
        }));
        match self.store.transact(writes).await {
            Ok(()) => {
                tracing::info!(old_cap = %review.old_cap, new_cap = %review.new_cap, suspended = review.suspended, "SEPA month closed");
                Ok(advanced)
            }
            // Another delivery of this job got there first.
            Err(StoreError::VersionConflict(_) | StoreError::AlreadyExists(_)) => {
                Ok(Advanced::Unchanged)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A submitted debit as its PSP has it now; its outcome recorded once the bank answered.
    async fn poll(&self, month: &DebitMonth, now: OffsetDateTime) -> Result<Advanced, DebitError> {
        let (Some(provider), Some(debit)) = (&month.provider, &month.psp_payment) else {
            return Ok(Advanced::Unchanged);
        };
        let provider = self.providers.get(provider).map_err(ProviderError::from)?;
        let fresh = provider.fetch_payment(debit).await?;
        let Some(outcome) = debit_outcome(&fresh) else {
            return Ok(Advanced::Unchanged);
        };
        let moved = record_debit_outcome(
            self.store.as_ref(),
            &month.customer_id,
            month.month,
            outcome,
            now,
            Vec::new(),
        )
        .await?;
        Ok(match moved {
            true => Advanced::Settled,
            false => Advanced::Unchanged,
        })
    }

    async fn submit(
        &self,
        snapshot: &crate::ports::SepaSnapshot,
        month: Versioned<DebitMonth>,
        now: OffsetDateTime,
    ) -> Result<Advanced, DebitError> {
        let mandate = month
            .value
            .mandate
            .as_deref()
            .and_then(|id| snapshot.mandate(id))
            .map(|m| m.value.clone())
            .filter(|m| m.is_usable());
        let (Some(mandate), Some(customer)) = (mandate, snapshot.profile.clone()) else {
            // Revoked since the announcement: nothing can be debited; the seller settles it.
            let mut closed = month.value.clone();
            closed.status = DebitStatus::Closed;
            closed.updated_at = now;
            self.store
                .transact(vec![Write::Sepa(SepaWrite::PutMonth {
                    month: closed,
                    expected_version: Some(month.version),
                })])
                .await?;
            return Ok(Advanced::ClosedWithoutMandate);
        };
        let provider = self
            .providers
            .get(&mandate.provider)
            .map_err(ProviderError::from)?;
        let psp_customer = customer
            .value
            .provider_customers
            .get(&mandate.provider)
            .cloned()
            .unwrap_or_default();
        let amount = Money::new(month.value.total, Currency::EUR)
            .map_err(|e| StoreError::Corrupt(format!("month total: {e}")))?;
        let debit = MandateDebit {
            debit_id: month_id(&month.value),
            customer: psp_customer,
            payment_method: mandate.payment_method.clone().unwrap_or_default(),
            mandate: mandate.psp_mandate.clone().unwrap_or_default(),
            amount,
            description: format!("Prélèvement {}", month.value.month),
            idempotency_key: month.value.debit_key(),
        };
        let fresh = provider.debit_mandate(&debit).await?;
        let mut submitted = month.value.clone();
        submitted.status = DebitStatus::Submitted;
        submitted.provider = Some(mandate.provider.clone());
        submitted.psp_payment = Some(fresh.id.clone());
        submitted.updated_at = now;
        match self
            .store
            .transact(vec![Write::Sepa(SepaWrite::PutMonth {
                month: submitted,
                expected_version: Some(month.version),
            })])
            .await
        {
            Ok(()) | Err(StoreError::VersionConflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        // The PSP may already have answered (or its notification be on the way).
        match debit_outcome(&fresh) {
            Some(outcome) => {
                record_debit_outcome(
                    self.store.as_ref(),
                    &month.value.customer_id,
                    month.value.month,
                    outcome,
                    now,
                    Vec::new(),
                )
                .await?;
                Ok(Advanced::Settled)
            }
            None => Ok(Advanced::Submitted),
        }
    }
}

/// `<customer>#<yyyy-mm>`: how a month is named to the PSP and in outbox events.
pub fn month_id(month: &DebitMonth) -> String {
    format!("{}#{}", month.customer_id, month.month)
}

/// The customer and month a month id names.
pub fn parse_month_id(id: &str) -> Option<(String, MonthId)> {
    let (customer, month) = id.split_once('#')?;
    Some((customer.to_string(), MonthId::parse(month)?))
}

/// An outbox event about a month: keyed on the month and its status so each step tells once;
/// its order is the month's first line's (the customer's email and locale come from there).
pub fn month_event(
    month: &DebitMonth,
    kind: OutboxKind,
    now: OffsetDateTime,
) -> Result<OutboxEvent, StoreError> {
    let order = month
        .lines
        .values()
        .map(|l| l.order_reference.clone())
        .min_by(|a, b| a.as_str().cmp(b.as_str()))
        .ok_or_else(|| StoreError::Corrupt("a SEPA month without lines".into()))?;
    let kind_name = match kind {
        OutboxKind::DirectDebitAnnounced => "dd_announced",
        OutboxKind::MonthInvoiceDue => "dd_invoice",
        _ => "dd_returned",
    };
    Ok(OutboxEvent {
        id: format!("{kind_name}#{}", month_id(month)),
        kind,
        order_reference: order,
        payment_id: month_id(month),
        amount: month.total,
        currency: Currency::EUR,
        created_at: now,
        document: None,
    })
}
