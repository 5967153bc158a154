//! The per-flow targets, judged on the measured card-flow steps. A "write" is counted
//! two ways, both shown: write requests (round trips) and items written (a transaction of four
//! items is one request but four writes, and is billed as such).

use std::collections::BTreeMap;

use crate::card_flow::Step;
use crate::monthly_close::{fig, Run};

const READS: [&str; 5] = [
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
];
const WRITES: [&str; 5] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

fn count_ops(counted: &BTreeMap<String, u64>, ops: &[&str]) -> u64 {
    counted
        .iter()
        .filter(|(op, _)| ops.contains(&op.as_str()))
        .map(|(_, n)| n)
        .sum()
}

fn count(step: &Step, ops: &[&str]) -> u64 {
    count_ops(&step.ops, ops)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "not met"
    }
}

pub fn print(steps: &[Step]) {
    println!("\n### Targets per flow\n");
    println!("| flow | target | read requests | write requests | items written | target, by requests | target, by items written |");
    println!("|---|---|---|---|---|---|---|");
    let targets: [(&str, &str, bool, u64); 4] = [
        ("lookup", "1 read", true, 1),
        ("initiation", "≤ 3 writes", false, 3),
        ("webhook: authorised", "≤ 2 writes", false, 2),
        ("capture", "≤ 2 writes", false, 2),
    ];
    for (prefix, label, is_read, limit) in targets {
        let Some(step) = steps.iter().find(|s| s.name.starts_with(prefix)) else {
            println!("| {prefix} | {label} | not measured | | | | |");
            continue;
        };
        let (reads, writes) = (count(step, &READS), count(step, &WRITES));
        let items = step.capacity.items_written;
        let (by_requests, by_items) = if is_read {
            (verdict(reads == limit), "—")
        } else {
            (verdict(writes <= limit), verdict(items <= limit))
        };
        println!(
            "| {} | {label} | {reads} | {writes} | {items} | {by_requests} | {by_items} |",
            step.name
        );
    }
    println!(
        "| monthly close per customer | 1 read + 1 transaction per state change | see \"SEPA monthly close\" below | | | | |"
    );
}

/// The monthly close's target (issue 11): each state change of a customer's month costs one
/// read and one transaction, and nothing scans; the fan-out reads the month index only.
/// Judged on the DynamoDB requests per customer (moto); the memory run's store calls per
/// customer are shown beside, to see the same holds at scale.
pub fn print_close(moto: Option<&Run>, memory: Option<&Run>) {
    let Some(judged) = moto.or(memory) else {
        return;
    };
    println!("\n### Target per customer\n");
    println!(
        "Target (issue 11): one read and one transaction per state change per customer, no \
         Scan. Reads: GetItem, BatchGetItem, Query, Scan, TransactGetItems; writes: PutItem, \
         UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems. Judged on the {} run's \
         requests; the memory run's store calls per customer beside it (reads: the `load_*`, \
         `get_*`, `month_customers` and `pending_outbox` calls; writes: the others).\n",
        judged.store
    );
    println!("| phase | target | read requests per customer | write requests per customer | Scan | memory store: reads / writes per customer | target |");
    println!("|---|---|---|---|---|---|---|");
    for (i, phase) in judged.phases.iter().enumerate() {
        let n = judged.customers.max(1) as f64;
        let (reads, writes) = if judged.store == "memory" {
            split_calls(&phase.ops)
        } else {
            (
                count_ops(&phase.ops, &READS),
                count_ops(&phase.ops, &WRITES),
            )
        };
        let (reads, writes) = (reads as f64 / n, writes as f64 / n);
        let scans = phase.ops.get("Scan").copied().unwrap_or(0);
        let beside = memory
            .filter(|m| judged.store != "memory" && m.customers > 0)
            .and_then(|m| m.phases.get(i))
            .map(|p| {
                let (r, w) = split_calls(&p.ops);
                let n = memory.map_or(1, |m| m.customers) as f64;
                format!("{} / {}", fig(r as f64 / n), fig(w as f64 / n))
            })
            .unwrap_or_else(|| "—".into());
        let (label, ok) = if phase.state_change {
            (
                "1 read + 1 transaction",
                Some(reads <= 1.0 + 1e-9 && writes <= 1.0 + 1e-9 && scans == 0),
            )
        } else if phase.name.starts_with("fan-out") {
            (
                "month index Query only, no Scan",
                Some(
                    scans == 0
                        && phase
                            .ops
                            .keys()
                            .all(|op| op == "Query" || op == "month_customers"),
                ),
            )
        } else {
            ("no Scan (not a state change)", Some(scans == 0))
        };
        println!(
            "| {} | {label} | {} | {} | {scans} | {beside} | {} |",
            phase.name,
            fig(reads),
            fig(writes),
            ok.map_or("—", verdict)
        );
    }
}

/// A memory run's store calls, as (reads, writes).
fn split_calls(calls: &BTreeMap<String, u64>) -> (u64, u64) {
    calls.iter().fold((0, 0), |(r, w), (method, n)| {
        if crate::counting_store::is_read(method) {
            (r + n, w)
        } else {
            (r, w + n)
        }
    })
}
