//! The seeded simulation (tests/src/simulation/) over many seeds: 1,000 in CI,
//! `SIM_SEEDS=N` for more, `SIM_SEED=s` to replay one. Memory store and the PSP model: no
//! emulator needed, and fast enough to run every seed on every CI run. Every seed runs; the
//! failures are counted and the first ten shown, so one broken invariant does not hide another.
//!
//! Reading a failure: `SIM_TRACE=1` (with `SIM_SEED`) logs every move and the stored payments
//! after each shipment; `SIM_ALL_FAILURES=1` lists every failing seed.
//!
//! Known bugs, still open in shared/ (issue 9): the main run steers clear of their triggers so
//! the rest is checked meanwhile (no shipment while another shipment or refund of the order is
//! in flight or while a PSP cancellation is unrecorded, and no shipment fault after its capture
//! went through); `SIM_KNOWN_BUGS=1` runs without steering. `the_known_bugs_still_reproduce`
//! replays one seed per open bug without steering and fails once it is fixed, so the steering
//! goes with it. Open: (2) a final partial capture recorded by its webhook before the capture's
//! own commit leaves a window where the released rest reads as owed (the capture's commit now
//! records the reason even then, but in the window the order can read as paid twice); (4,
//! minor) a shipment without an amount retried after its capture was recorded answers the
//! payment's total as `captured`. Fixed since the simulation found them: (1) a capture's PSP
//! key named the shipment only, so a capture refused on one payment was refused forever on
//! its replacement (the use case now asks the earlier payment, whose PSP replays the first
//! answer, and captures under a key of the new payment); (3) a refund retried after a newer
//! payment was captured went to that payment (it now finds the payment its key belongs to).
//! Without steering, 22 of the first 1,000 seeds fail, all on (2) and (4).

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
    let known_bugs = std::env::var("SIM_KNOWN_BUGS").is_ok_and(|v| v == "1");
    let started = Instant::now();
    let mut total = Stats::default();
    let mut failures = Vec::new();
    for seed in first..first + count {
        match run_seed(seed, !known_bugs).await {
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

/// (seed, bug, what its failure says), found by the extended simulation.
const KNOWN_BUGS: &[(u64, &str, &str)] = &[
    (
        135,
        "a final partial capture recorded by its webhook first leaves the rest owed",
        "ends PartiallyCaptured",
    ),
    (
        53,
        "in the same window the order reads as paid twice",
        "payment-received events",
    ),
    (
        100,
        "a rest shipment replayed after its webhook reports the payment's total",
        "parcel-2 answered",
    ),
];

/// One seed per known bug, without steering clear: each must still fail the way it did when
/// found. When one stops failing, the bug is fixed: remove it here, its steering in
/// `simulation/script.rs` and `world.rs`, and its line in the comment above.
#[tokio::test(flavor = "current_thread")]
async fn the_known_bugs_still_reproduce() {
    for (seed, bug, symptom) in KNOWN_BUGS {
        match run_seed(*seed, false).await {
            Ok(_) => panic!("seed {seed} passes now: {bug} looks fixed; take it off KNOWN_BUGS"),
            Err(failure) => assert!(
                failure.contains(symptom),
                "seed {seed} ({bug}) fails differently now: {failure}"
            ),
        }
    }
}

/// Seeds that failed on bugs fixed since (1: a capture refused on a payment since replaced;
/// 3: a refund retried after a newer payment was captured), run without steering.
#[tokio::test(flavor = "current_thread")]
async fn seeds_of_fixed_bugs_pass_without_steering() {
    for seed in [0, 1, 4, 2041, 3930] {
        if let Err(failure) = run_seed(seed, false).await {
            panic!("seed {seed} fails again: {failure}");
        }
    }
}
