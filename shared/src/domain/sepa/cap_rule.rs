//! The seller's cap rule (`SEPA_CAP_RULE`): the starting cap, and how a close raises it from
//! the customer's history (months without a returned debit, usage of the cap).

use rust_decimal::Decimal;

use super::{MonthId, StoredScore};
use super::{SepaAccount, SepaState, SuspensionReason, MINIMUM_SCORE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapRule {
    /// A new customer's cap (EUR).
    pub initial: Decimal,
    /// What a raise multiplies the cap by.
    pub raise: Decimal,
    /// No raise goes above it.
    pub ceiling: Decimal,
    /// Clean months in a row before a raise.
    pub after_months: u32,
    /// The month's debit must have used at least this share of the cap (percent).
    pub usage_percent: Decimal,
}

impl Default for CapRule {
    fn default() -> Self {
        Self {
            initial: Decimal::new(250, 0),
            raise: Decimal::new(15, 1),
            ceiling: Decimal::new(2000, 0),
            after_months: 3,
            usage_percent: Decimal::new(80, 0),
        }
    }
}

/// What one close did to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapReview {
    pub old_cap: Decimal,
    pub new_cap: Decimal,
    /// SEPA was closed by this review (score under the minimum).
    pub suspended: bool,
}

impl CapRule {
    /// `SEPA_CAP_RULE`: unset or empty → the defaults; else comma-separated `initial:<eur>`,
    /// `raise:<factor>`, `ceiling:<eur>`, `after-months:<n>`, `usage:<percent>`, any subset.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rule = CapRule::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once(':')
                .ok_or_else(|| format!("{part:?}: expected key:value"))?;
            let number = || {
                value
                    .trim()
                    .parse::<Decimal>()
                    .map_err(|_| format!("{key}: {value:?} is not a number"))
            };
            match key.trim() {
                "initial" => rule.initial = number()?,
                "raise" => rule.raise = number()?,
                "ceiling" => rule.ceiling = number()?,
                "usage" => rule.usage_percent = number()?,
                "after-months" => {
                    rule.after_months = value
                        .trim()
                        .parse()
                        .map_err(|_| format!("after-months: {value:?} is not a count"))?
                }
                other => {
                    return Err(format!(
                        "unknown key {other:?}: use initial, raise, ceiling, after-months, usage"
                    ))
                }
            }
        }
        rule.check()?;
        Ok(rule)
    }

    fn check(&self) -> Result<(), String> {
        if self.initial <= Decimal::ZERO || self.initial.scale() > 2 {
            return Err("initial: must be a positive amount in euros (2 decimals at most)".into());
        }
        if self.raise < Decimal::ONE {
            return Err("raise: must be 1 or more".into());
        }
        if self.ceiling < self.initial {
            return Err("ceiling: must be at least the initial cap".into());
        }
        if self.usage_percent < Decimal::ZERO || self.usage_percent > Decimal::ONE_HUNDRED {
            return Err("usage: must be a percentage from 0 to 100".into());
        }
        if self.after_months == 0 {
            return Err("after-months: must be at least 1".into());
        }
        Ok(())
    }

    /// The close of `month` reviews the account: a score under the minimum suspends SEPA;
    /// otherwise the month counts as clean, and after `after_months` clean months with at
    /// least `usage` % of the cap used, the cap is raised (× `raise`, to the cent, at most the
    /// ceiling) and a new run of clean months starts. A suspended account is left to the
    /// seller. Reviewing the same month twice changes nothing.
    pub fn review(
        &self,
        account: &mut SepaAccount,
        month: MonthId,
        month_total: Decimal,
        score: StoredScore,
        now: time::OffsetDateTime,
    ) -> CapReview {
        let old_cap = account.cap;
        let unchanged = CapReview {
            old_cap,
            new_cap: old_cap,
            suspended: false,
        };
        if account.reviewed_month.is_some_and(|m| m >= month) {
            return unchanged;
        }
        account.reviewed_month = Some(month);
        account.score = Some(score);
        account.updated_at = now;
        if account.state != SepaState::Active {
            return unchanged;
        }
        if score.value < MINIMUM_SCORE {
            account.suspend(SuspensionReason::ScoreBelowMinimum, now);
            return CapReview {
                suspended: true,
                ..unchanged
            };
        }
        account.clean_months += 1;
        let used_enough = month_total * Decimal::ONE_HUNDRED >= self.usage_percent * old_cap;
        if account.clean_months >= self.after_months && used_enough && old_cap < self.ceiling {
            account.cap = (old_cap * self.raise).round_dp(2).min(self.ceiling);
            account.clean_months = 0;
        }
        CapReview {
            old_cap,
            new_cap: account.cap,
            suspended: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn eur(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn score(value: u8) -> StoredScore {
        StoredScore {
            value,
            checked_on: date!(2026 - 12 - 01),
        }
    }

    fn month(text: &str) -> MonthId {
        MonthId::parse(text).unwrap()
    }

    #[test]
    fn parses_the_rule_and_refuses_nonsense() {
        assert_eq!(CapRule::parse("").unwrap(), CapRule::default());
        let rule =
            CapRule::parse("initial:300, raise:2, ceiling:1000, after-months:2, usage:50").unwrap();
        assert_eq!(rule.initial, eur("300"));
        assert_eq!(rule.raise, eur("2"));
        assert_eq!(rule.after_months, 2);
        for bad in [
            "initial:0",
            "initial:10.001",
            "raise:0.5",
            "ceiling:100",
            "usage:120",
            "after-months:0",
            "colour:blue",
            "initial",
        ] {
            assert!(CapRule::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn three_clean_busy_months_raise_the_cap_by_half_up_to_the_ceiling() {
        let rule = CapRule::default();
        let now = datetime!(2026-12-01 01:00 UTC);
        let mut account = SepaAccount::new("cus_1", &rule, now);
        for m in ["2026-08", "2026-09"] {
            let review = rule.review(&mut account, month(m), eur("240"), score(15), now);
            assert_eq!(review.new_cap, eur("250"));
        }
        let review = rule.review(&mut account, month("2026-10"), eur("200"), score(15), now);
        assert_eq!(review.new_cap, eur("375"), "200 is 80 % of 250");
        assert_eq!(account.clean_months, 0);
        // The same month again changes nothing.
        let again = rule.review(&mut account, month("2026-10"), eur("200"), score(15), now);
        assert_eq!((again.old_cap, again.new_cap), (eur("375"), eur("375")));
        // Low usage: no raise, the clean run goes on.
        for m in ["2026-11", "2026-12", "2027-01"] {
            rule.review(&mut account, month(m), eur("10"), score(15), now);
        }
        assert_eq!(account.cap, eur("375"));
        assert_eq!(account.clean_months, 3);
        rule.review(&mut account, month("2027-02"), eur("375"), score(15), now);
        assert_eq!(account.cap, eur("562.50"));
        account.cap = eur("1900");
        account.clean_months = 2;
        rule.review(&mut account, month("2027-03"), eur("1900"), score(15), now);
        assert_eq!(account.cap, eur("2000"), "never above the ceiling");
    }

    #[test]
    fn a_low_score_or_a_return_suspends_until_the_seller_reinstates() {
        let rule = CapRule::default();
        let now = datetime!(2026-12-01 01:00 UTC);
        let mut account = SepaAccount::new("cus_1", &rule, now);
        let review = rule.review(&mut account, month("2026-11"), eur("250"), score(9), now);
        assert!(review.suspended);
        assert_eq!(
            account.state,
            SepaState::Suspended {
                reason: SuspensionReason::ScoreBelowMinimum
            }
        );
        // Suspended: later closes leave it alone, even with a good score.
        for m in ["2026-12", "2027-01", "2027-02", "2027-03"] {
            rule.review(&mut account, month(m), eur("250"), score(18), now);
        }
        assert_eq!(account.cap, eur("250"));
        assert_ne!(account.state, SepaState::Active);
        account.reinstate(now);
        assert_eq!(account.state, SepaState::Active);
        rule.review(&mut account, month("2027-04"), eur("250"), score(18), now);
        assert_eq!(account.clean_months, 1);
        assert!(account.suspend(SuspensionReason::ReturnedDebit, now));
        assert_eq!(account.clean_months, 0);
        assert!(!account.suspend(SuspensionReason::ReturnedDebit, now));
    }
}
