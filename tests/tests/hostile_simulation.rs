//! The seeded simulation (tests/src/simulation/) over many seeds: 1,000 in CI,
//! `SIM_SEEDS=N` for more, `SIM_SEED=s` to replay one. Memory store and the PSP model: no
//! emulator needed, and fast enough to run every seed on every CI run.

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
    for seed in first..first + count {
        let stats = run_seed(seed).await.unwrap_or_else(|failure| {
            panic!(
                "seed {seed}: {failure}\nreplay with: SIM_SEED={seed} cargo test -p integration \
                 --test hostile_simulation"
            )
        });
        total.orders += stats.orders;
        total.steps += stats.steps;
        total.deliveries += stats.deliveries;
        total.dropped += stats.dropped;
        total.captures += stats.captures;
        total.refunds += stats.refunds;
        total.emails += stats.emails;
        total.resumed += stats.resumed;
    }
    // Guards against a simulation that silently stopped simulating.
    assert!(total.orders >= 2 * count as usize && total.captures >= total.orders);
    assert!(count < 20 || (total.dropped > 0 && total.refunds > 0 && total.resumed > 0));
    eprintln!(
        "{count} seeds in {:.1?}: {} orders, {} steps, {} webhook deliveries ({} events dropped \
         then redelivered), {} captures, {} refunds, {} emails, {} pages left and resumed",
        started.elapsed(),
        total.orders,
        total.steps,
        total.deliveries,
        total.dropped,
        total.captures,
        total.refunds,
        total.emails,
        total.resumed
    );
}
