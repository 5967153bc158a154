//! The cost of 1,000 checkouts from the measured card-flow steps: DynamoDB on-demand request
//! units (computed from item sizes, see `capacity`) and Lambda requests and GB-seconds from
//! the steps' wall times here. Money in `Decimal`, like the product.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::card_flow::Step;

/// Prices used, with where they come from: stated in the output as well.
pub(crate) const PRICES_NOTE: &str = "Prices (USD, eu-west-1, on-demand): DynamoDB $0.7068 per million write request units and \
$0.1415 per million read request units, i.e. half of the Ireland list prices $1.4135 / $0.283 after AWS's \
50 % on-demand reduction of 1 November 2024; Lambda arm64 $0.0000133334 per GB-second and $0.20 per million \
requests. Taken from AWS's published price list as known on 2026-11-22, not fetched live (no internet here): \
check https://aws.amazon.com/dynamodb/pricing/on-demand/ and https://aws.amazon.com/lambda/pricing/ before quoting.";

/// USD per million DynamoDB write / read request units, Lambda per GB-second and per million
/// requests (see `PRICES_NOTE`).
pub(crate) const WRU_PER_MILLION: &str = "0.7068";
pub(crate) const RRU_PER_MILLION: &str = "0.1415";
pub(crate) const LAMBDA_GB_SECOND: &str = "0.0000133334";
pub(crate) const LAMBDA_PER_MILLION: &str = "0.20";

pub(crate) fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("constant")
}

/// A checkout: every step except the repeated webhook delivery.
fn in_checkout(step: &Step) -> bool {
    !step.name.contains("same event again")
}

pub fn print(steps: &[Step], memory_mb: u32) {
    let million = d("1000000");
    let wru_price = d(WRU_PER_MILLION);
    let rru_price = d(RRU_PER_MILLION);
    let gb_second = d(LAMBDA_GB_SECOND);
    let request_price = d(LAMBDA_PER_MILLION);
    let gb = Decimal::from(memory_mb) / d("1024");
    let checkouts = d("1000");

    let used: Vec<&Step> = steps.iter().filter(|s| in_checkout(s)).collect();
    let rru: f64 = used.iter().map(|s| s.capacity.reads).sum();
    let wru: f64 = used.iter().map(|s| s.capacity.writes).sum();
    let lower_bound = used.iter().any(|s| s.capacity.writes_lower_bound);
    let rru = Decimal::try_from(rru).unwrap_or_default();
    let wru = Decimal::try_from(wru).unwrap_or_default();
    // Lambda bills whole milliseconds.
    let billed_ms: u128 = used.iter().map(|s| s.wall.as_micros().div_ceil(1000)).sum();
    let billed_ms = Decimal::from(billed_ms as u64);
    let invocations = Decimal::from(used.len() as u64);

    let dynamo_reads = checkouts * rru * rru_price / million;
    let dynamo_writes = checkouts * wru * wru_price / million;
    let lambda_requests = checkouts * invocations * request_price / million;
    let lambda_compute = checkouts * billed_ms / d("1000") * gb * gb_second;
    let total = dynamo_reads + dynamo_writes + lambda_requests + lambda_compute;
    let r = |x: Decimal| x.round_dp(6).normalize();

    println!("\n## Cost of 1,000 checkouts\n");
    println!(
        "A checkout = the card-flow steps above except the repeated webhook: {}.\n",
        used.iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    println!("{PRICES_NOTE}\n");
    println!("| item | per checkout (measured here) | arithmetic for 1,000 | USD |");
    println!("|---|---|---|---|");
    println!(
        "| DynamoDB reads | {} RRU | 1000 × {} × 0.1415 / 10⁶ | {} |",
        rru.normalize(),
        rru.normalize(),
        r(dynamo_reads)
    );
    println!(
        "| DynamoDB writes | {}{} WRU | 1000 × {} × 0.7068 / 10⁶ | {} |",
        if lower_bound { "≥ " } else { "" },
        wru.normalize(),
        wru.normalize(),
        r(dynamo_writes)
    );
    println!(
        "| Lambda requests | {invocations} invocations | 1000 × {invocations} × 0.20 / 10⁶ | {} |",
        r(lambda_requests)
    );
    println!(
        "| Lambda compute ({memory_mb} MB) | {billed_ms} ms (the steps' wall time here) | 1000 × {billed_ms} / 1000 s × {} GB × 0.0000133334 | {} |",
        gb.normalize(),
        r(lambda_compute)
    );
    println!("| **total** | | | **{}** |", r(total));
    println!(
        "\nNot included: API Gateway HTTP API requests, SQS and SES (the emails), CloudWatch \
         Logs, data transfer, storage, and the notifier's per-email writes. The wall times are \
         against moto and the local sandbox PSP: real Stripe answers in hundreds of ms, and \
         Lambda bills that waiting; each extra 100 ms per invocation adds \
         1000 × {invocations} × 0.1 s × {} GB × 0.0000133334 = ${} per 1,000 checkouts.",
        gb.normalize(),
        r(checkouts * invocations * d("0.1") * gb * gb_second)
    );
}
