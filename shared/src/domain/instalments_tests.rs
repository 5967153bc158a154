use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::date;

use super::*;
use crate::domain::Currency;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn policy(text: &str) -> InstalmentPolicy {
    InstalmentPolicy::parse(text).unwrap().unwrap()
}

#[test]
fn three_monthly_instalments_the_remainder_on_the_first() {
    let plan = policy("counts:3")
        .schedule(d("102.61"), Currency::EUR, 3, date!(2026 - 12 - 01), None)
        .unwrap();
    let amounts: Vec<Decimal> = plan.iter().map(|i| i.amount).collect();
    assert_eq!(amounts, [d("34.21"), d("34.20"), d("34.20")]);
    let dates: Vec<Date> = plan.iter().map(|i| i.due_on).collect();
    assert_eq!(
        dates,
        [
            date!(2026 - 12 - 01),
            date!(2027 - 01 - 01),
            date!(2027 - 02 - 01)
        ]
    );
}

#[test]
fn a_month_end_start_keeps_to_each_months_last_day() {
    let dates: Vec<Date> = (0..4)
        .map(|k| Interval::Months(1).after(date!(2027 - 01 - 31), k))
        .collect();
    assert_eq!(
        dates,
        [
            date!(2027 - 01 - 31),
            date!(2027 - 02 - 28),
            date!(2027 - 03 - 31),
            date!(2027 - 04 - 30)
        ]
    );
    assert_eq!(
        Interval::Days(30).after(date!(2027 - 01 - 31), 2),
        date!(2027 - 04 - 01)
    );
}

#[test]
fn percentages_minimum_and_the_restrictive_event_rule() {
    let p = policy("counts:3, split:40-30-30, minimum:100, interval:30d, restrictive");
    let plan = p
        .schedule(d("100.01"), Currency::EUR, 3, date!(2026 - 12 - 01), None)
        .unwrap();
    let amounts: Vec<Decimal> = plan.iter().map(|i| i.amount).collect();
    assert_eq!(amounts, [d("40.01"), d("30.00"), d("30.00")]);
    assert_eq!(
        p.schedule(d("99.99"), Currency::EUR, 3, date!(2026 - 12 - 01), None),
        Err(PlanRefusal::BelowMinimum { minimum: d("100") })
    );
    assert_eq!(
        p.schedule(d("500"), Currency::EUR, 4, date!(2026 - 12 - 01), None),
        Err(PlanRefusal::CountNotOffered { offered: vec![3] })
    );
    // The last instalment on 30 January: an event on the 29th refuses it, the 30th does not.
    let late = p.schedule(
        d("500"),
        Currency::EUR,
        3,
        date!(2026 - 12 - 01),
        Some(date!(2027 - 01 - 29)),
    );
    assert!(
        matches!(late, Err(PlanRefusal::AfterEvent { .. })),
        "{late:?}"
    );
    assert!(p
        .schedule(
            d("500"),
            Currency::EUR,
            3,
            date!(2026 - 12 - 01),
            Some(date!(2027 - 01 - 30))
        )
        .is_ok());
}

#[test]
fn the_configuration_is_read_strictly() {
    assert_eq!(InstalmentPolicy::parse("").unwrap(), None);
    assert_eq!(InstalmentPolicy::parse("none").unwrap(), None);
    let p = policy("counts:3|4");
    assert_eq!(
        (p.counts, p.interval, p.split),
        (vec![3, 4], Interval::Months(1), Split::Equal)
    );
    for bad in [
        "counts:1",
        "counts:13",
        "minimum:100",
        "counts:3,split:50-40",
        "counts:3|4,split:40-30-30",
        "counts:3,interval:2w",
        "counts:3,sometimes",
    ] {
        assert!(InstalmentPolicy::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_zero_decimal_currency_splits_in_whole_units() {
    let plan = policy("counts:3")
        .schedule(
            d("1000"),
            Currency::from_code("JPY").unwrap(),
            3,
            date!(2026 - 12 - 01),
            None,
        )
        .unwrap();
    let amounts: Vec<Decimal> = plan.iter().map(|i| i.amount).collect();
    assert_eq!(amounts, [d("334"), d("333"), d("333")]);
}

proptest! {
    /// Every split sums exactly to the total, in the currency's minor units, each part above
    /// zero and none larger than the first.
    #[test]
    fn instalments_always_sum_exactly_to_the_total(
        cents in 200i64..10_000_000,
        count in 2u32..=12,
        minor in prop_oneof![Just(0u32), Just(2u32), Just(3u32)],
    ) {
        let total = Decimal::new(cents, minor);
        let parts = split_equal(total, count, minor);
        prop_assert_eq!(parts.len(), count as usize);
        prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
        for p in &parts {
            prop_assert!(*p > Decimal::ZERO);
            prop_assert!(*p <= parts[0]);
            prop_assert_eq!(p.round_dp(minor), *p);
        }
    }

    #[test]
    fn percentage_splits_sum_exactly_too(
        cents in 100i64..10_000_000,
        first in 1u32..98,
        second in 1u32..98,
    ) {
        prop_assume!(first + second < 100);
        let shares = [
            Decimal::from(first),
            Decimal::from(second),
            Decimal::from(100 - first - second),
        ];
        let total = Decimal::new(cents, 2);
        let parts = split_shares(total, &shares, 2);
        prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
        for p in &parts {
            prop_assert_eq!(p.round_dp(2), *p);
        }
    }
}
