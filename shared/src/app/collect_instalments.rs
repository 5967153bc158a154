//! The daily instalment collection run: every scheduled instalment due today or before (a run
//! missed yesterday catches up), charged off-session a few at a time, each on its own (one
//! failure never stops the others). What the PSP could not answer stays on the list for the
//! next run; its charge key makes a second try safe.

use std::sync::Arc;

use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::collect_instalment::{collect_instalment, Collected};
use crate::domain::paris_time::paris_date;
use crate::domain::Payment;
use crate::ports::{Clock, PaymentWrites, ProviderRegistry, StoreError};

/// Instalments read per page of the due list.
const PAGE: usize = 100;

/// What one run did, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CollectionReport {
    pub due: usize,
    pub charged: usize,
    pub refused: usize,
    pub needs_shopper: usize,
    pub cancelled: usize,
    pub already_done: usize,
    pub deferred: usize,
}

impl CollectionReport {
    /// Adds another report's outcomes (`due` is counted from the list, not here).
    fn add(&mut self, other: CollectionReport) {
        self.charged += other.charged;
        self.refused += other.refused;
        self.needs_shopper += other.needs_shopper;
        self.cancelled += other.cancelled;
        self.already_done += other.already_done;
        self.deferred += other.deferred;
    }

    fn count(&mut self, outcome: Collected) {
        match outcome {
            Collected::Charged => self.charged += 1,
            Collected::Refused => self.refused += 1,
            Collected::NeedsShopper => self.needs_shopper += 1,
            Collected::Cancelled => self.cancelled += 1,
            Collected::AlreadyDone => self.already_done += 1,
            Collected::Deferred => self.deferred += 1,
        }
    }
}

pub struct CollectInstalments {
    store: Arc<dyn PaymentWrites>,
    providers: Arc<ProviderRegistry>,
    clock: Arc<dyn Clock>,
    /// Charges in flight at once.
    concurrency: usize,
}

impl CollectInstalments {
    pub fn new(
        store: Arc<dyn PaymentWrites>,
        providers: Arc<ProviderRegistry>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
            concurrency: 8,
        }
    }

    /// Charges in flight at once (at least 1).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Collects everything due today (the shop's calendar) or before.
    pub async fn run(&self) -> Result<CollectionReport, StoreError> {
        self.run_on(paris_date(self.clock.now())).await
    }

    /// Collects everything due on `today` or before (a catch-up, or a test's later day).
    pub async fn run_on(&self, today: time::Date) -> Result<CollectionReport, StoreError> {
        let now = self.clock.now();
        let mut report = CollectionReport::default();
        let mut after: Option<Payment> = None;
        loop {
            let page = self
                .store
                .due_instalments(today, after.as_ref(), PAGE)
                .await?;
            report.due += page.len();
            let full = page.len() == PAGE;
            after = page.last().cloned();
            self.collect_page(page, now, &mut report).await;
            if !full {
                break;
            }
        }
        tracing::info!(
            due = report.due,
            charged = report.charged,
            refused = report.refused,
            needs_shopper = report.needs_shopper,
            cancelled = report.cancelled,
            deferred = report.deferred,
            "instalment collection run"
        );
        Ok(report)
    }

    async fn collect_page(
        &self,
        page: Vec<Payment>,
        now: OffsetDateTime,
        report: &mut CollectionReport,
    ) {
        // One order's instalments one after the other (a catch-up may find several due):
        // they commit to the same order item, so running them together would only conflict.
        let mut by_order: Vec<Vec<Payment>> = Vec::new();
        for due in page {
            match by_order
                .iter_mut()
                .find(|group| group[0].order_reference == due.order_reference)
            {
                Some(group) => group.push(due),
                None => by_order.push(vec![due]),
            }
        }
        let mut running = JoinSet::new();
        for group in by_order {
            while running.len() >= self.concurrency {
                if let Some(done) = running.join_next().await {
                    report.add(done.unwrap_or_default());
                }
            }
            let (store, providers) = (self.store.clone(), self.providers.clone());
            running.spawn(async move {
                let mut outcomes = CollectionReport::default();
                for due in &group {
                    outcomes.count(
                        collect_instalment(store.as_ref(), providers.as_ref(), due, now).await,
                    );
                }
                outcomes
            });
        }
        while let Some(done) = running.join_next().await {
            report.add(done.unwrap_or_default());
        }
    }
}
