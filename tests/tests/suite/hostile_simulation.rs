//! The seeded simulation (tests/src/simulation/) over many seeds: 1,000 in CI,
//! `SIM_SEEDS=N` for more, `SIM_SEED=s` to replay one. Memory store and the PSP model: no
//! emulator needed, and fast enough to run every seed on every CI run. Every seed runs; the
//! failures are counted and the first ten shown, so one broken invariant does not hide another.
//!
//! Reading a failure: `SIM_TRACE=1` (with `SIM_SEED`) logs every move and the stored payments
//! after each shipment; `SIM_ALL_FAILURES=1` lists every failing seed.
//!
//! Bugs the simulation found, all fixed since, each with a seed that caught it replayed by
//! `seeds_of_fixed_bugs_pass`: (1) a capture's PSP key named the shipment only,
//! so a capture refused on one payment was refused forever on its replacement (the use case now
//! asks the earlier payment, whose PSP replays the first answer, and captures under a key of the
//! new payment); (2) a final partial capture recorded by its webhook before the capture's own
//! commit read the released rest as owed (the shopper was asked to pay it again, or the order
//! announced as paid twice): why the rest goes now travels with the capture to the PSP, which
//! keeps it on its payment, so the webhook records it too, and a rest to be taken over by a
//! payment not recorded yet still counts as covered; (3) a refund retried after a newer payment
//! was captured went to that payment (it now finds the payment its key belongs to); (4) a
//! shipment without an amount retried after its webhook recorded the capture answered the
//! payment's total as `captured` (the payment now keeps what the answered shipments took).
//! Nothing is steered around any more: 10,000 seeds pass.

use std::time::Instant;

use integration::simulation::{run_seed, Stats};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "current_thread")]
async fn reordered_dropped_duplicated_and_delayed_events_never_move_money_twice() {
    let (first, count) = match env_u64("SIM_SEED") {
        Some(seed) => (seed, 1),
        None => (0, env_u64("SIM_SEEDS").unwrap_or(1_000)),
    };
    let started = Instant::now();
    let mut total = Stats::default();
    let mut failures = Vec::new();
    for seed in first..first + count {
        match run_seed(seed).await {
            Ok(stats) => total.add(&stats),
            Err(failure) => failures.push((seed, failure)),
        }
    }
    let t = total;
    eprintln!(
        "{count} seeds in {:.1?}: {} orders, {} steps, {} webhook deliveries ({} events dropped \
         then redelivered), {} captures, {} refunds ({} between captures, {} refused), {} emails, \
         {} pages left ({} expired, {} deleted), {} PSP cancellations, {} renewals on a saved \
         card, {} pay-link payments, {} short fulfilments, {} cards without multicapture, {} \
         shipments dead-lettered then redriven, {} orders with several paid payments",
        started.elapsed(),
        t.orders,
        t.steps,
        t.deliveries,
        t.dropped,
        t.captures,
        t.refunds,
        t.refunds_between,
        t.refunds_refused,
        t.emails,
        t.resumed,
        t.expired,
        t.deleted,
        t.psp_cancels,
        t.renewals,
        t.pay_links,
        t.short,
        t.single_capture_cards,
        t.dead_letters,
        t.multi_payment_orders,
    );
    if std::env::var("SIM_ALL_FAILURES").is_ok_and(|v| v == "1") {
        for (seed, failure) in &failures {
            eprintln!("seed {seed}: {failure}");
        }
    }
    if !failures.is_empty() {
        let shown: Vec<String> = failures
            .iter()
            .take(10)
            .map(|(seed, failure)| format!("seed {seed}: {failure}"))
            .collect();
        panic!(
            "{} of {count} seeds failed:\n{}\nreplay one with: SIM_SEED=<seed> cargo test -p \
             integration --test hostile_simulation",
            failures.len(),
            shown.join("\n")
        );
    }
    // Guards against a simulation that silently stopped simulating.
    let ok = count as usize;
    assert!(t.orders >= 2 * ok && t.captures >= t.orders);
    assert!(
        count < 50
            || (t.dropped > 0
                && t.refunds > 0
                && t.refunds_between > 0
                && t.resumed > 0
                && t.expired > 0
                && t.deleted > 0
                && t.psp_cancels > 0
                && t.renewals > 0
                && t.pay_links > 0
                && t.short > 0
                && t.single_capture_cards > 0
                && t.multi_payment_orders > 0),
        "{t:?}"
    );
}

/// Seeds that failed on the bugs fixed since (see above): 0, 1, 4, 2041, 3930 on (1) and (3);
/// 135, 53 on (2); 100, 2227 on (4).
#[tokio::test(flavor = "current_thread")]
async fn seeds_of_fixed_bugs_pass() {
    for seed in [0, 1, 4, 2041, 3930, 135, 53, 100, 2227] {
        if let Err(failure) = run_seed(seed).await {
            panic!("seed {seed} fails again: {failure}");
        }
    }
}
