//! Fraud review: the seller's rules (`FRAUD_REVIEW_RULES`) put a newly authorised payment
//! under review, and the order is `under_review` (no capture) until the seller approves it or
//! rejects it (the authorisation released, the shopper told). Pure: the caller gives what the
//! rules read (the PSP's risk level, the countries, whether it is the customer's first order).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The PSP's view of how risky a payment is (Stripe Radar's `outcome.risk_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Normal,
    Elevated,
    Highest,
}

impl RiskLevel {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "normal" => Some(RiskLevel::Normal),
            "elevated" => Some(RiskLevel::Elevated),
            "highest" => Some(RiskLevel::Highest),
            // `not_assessed`, `unknown`: nothing to go on.
            _ => None,
        }
    }
}

/// Why a payment went to review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The payment is above the seller's threshold.
    AmountAbove,
    RiskElevated,
    RiskHighest,
    /// Billing and shipping countries differ on the customer's first order.
    CountriesDifferOnFirstOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Approved,
    Rejected,
}

/// A payment's review: opened when it was authorised, decided by the seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub reasons: Vec<ReviewReason>,
    pub status: ReviewStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

impl Review {
    pub fn is_pending(&self) -> bool {
        self.status == ReviewStatus::Pending
    }
}

/// What the rules read of a newly authorised payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewFacts<'a> {
    pub amount: Decimal,
    pub risk: Option<RiskLevel>,
    pub billing_country: Option<&'a str>,
    pub shipping_country: &'a str,
    /// None when not known (only asked when the countries differ).
    pub first_order: Option<bool>,
}

/// The seller's rules. Default: the PSP's risk level elevated or highest, and billing and
/// shipping countries that differ on a first order; no amount threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewRules {
    /// Review payments above this amount (in the order's currency).
    pub amount_above: Option<Decimal>,
    /// Review from this risk level up.
    pub risk_from: Option<RiskLevel>,
    pub countries_differ_on_first_order: bool,
}

impl Default for ReviewRules {
    fn default() -> Self {
        Self {
            amount_above: None,
            risk_from: Some(RiskLevel::Elevated),
            countries_differ_on_first_order: true,
        }
    }
}

impl ReviewRules {
    pub const NONE: ReviewRules = ReviewRules {
        amount_above: None,
        risk_from: None,
        countries_differ_on_first_order: false,
    };

    /// `none`, or a comma-separated list of `amount-above:<decimal>`, `risk:elevated|highest`,
    /// `countries-differ`; empty is the default.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::default());
        }
        if text == "none" {
            return Ok(Self::NONE);
        }
        let mut rules = Self::NONE;
        for rule in text.split(',').map(str::trim) {
            match rule.split_once(':') {
                Some(("amount-above", amount)) => {
                    let amount: Decimal = amount
                        .trim()
                        .parse()
                        .map_err(|_| format!("amount-above: {amount:?} is not a decimal amount"))?;
                    if amount <= Decimal::ZERO {
                        return Err("amount-above must be more than 0".into());
                    }
                    rules.amount_above = Some(amount);
                }
                Some(("risk", level)) => {
                    rules.risk_from = match level.trim() {
                        "elevated" => Some(RiskLevel::Elevated),
                        "highest" => Some(RiskLevel::Highest),
                        other => {
                            return Err(format!("risk:{other}: use risk:elevated or risk:highest"))
                        }
                    }
                }
                None if rule == "countries-differ" => rules.countries_differ_on_first_order = true,
                _ => {
                    return Err(format!(
                        "unknown rule {rule:?}: use none, or amount-above:<amount>, \
                         risk:elevated|highest, countries-differ, comma-separated"
                    ))
                }
            }
        }
        Ok(rules)
    }

    /// Whether the first-order fact is needed (it costs a read).
    pub fn needs_first_order(&self, billing_country: Option<&str>, shipping_country: &str) -> bool {
        self.countries_differ_on_first_order
            && billing_country.is_some_and(|b| !b.eq_ignore_ascii_case(shipping_country))
    }

    /// Why these facts put the payment under review (empty: they do not).
    pub fn assess(&self, facts: &ReviewFacts<'_>) -> Vec<ReviewReason> {
        let mut reasons = Vec::new();
        if self.amount_above.is_some_and(|limit| facts.amount > limit) {
            reasons.push(ReviewReason::AmountAbove);
        }
        if let (Some(from), Some(risk)) = (self.risk_from, facts.risk) {
            if risk >= from {
                reasons.push(match risk {
                    RiskLevel::Highest => ReviewReason::RiskHighest,
                    _ => ReviewReason::RiskElevated,
                });
            }
        }
        if self.needs_first_order(facts.billing_country, facts.shipping_country)
            && facts.first_order == Some(true)
        {
            reasons.push(ReviewReason::CountriesDifferOnFirstOrder);
        }
        reasons
    }

    /// The review a newly authorised payment opens, if any.
    pub fn open(&self, facts: &ReviewFacts<'_>, now: OffsetDateTime) -> Option<Review> {
        let reasons = self.assess(facts);
        if reasons.is_empty() {
            return None;
        }
        Some(Review {
            reasons,
            status: ReviewStatus::Pending,
            opened_at: now,
            decided_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn facts(amount: Decimal, risk: Option<RiskLevel>) -> ReviewFacts<'static> {
        ReviewFacts {
            amount,
            risk,
            billing_country: Some("FR"),
            shipping_country: "FR",
            first_order: None,
        }
    }

    #[test]
    fn the_default_reviews_risky_payments_and_foreign_first_orders_only() {
        let rules = ReviewRules::default();
        assert!(rules
            .assess(&facts(d("99999"), Some(RiskLevel::Normal)))
            .is_empty());
        assert_eq!(
            rules.assess(&facts(d("10"), Some(RiskLevel::Elevated))),
            [ReviewReason::RiskElevated]
        );
        assert_eq!(
            rules.assess(&facts(d("10"), Some(RiskLevel::Highest))),
            [ReviewReason::RiskHighest]
        );
        let mut abroad = facts(d("10"), None);
        abroad.billing_country = Some("BE");
        assert!(rules.needs_first_order(Some("BE"), "FR"));
        assert!(!rules.needs_first_order(Some("fr"), "FR"));
        assert!(
            rules.assess(&abroad).is_empty(),
            "not known to be a first order"
        );
        abroad.first_order = Some(false);
        assert!(rules.assess(&abroad).is_empty());
        abroad.first_order = Some(true);
        assert_eq!(
            rules.assess(&abroad),
            [ReviewReason::CountriesDifferOnFirstOrder]
        );
    }

    #[test]
    fn rules_parse_from_the_seller_configuration() {
        assert_eq!(ReviewRules::parse("").unwrap(), ReviewRules::default());
        assert_eq!(ReviewRules::parse("none").unwrap(), ReviewRules::NONE);
        let rules = ReviewRules::parse("amount-above:1500.00, risk:highest").unwrap();
        assert_eq!(rules.amount_above, Some(d("1500.00")));
        assert_eq!(rules.risk_from, Some(RiskLevel::Highest));
        assert!(!rules.countries_differ_on_first_order);
        assert_eq!(
            rules.assess(&facts(d("1500.01"), Some(RiskLevel::Elevated))),
            [ReviewReason::AmountAbove]
        );
        assert!(rules.assess(&facts(d("1500.00"), None)).is_empty());
        for bad in ["amount-above:x", "amount-above:0", "risk:low", "sometimes"] {
            assert!(ReviewRules::parse(bad).is_err(), "{bad}");
        }
    }
}
