//! The monthly close's markdown: one table per run, the target, the cost at 100,000
//! customers.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::{Phase, Run, ESM_BATCH, RELAY_BATCH};
use crate::cost::{d, LAMBDA_GB_SECOND, LAMBDA_PER_MILLION, RRU_PER_MILLION, WRU_PER_MILLION};
use crate::counting_store;

/// The collection schedule, cron(0 3 2-10 * ? *): 9 days a month, one of them submits; on
/// the 8 others every job only reads its month.
const IDLE_DAYS: u64 = 8;
/// Customers the cost is projected for.
const PROJECTED: u64 = 100_000;
/// USD per million SQS requests (standard queue, eu-west-1, beyond the free first million a
/// month; each 64 KB of a payload counts as one request).
const SQS_PER_MILLION: &str = "0.40";

fn per(n: u64, customers: usize) -> f64 {
    n as f64 / customers.max(1) as f64
}

/// A per-customer figure: 2 decimals, 4 under 0.1 (a fan-out's share of 16 queries).
pub(crate) fn fig(x: f64) -> String {
    if x > 0.0 && x < 0.1 {
        format!("{x:.4}")
    } else {
        format!("{x:.2}")
    }
}

fn by_op(ops: &BTreeMap<String, u64>, customers: usize) -> String {
    if ops.is_empty() {
        return "none".into();
    }
    ops.iter()
        .map(|(op, n)| format!("{op} {}", fig(per(*n, customers))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn total(ops: &BTreeMap<String, u64>) -> u64 {
    ops.values().sum()
}

fn print_moto(run: &Run) {
    println!(
        "\n**DynamoDB and SQS on moto, {} customers** (seeded in {:.1} s, not measured). \
         Per customer = count ÷ {}; RRU / WRU computed from item sizes as above; \
         \"GSI1 WRU\" = the index copies of Puts that carry GSI1PK (months, outbox events), \
         at 1 WRU per KB: a lower bound, index removals not counted. The fan-out's RRU are \
         computed from what it returns (the customer ids): DynamoDB charges the whole index \
         entries it reads (GSI1 projects ALL), added in the cost below. SQS requests are \
         totals, not per customer. scripts/bench runs this on a moto server of its own, \
         started from scripts/lib/moto_fast_transactions.py: moto whose TransactWriteItems \
         backs up only the items it names instead of deep-copying the whole table for each \
         item of a transaction (same answers, same requests; with stock moto 5.2.5 a 1-item \
         transaction took 132 ms on a table of 1,421 items, and this close of 1,000 customers \
         would take hours). The requests are counted at our SDK client, so that change to moto \
         does not change them (a run on stock moto 5.2.5 with 100 customers counted the same \
         per operation, 2026-12-02 02:20 UTC, before the jobs stopped reading the profile with \
         a GetItem of their own). Wall times are moto's (Python, \
         one request at a time, and a Query reads its whole table: moto/dynamodb/models/table.py \
         `query`) plus ours.\n",
        run.customers, run.seed_seconds, run.customers
    );
    println!("| phase | handled | wall s | ms per customer | DynamoDB requests per customer | by operation, per customer | Scan | RRU per customer | WRU per customer | GSI1 WRU per customer | SQS requests | PSP calls | failures |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for p in &run.phases {
        let c = p.capacity.unwrap_or_default();
        let n = run.customers;
        println!(
            "| {} | {} | {:.2} | {:.2} | {} | {} | {} | {} | {}{} | {} | {} | {} | {} |",
            p.name,
            p.units,
            p.wall.as_secs_f64(),
            p.wall.as_secs_f64() * 1000.0 / n as f64,
            fig(per(total(&p.ops), n)),
            by_op(&p.ops, n),
            p.ops.get("Scan").copied().unwrap_or(0),
            fig(c.reads / n as f64),
            if c.writes_lower_bound { "≥ " } else { "" },
            fig(c.writes / n as f64),
            fig(p.gsi_wru / n as f64),
            if p.sqs.is_empty() {
                "0".to_string()
            } else {
                p.sqs
                    .iter()
                    .map(|(op, k)| format!("{op} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            p.psp,
            p.failures
        );
    }
}

fn print_memory(run: &Run) {
    println!(
        "\n**Memory store, {} customers** (seeded in {:.1} s, not measured; memory job queue; \
         relay to a memory queue). Store calls counted by a decorator (`CountingStore`), with \
         the time spent inside the memory store; a call is not a DynamoDB request (the \
         equivalent request is named below the table). The memory store keeps a customer's \
         SEPA items, an order's payments and the pending outbox events as ordered ranges, as \
         DynamoDB's partitions and GSI1 do (`adapters/memory`): a call costs a range lookup \
         plus what it returns, so the close grows linearly with the customers; it closes {} by \
         default (`--memory`). \"Outside the store\" is our code, the sandbox PSP over HTTP and the \
         bench.\n",
        run.customers,
        run.seed_seconds,
        super::DEFAULT_MEMORY
    );
    println!("| phase | handled | wall s | customers per s | store calls per customer | by method, per customer | of which inside the memory store, s | ms per customer outside the store | PSP calls | failures |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut methods = std::collections::BTreeSet::new();
    for p in &run.phases {
        let n = run.customers;
        methods.extend(p.ops.keys().cloned());
        let inside = p.inside_store.unwrap_or_default().as_secs_f64();
        println!(
            "| {} | {} | {:.2} | {:.0} | {} | {} | {:.2} | {:.3} | {} | {} |",
            p.name,
            p.units,
            p.wall.as_secs_f64(),
            p.units as f64 / p.wall.as_secs_f64().max(1e-9),
            fig(per(total(&p.ops), n)),
            by_op(&p.ops, n),
            inside,
            (p.wall.as_secs_f64() - inside).max(0.0) * 1000.0 / n as f64,
            p.psp,
            p.failures
        );
    }
    println!(
        "\nStore methods → DynamoDB: {}.",
        methods
            .iter()
            .map(|m| format!("`{m}` {}", counting_store::dynamodb_equivalent(m)))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// Phase sums per customer, for the projection.
#[derive(Default)]
struct Sums {
    rru: f64,
    wru: f64,
    gsi: f64,
    sqs: f64,
    invocations: f64,
    seconds: f64,
    lower_bound: bool,
}

fn sums<'a>(phases: impl Iterator<Item = &'a Phase>, customers: usize) -> Sums {
    let mut s = Sums::default();
    for p in phases {
        let c = p.capacity.unwrap_or_default();
        s.rru += c.reads / customers as f64;
        s.wru += c.writes / customers as f64;
        s.lower_bound |= c.writes_lower_bound;
        s.gsi += p.gsi_wru / customers as f64;
        s.sqs += per(total(&p.sqs), customers);
        s.invocations += p.invocations_per_customer;
        s.seconds += p.wall.as_secs_f64() / customers as f64;
    }
    s
}

fn dec(x: f64) -> Decimal {
    Decimal::try_from(x).unwrap_or_default().round_dp(6)
}

/// The cost table's rows for one set of per-customer sums; the total.
fn cost_rows(label: &str, s: &Sums, memory_mb: u32, times: Decimal) -> Decimal {
    let million = d("1000000");
    let customers = Decimal::from(PROJECTED);
    let gb = Decimal::from(memory_mb) / d("1024");
    let r = |x: Decimal| x.round_dp(4).normalize();
    let (rru, wru, gsi, sqs) = (dec(s.rru), dec(s.wru), dec(s.gsi), dec(s.sqs));
    let (invocations, seconds) = (dec(s.invocations), dec(s.seconds));
    let reads = times * customers * rru * d(RRU_PER_MILLION) / million;
    let writes = times * customers * wru * d(WRU_PER_MILLION) / million;
    let index = times * customers * gsi * d(WRU_PER_MILLION) / million;
    let queue = times * customers * sqs * d(SQS_PER_MILLION) / million;
    let requests = times * customers * invocations * d(LAMBDA_PER_MILLION) / million;
    let compute = times * customers * seconds * gb * d(LAMBDA_GB_SECOND);
    let x = if times == Decimal::ONE {
        String::new()
    } else {
        format!("{times} × ")
    };
    let n = PROJECTED;
    println!(
        "| {label}: DynamoDB reads | {} RRU | {x}{n} × {} × {RRU_PER_MILLION} / 10⁶ | {} |",
        rru.normalize(),
        rru.normalize(),
        r(reads)
    );
    println!(
        "| {label}: DynamoDB writes | {}{} WRU | {x}{n} × {} × {WRU_PER_MILLION} / 10⁶ | {} |",
        if s.lower_bound { "≥ " } else { "" },
        wru.normalize(),
        wru.normalize(),
        r(writes)
    );
    println!(
        "| {label}: GSI1 copies of indexed Puts | ≥ {} WRU | {x}{n} × {} × {WRU_PER_MILLION} / 10⁶ | {} |",
        gsi.normalize(),
        gsi.normalize(),
        r(index)
    );
    println!(
        "| {label}: SQS requests | {} | {x}{n} × {} × {SQS_PER_MILLION} / 10⁶ | {} |",
        sqs.normalize(),
        sqs.normalize(),
        r(queue)
    );
    println!(
        "| {label}: Lambda requests | {} invocations | {x}{n} × {} × {LAMBDA_PER_MILLION} / 10⁶ | {} |",
        invocations.normalize(),
        invocations.normalize(),
        r(requests)
    );
    println!(
        "| {label}: Lambda compute ({memory_mb} MB) | {} s (moto wall time) | {x}{n} × {} s × {} GB × {LAMBDA_GB_SECOND} | {} |",
        seconds.normalize(),
        seconds.normalize(),
        gb.normalize(),
        r(compute)
    );
    reads + writes + index + queue + requests + compute
}

/// What `fan_outs` fan-outs read in whole index entries beyond the computed RRU (a Query is
/// charged by the size of the items it reads, per 4 KB, half when eventually consistent).
fn fan_out_reads(label: &str, month_item_bytes: Option<f64>, fan_outs: u64) -> Decimal {
    let Some(bytes) = month_item_bytes else {
        return Decimal::ZERO;
    };
    let bytes = dec(bytes).round_dp(0);
    let rru = Decimal::from(fan_outs) * Decimal::from(PROJECTED) * bytes / d("4096") * d("0.5");
    let usd = rru * d(RRU_PER_MILLION) / d("1000000");
    println!(
        "| {label}: fan-out reads, whole index entries | {bytes} B per month item (measured) | {fan_outs} × {PROJECTED} × {bytes} / 4096 × 0.5 = {} RRU × {RRU_PER_MILLION} / 10⁶ | {} |",
        rru.round_dp(0),
        usd.round_dp(4).normalize()
    );
    usd
}

/// Lambda compute at the memory run's time outside the store (our code, the sandbox PSP over
/// HTTP, the bench): a lower bound of the duration, DynamoDB's latency left out. USD.
fn compute_lower_bound(
    label: &str,
    memory: Option<&Run>,
    phases: std::ops::Range<usize>,
    memory_mb: u32,
    times: u64,
) -> Option<Decimal> {
    let run = memory?;
    let seconds: f64 = run
        .phases
        .get(phases)?
        .iter()
        .map(|p| {
            (p.wall.as_secs_f64() - p.inside_store.unwrap_or_default().as_secs_f64()).max(0.0)
                / run.customers as f64
        })
        .sum();
    let seconds = dec(seconds);
    let gb = Decimal::from(memory_mb) / d("1024");
    let usd = Decimal::from(times) * Decimal::from(PROJECTED) * seconds * gb * d(LAMBDA_GB_SECOND);
    let x = if times == 1 {
        String::new()
    } else {
        format!("{times} × ")
    };
    println!(
        "| {label}: Lambda compute, lower bound (not in the total) | {} s (memory run, outside the store) | {x}{PROJECTED} × {} s × {} GB × {LAMBDA_GB_SECOND} | {} |",
        seconds.normalize(),
        seconds.normalize(),
        gb.normalize(),
        usd.round_dp(4).normalize()
    );
    Some(usd)
}

fn print_cost(moto: &Run, memory: Option<&Run>, memory_mb: u32) {
    println!("\n### Cost of one close at 100,000 customers (projected)\n");
    println!(
        "Per customer from the moto run above (requests and capacity do not depend on the \
         number of customers: each job reads its own partition; the fan-out reads 16 shards \
         in pages of 500). Lambda: the job phases are invoked in batches of {ESM_BATCH} \
         (the event source mapping's BatchSize), so 0.1 invocation per customer; one \
         psp-webhook invocation per event; the fan-outs are one invocation each and the \
         outbox relay runs every minute anyway (their invocations are not added). Duration: \
         the measured wall time per customer on moto, an upper bound of our own code's time \
         (moto answers in milliseconds that DynamoDB answers in fewer), billed at the \
         template's {memory_mb} MB (Globals; MonthlyDirectDebitFunction sets none). SQS: the \
         requests counted at the SDK client, the event source mapping emulated by \
         ReceiveMessage (10) + DeleteMessageBatch; the real mapping's pollers also make empty \
         long-poll receives all month, whatever the close does. EventBridge Scheduler: 2 \
         schedule invocations for a close ($1.00 per million): negligible.\n"
    );
    println!(
        "{} SQS: ${SQS_PER_MILLION} per million requests (standard queue, eu-west-1, beyond \
         the first million free each month), same caveat.\n",
        crate::cost::PRICES_NOTE
    );
    println!("| item | per customer (measured on moto) | arithmetic | USD |");
    println!("|---|---|---|---|");
    let close = sums(moto.phases.iter().take(6), moto.customers);
    let total = cost_rows("close", &close, memory_mb, Decimal::ONE);
    let bytes = moto.phases.iter().find_map(|p| p.month_item_bytes);
    let total = total + fan_out_reads("close", bytes, 2);
    let close_upper = sums(moto.phases.iter().take(6), moto.customers).seconds;
    let close_lower = compute_lower_bound("close", memory, 0..6, memory_mb, 1);
    println!(
        "| **one close (1st + collection day + webhooks)** | | | **{}** |",
        total.round_dp(4).normalize()
    );
    let idle = sums(moto.phases.iter().skip(6), moto.customers);
    let idle_total = cost_rows("8 idle days", &idle, memory_mb, Decimal::from(IDLE_DAYS))
        + fan_out_reads("8 idle days", bytes, IDLE_DAYS);
    let idle_lower = compute_lower_bound("8 idle days", memory, 6..8, memory_mb, IDLE_DAYS);
    println!(
        "| **the 8 other collection-schedule days (nothing due)** | | | **{}** |",
        idle_total.round_dp(4).normalize()
    );
    println!(
        "| **a month's SEPA close in all** | | | **{}** |",
        (total + idle_total).round_dp(4).normalize()
    );
    if let (Some(close_lower), Some(idle_lower)) = (close_lower, idle_lower) {
        let gb = Decimal::from(memory_mb) / d("1024");
        let compute = |seconds: f64, times: u64| {
            Decimal::from(times)
                * Decimal::from(PROJECTED)
                * dec(seconds)
                * gb
                * d(LAMBDA_GB_SECOND)
        };
        let close_at_lower = total - compute(close_upper, 1) + close_lower;
        let idle_at_lower = idle_total - compute(idle.seconds, IDLE_DAYS) + idle_lower;
        println!(
            "\nLambda compute at moto's wall time is mostly moto's own time (a Query reads its \
             whole table there). At the memory run's time outside the store instead (our code \
             and the sandbox PSP over HTTP, no DynamoDB latency), one close comes to ${} and a \
             month to ${}: the real duration lies between, DynamoDB's few milliseconds per \
             request (not measured here) on top of the lower bound.",
            close_at_lower.round_dp(4).normalize(),
            (close_at_lower + idle_at_lower).round_dp(4).normalize()
        );
    }
    let submit = moto
        .phases
        .iter()
        .find(|p| p.name.starts_with("jobs on the collection day"))
        .map_or(0, |p| p.psp);
    println!(
        "\nNot included: the PSP's own fees per debit; SES for the announcement and receipt \
         emails and the notifier's writes; CloudWatch Logs; storage. The sandbox PSP answers \
         on loopback: Stripe answers a PaymentIntent in hundreds of ms, which Lambda bills \
         while the job waits ({submit} PSP calls for {} customers at the collection); each \
         extra 100 ms per PSP call adds {PROJECTED} × 0.1 s × {} GB × {LAMBDA_GB_SECOND} = ${} \
         to a close.",
        moto.customers,
        (Decimal::from(memory_mb) / d("1024")).normalize(),
        (Decimal::from(PROJECTED) * d("0.1") * Decimal::from(memory_mb) / d("1024")
            * d(LAMBDA_GB_SECOND))
        .round_dp(4)
        .normalize()
    );
}

/// The markdown section for docs/benchmarks.md.
pub fn print(memory: Option<&Run>, moto: Option<&Run>, memory_mb: u32) {
    println!("\n## SEPA monthly close\n");
    println!(
        "Generated by `encaisse-bench monthly-close --memory {} --moto {}` (scripts/bench) on {}.",
        memory.map_or(0, |r| r.customers),
        moto.map_or(0, |r| r.customers),
        OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .unwrap_or_default()
    );
    println!(
        "One customer does it for real over HTTP (devserver app, sandbox PSP): signs in, adds a \
         mandate on the PSP's page, buys three orders by SEPA. Its profile, mandate, SEPA \
         standing, month and orders are copied onto N − 1 more customers with 1, 2 or 3 of \
         those purchases each (2 on average), all debited on that one PSP mandate: seeded \
         through the store's own item builders (memory: one transaction per customer; moto: \
         BatchWriteItem), not measured. Then the close \
         runs as in AWS: the fan-out reads the month index (`month_customers`) and queues one \
         job per customer; every job goes through the production SQS consumer \
         (`advance_debit_jobs`, batches of {ESM_BATCH}), one at a time, at the close instant \
         (1st, 02:00 Paris), then the outbox relay publishes the announcements (batches of \
         {RELAY_BATCH}); on the collection day the schedule fans out again and every job \
         submits its debit to the sandbox PSP over HTTP; the sandbox settles them (`/_clock`) \
         and each `payment_intent.succeeded` it emitted is delivered, signed, to the \
         psp-webhook handler (with its relay, as in the Lambda), which records the month paid \
         and settles its orders. The last two rows are one of the other collection-schedule \
         days (cron 2nd–10th at 03:00 Paris), when nothing is due. Every month is checked \
         paid at the end."
    );
    if let Some(run) = moto {
        print_moto(run);
    }
    if let Some(run) = memory {
        print_memory(run);
    }
    crate::targets::print_close(moto, memory);
    if let Some(run) = moto {
        print_cost(run, memory, memory_mb);
    }
}
