//! The back office's view of a month of SEPA debits: how many customers' months are in each
//! status and for how much, and a page of the months themselves (optionally of one status), by
//! customer id. It reads the month's sharded index (the close's own, never a Scan), every
//! shard at once; memory stays bounded whatever the month's size: counters, and the page.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use tokio::task::JoinSet;

use crate::domain::sepa::{DebitMonth, DebitStatus, MonthId};
use crate::ports::{Store, StoreError, MONTH_SHARDS};

/// Index entries per Query.
const PAGE: usize = 1000;
/// The most months one page of the overview lists.
pub const MAX_LISTED: usize = 500;

/// One status's share of the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusTotal {
    pub status: DebitStatus,
    pub count: usize,
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthOverview {
    pub month: MonthId,
    pub count: usize,
    pub total: Decimal,
    /// Every status, in the order of a debit's life, zeros included.
    pub by_status: Vec<StatusTotal>,
    /// The listed months (of `status` when asked), by customer id after the cursor.
    pub debits: Vec<DebitMonth>,
    /// The cursor of the next page: the last listed customer, when more follow.
    pub next_after: Option<String>,
}

/// What to list besides the counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverviewPage {
    pub status: Option<DebitStatus>,
    /// List customers after this one (the previous page's `next_after`).
    pub after: Option<String>,
    pub limit: usize,
}

/// What one shard holds: counters and the first listable months.
struct ShardTally {
    counts: BTreeMap<DebitStatus, (usize, Decimal)>,
    listed: BTreeMap<String, DebitMonth>,
}

async fn tally_shard(
    store: Arc<dyn Store>,
    month: MonthId,
    shard: u32,
    page: Arc<OverviewPage>,
) -> Result<ShardTally, StoreError> {
    let mut tally = ShardTally {
        counts: BTreeMap::new(),
        listed: BTreeMap::new(),
    };
    let mut after: Option<String> = None;
    loop {
        let months = store
            .month_debits(month, shard, after.as_deref(), PAGE)
            .await?;
        let full = months.len() == PAGE;
        after = months.last().map(|m| m.customer_id.clone());
        for debit in months {
            let entry = tally
                .counts
                .entry(debit.status)
                .or_insert((0, Decimal::ZERO));
            entry.0 += 1;
            entry.1 += debit.total;
            let listable = page.status.is_none_or(|s| s == debit.status)
                && page
                    .after
                    .as_deref()
                    .is_none_or(|a| debit.customer_id.as_str() > a);
            if listable {
                tally.listed.insert(debit.customer_id.clone(), debit);
                // One more than the page, to tell whether another follows.
                if tally.listed.len() > page.limit + 1 {
                    tally.listed.pop_last();
                }
            }
        }
        if !full {
            return Ok(tally);
        }
    }
}

/// The month's counts and totals by status, and one page of its months.
pub async fn month_overview(
    store: Arc<dyn Store>,
    month: MonthId,
    page: OverviewPage,
) -> Result<MonthOverview, StoreError> {
    let page = Arc::new(OverviewPage {
        limit: page.limit.clamp(1, MAX_LISTED),
        ..page
    });
    let mut shards = JoinSet::new();
    for shard in 0..MONTH_SHARDS {
        shards.spawn(tally_shard(store.clone(), month, shard, page.clone()));
    }
    let mut counts: BTreeMap<DebitStatus, (usize, Decimal)> = BTreeMap::new();
    let mut listed: BTreeMap<String, DebitMonth> = BTreeMap::new();
    while let Some(joined) = shards.join_next().await {
        let tally =
            joined.map_err(|e| StoreError::Unavailable(format!("overview task: {e}")))??;
        for (status, (count, total)) in tally.counts {
            let entry = counts.entry(status).or_insert((0, Decimal::ZERO));
            entry.0 += count;
            entry.1 += total;
        }
        listed.extend(tally.listed);
    }
    let more = listed.len() > page.limit;
    let debits: Vec<DebitMonth> = listed.into_values().take(page.limit).collect();
    let next_after = more
        .then(|| debits.last().map(|d| d.customer_id.clone()))
        .flatten();
    let by_status: Vec<StatusTotal> = DebitStatus::ALL
        .into_iter()
        .map(|status| {
            let (count, total) = counts.get(&status).copied().unwrap_or_default();
            StatusTotal {
                status,
                count,
                total,
            }
        })
        .collect();
    Ok(MonthOverview {
        month,
        count: by_status.iter().map(|s| s.count).sum(),
        total: by_status.iter().map(|s| s.total).sum(),
        by_status,
        debits,
        next_after,
    })
}
