//! The per-flow targets, judged on the measured card-flow steps. A "write" is counted
//! two ways, both shown: write requests (round trips) and items written (a transaction of four
//! items is one request but four writes, and is billed as such).

use crate::card_flow::Step;

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

fn count(step: &Step, ops: &[&str]) -> u64 {
    step.ops
        .iter()
        .filter(|(op, _)| ops.contains(&op.as_str()))
        .map(|(_, n)| n)
        .sum()
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
        "| monthly close per customer | — | not measurable yet: SEPA direct debit is not built | | | | |"
    );
}
