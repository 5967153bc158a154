//! Paying in instalments: the seller's plans (`INSTALMENT_PLANS`) and the schedule of one
//! order. Pure: amounts in the order's currency (its minor units), dates in the shop's
//! calendar (Paris). Instalments always sum exactly to the amount split.

use rust_decimal::Decimal;
use time::{Date, Duration, Month};

use super::Currency;

/// The time between two instalments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// The same day of the month (the month's last day when it is shorter).
    Months(u8),
    Days(u16),
}

/// How the amount is shared between the instalments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// Equal parts in minor units, the remainder on the first.
    Equal,
    /// Percentages (one per instalment, summing to 100), each rounded down, the remainder on
    /// the first.
    Percentages(Vec<Decimal>),
}

/// The seller's instalment offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalmentPolicy {
    /// The numbers of instalments offered, e.g. [3] or [3, 4].
    pub counts: Vec<u32>,
    /// No plan below this order amount.
    pub minimum: Option<Decimal>,
    pub interval: Interval,
    pub split: Split,
    /// Refuse a plan whose last instalment falls after the order's event date.
    pub restrictive: bool,
}

/// One instalment of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instalment {
    /// From 1.
    pub index: u32,
    pub due_on: Date,
    pub amount: Decimal,
}

/// Why an order cannot be paid in `count` instalments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefusal {
    #[error("this shop offers {offered:?} instalments")]
    CountNotOffered { offered: Vec<u32> },
    #[error("instalments are offered from {minimum} only")]
    BelowMinimum { minimum: Decimal },
    #[error("the last instalment ({last_due}) would fall after the event ({event})")]
    AfterEvent { last_due: Date, event: Date },
    #[error("the amount is too small to split in {count}")]
    TooSmall { count: u32 },
}

/// At most this many instalments in a plan.
pub const MAX_INSTALMENTS: u32 = 12;

impl InstalmentPolicy {
    /// `none` (or empty): no plan offered. Else comma-separated `counts:3|4` (required),
    /// `minimum:<amount>`, `interval:<n>m` or `<n>d` (default `1m`), `split:equal` (default)
    /// or `split:40-30-30` (percentages, one per instalment of a single count), `restrictive`.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.is_empty() || text == "none" {
            return Ok(None);
        }
        let mut policy = InstalmentPolicy {
            counts: Vec::new(),
            minimum: None,
            interval: Interval::Months(1),
            split: Split::Equal,
            restrictive: false,
        };
        for part in text.split(',').map(str::trim) {
            match part.split_once(':') {
                Some(("counts", list)) => {
                    for n in list.split('|') {
                        let n: u32 = n
                            .trim()
                            .parse()
                            .map_err(|_| format!("counts: {n:?} is not a number"))?;
                        if !(2..=MAX_INSTALMENTS).contains(&n) {
                            return Err(format!("counts: {n} is not from 2 to {MAX_INSTALMENTS}"));
                        }
                        if !policy.counts.contains(&n) {
                            policy.counts.push(n);
                        }
                    }
                }
                Some(("minimum", amount)) => {
                    let amount: Decimal = amount
                        .trim()
                        .parse()
                        .map_err(|_| format!("minimum: {amount:?} is not an amount"))?;
                    if amount < Decimal::ZERO {
                        return Err("minimum: must not be negative".into());
                    }
                    policy.minimum = Some(amount);
                }
                Some(("interval", every)) => policy.interval = parse_interval(every.trim())?,
                Some(("split", "equal")) => policy.split = Split::Equal,
                Some(("split", shares)) => {
                    let shares = shares
                        .split('-')
                        .map(|p| {
                            p.trim()
                                .parse::<Decimal>()
                                .ok()
                                .filter(|p| *p > Decimal::ZERO)
                                .ok_or_else(|| format!("split: {p:?} is not a percentage"))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    if shares.iter().sum::<Decimal>() != Decimal::ONE_HUNDRED {
                        return Err("split: the percentages must sum to 100".into());
                    }
                    policy.split = Split::Percentages(shares);
                }
                None if part == "restrictive" => policy.restrictive = true,
                _ => {
                    return Err(format!(
                        "unknown part {part:?}: use counts:<n|m>, minimum:<amount>, \
                         interval:<n>m|<n>d, split:equal|<p1-p2-…>, restrictive"
                    ))
                }
            }
        }
        if policy.counts.is_empty() {
            return Err("counts: required (e.g. counts:3)".into());
        }
        if let Split::Percentages(shares) = &policy.split {
            if policy.counts.len() != 1 || policy.counts[0] as usize != shares.len() {
                return Err("split: one percentage per instalment, with a single count".into());
            }
        }
        Ok(Some(policy))
    }

    /// Every plan the shop offers for `total`, with its schedule (the ones the rules refuse
    /// left out), fewest instalments first.
    pub fn offers(
        &self,
        total: Decimal,
        currency: Currency,
        today: Date,
        event: Option<Date>,
    ) -> Vec<(u32, Vec<Instalment>)> {
        let mut counts = self.counts.clone();
        counts.sort_unstable();
        counts
            .into_iter()
            .filter_map(|count| {
                let schedule = self.schedule(total, currency, count, today, event).ok()?;
                Some((count, schedule))
            })
            .collect()
    }

    /// The schedule of `total` in `count` instalments, the first due `today`.
    pub fn schedule(
        &self,
        total: Decimal,
        currency: Currency,
        count: u32,
        today: Date,
        event: Option<Date>,
    ) -> Result<Vec<Instalment>, PlanRefusal> {
        if !self.counts.contains(&count) {
            return Err(PlanRefusal::CountNotOffered {
                offered: self.counts.clone(),
            });
        }
        if let Some(minimum) = self.minimum.filter(|m| total < *m) {
            return Err(PlanRefusal::BelowMinimum { minimum });
        }
        let amounts = match &self.split {
            Split::Equal => split_equal(total, count, currency.minor_units()),
            Split::Percentages(shares) => split_shares(total, shares, currency.minor_units()),
        };
        if amounts.iter().any(|a| *a <= Decimal::ZERO) {
            return Err(PlanRefusal::TooSmall { count });
        }
        let instalments: Vec<Instalment> = amounts
            .into_iter()
            .zip(0u32..)
            .map(|(amount, k)| Instalment {
                index: k + 1,
                due_on: self.interval.after(today, k),
                amount,
            })
            .collect();
        if let (true, Some(event), Some(last)) = (self.restrictive, event, instalments.last()) {
            if last.due_on > event {
                return Err(PlanRefusal::AfterEvent {
                    last_due: last.due_on,
                    event,
                });
            }
        }
        Ok(instalments)
    }
}

fn parse_interval(text: &str) -> Result<Interval, String> {
    let bad = || format!("interval: {text:?} is not <n>m or <n>d");
    let (n, unit) = text.split_at(text.len().saturating_sub(1));
    match unit {
        "m" => n
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=12).contains(n))
            .map(Interval::Months)
            .ok_or_else(bad),
        "d" => n
            .parse::<u16>()
            .ok()
            .filter(|n| (1..=366).contains(n))
            .map(Interval::Days)
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

impl Interval {
    /// The date `k` intervals after `start`.
    pub fn after(self, start: Date, k: u32) -> Date {
        match self {
            Interval::Days(d) => start + Duration::days(i64::from(d) * i64::from(k)),
            Interval::Months(m) => add_months(start, u32::from(m) * k),
        }
    }
}

/// The same day `months` later, or that month's last day.
fn add_months(start: Date, months: u32) -> Date {
    let index = start.year() * 12 + i32::from(u8::from(start.month())) - 1 + months as i32;
    let (year, month0) = (index.div_euclid(12), index.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::January);
    let last = month.length(year);
    Date::from_calendar_date(year, month, start.day().min(last)).unwrap_or(start)
}

/// `total` in `count` equal parts of the currency's minor units; the remainder on the first.
pub fn split_equal(total: Decimal, count: u32, minor_units: u32) -> Vec<Decimal> {
    if count == 0 {
        return Vec::new();
    }
    let part = (total / Decimal::from(count))
        .round_dp_with_strategy(minor_units, rust_decimal::RoundingStrategy::ToZero);
    let first = total - part * Decimal::from(count - 1);
    std::iter::once(first)
        .chain(std::iter::repeat_n(part, count as usize - 1))
        .collect()
}

/// `total` shared by percentages, each rounded down to minor units; the remainder on the first.
pub fn split_shares(total: Decimal, shares: &[Decimal], minor_units: u32) -> Vec<Decimal> {
    let mut parts: Vec<Decimal> = shares
        .iter()
        .map(|p| {
            (total * p / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(minor_units, rust_decimal::RoundingStrategy::ToZero)
        })
        .collect();
    let others: Decimal = parts.iter().skip(1).copied().sum();
    if let Some(first) = parts.first_mut() {
        *first = total - others;
    }
    parts
}

#[cfg(test)]
#[path = "instalments_tests.rs"]
mod tests;
