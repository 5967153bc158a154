//! A promo code: a discount the seller announces (a word shoppers type, `BIENVENUE10`), a
//! percentage or an amount off the whole order, within a validity window, from a minimum
//! order, up to a number of uses in all and per customer. Unlike a voucher it is no bearer of
//! money: it lowers what the order costs, VAT included (`discount.rs`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::domain::Currency;

/// What it takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PromoOff {
    /// Percent of every VAT rate's net base (above 0, at most 100).
    Percent { percent: Decimal },
    /// An amount off the order's total, VAT included, shared between its VAT rates in
    /// proportion to their totals.
    Amount { amount: Decimal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromoStatus {
    Active,
    Void,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoCode {
    /// Normalised: upper case letters and digits, 3 to 32.
    pub code: String,
    /// The discount line's name on the pages and the invoice ("Nouveaux venus").
    pub label: String,
    pub currency: Currency,
    pub off: PromoOff,
    /// First and last day it can be used (the shop's calendar, both included).
    #[serde(with = "crate::domain::serde_dates::iso_date")]
    pub valid_from: Date,
    #[serde(with = "crate::domain::serde_dates::iso_date")]
    pub valid_until: Date,
    /// The order total (VAT included, before the discount) it needs; zero: none.
    pub minimum_order: Decimal,
    /// Uses in all, and per customer; None: no limit.
    pub total_limit: Option<u32>,
    pub per_customer_limit: Option<u32>,
    /// Uses held now: checkouts that applied it, less those whose payment failed or was
    /// dropped (kept by the store's conditional counter, never by a read).
    pub uses: u32,
    pub status: PromoStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
}

/// Why a code cannot be used on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromoRefusal {
    /// Unknown, void, outside its window, in another currency, or used up (in all or by this
    /// customer): one answer for all, so trying codes tells nothing.
    NotValid,
    /// The order is below the minimum.
    BelowMinimum(Decimal),
}

/// What a shopper typed, normalised; `None` when it cannot be a code.
pub fn normalise(text: &str) -> Option<String> {
    if text.len() > 64 {
        return None;
    }
    let code: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    ((3..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(code)
}

impl PromoCode {
    /// Whether it can be applied to an order of `gross` in `currency` on `today` by a
    /// customer who used it `used` times (what the counters hold; the store's conditions
    /// enforce the limits again when the checkout commits).
    pub fn check(
        &self,
        gross: Decimal,
        currency: Currency,
        today: Date,
        used: u32,
    ) -> Result<(), PromoRefusal> {
        let open = self.status == PromoStatus::Active
            && currency == self.currency
            && (self.valid_from..=self.valid_until).contains(&today)
            && self.total_limit.is_none_or(|l| self.uses < l)
            && self.per_customer_limit.is_none_or(|l| used < l);
        if !open {
            return Err(PromoRefusal::NotValid);
        }
        if gross < self.minimum_order {
            return Err(PromoRefusal::BelowMinimum(self.minimum_order));
        }
        Ok(())
    }

    /// The check of the seller's settings: a percentage in (0, 100], an amount above 0 in the
    /// currency's minor units, a window that ends no earlier than it starts.
    pub fn validate(&self) -> Result<(), crate::domain::FieldError> {
        use crate::domain::FieldError;
        match self.off {
            PromoOff::Percent { percent }
                if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED =>
            {
                return Err(FieldError::new(
                    "percent_off",
                    "must be above 0 and at most 100",
                ))
            }
            PromoOff::Amount { amount } if amount <= Decimal::ZERO => {
                return Err(FieldError::new("amount_off", "must be above 0"))
            }
            _ => {}
        }
        if self.valid_until < self.valid_from {
            return Err(FieldError::new(
                "valid_until",
                "must be on or after valid_from",
            ));
        }
        if self.minimum_order < Decimal::ZERO {
            return Err(FieldError::new("minimum_order", "must be 0 or more"));
        }
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > 60 || label.chars().any(char::is_control) {
            return Err(FieldError::new(
                "label",
                "must be 1 to 60 printable characters",
            ));
        }
        if self.total_limit == Some(0) || self.per_customer_limit == Some(0) {
            return Err(FieldError::new(
                if self.total_limit == Some(0) {
                    "total_limit"
                } else {
                    "per_customer_limit"
                },
                "must be at least 1, or null for no limit",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    pub fn promo() -> PromoCode {
        PromoCode {
            code: "BIENVENUE10".into(),
            label: "Nouveaux venus".into(),
            currency: Currency::EUR,
            off: PromoOff::Percent {
                percent: Decimal::TEN,
            },
            valid_from: date!(2026 - 12 - 01),
            valid_until: date!(2026 - 12 - 31),
            minimum_order: Decimal::new(5000, 2),
            total_limit: Some(100),
            per_customer_limit: Some(1),
            uses: 0,
            status: PromoStatus::Active,
            created_at: datetime!(2026-11-30 10:00 UTC),
            created_by: "admin".into(),
        }
    }

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(normalise(" bienvenue-10 ").as_deref(), Some("BIENVENUE10"));
        assert_eq!(normalise("ab"), None);
        assert_eq!(normalise("été10"), None);
    }

    #[test]
    fn window_limits_and_minimum() {
        let p = promo();
        let day = date!(2026 - 12 - 15);
        let gross = Decimal::new(10000, 2);
        assert_eq!(p.check(gross, Currency::EUR, day, 0), Ok(()));
        assert_eq!(
            p.check(gross, Currency::EUR, date!(2027 - 01 - 01), 0),
            Err(PromoRefusal::NotValid)
        );
        assert_eq!(
            p.check(gross, Currency::EUR, date!(2026 - 11 - 30), 0),
            Err(PromoRefusal::NotValid)
        );
        assert_eq!(
            p.check(gross, Currency::EUR, day, 1),
            Err(PromoRefusal::NotValid)
        );
        assert_eq!(
            p.check(gross, Currency::from_code("USD").unwrap(), day, 0),
            Err(PromoRefusal::NotValid)
        );
        let used_up = PromoCode {
            uses: 100,
            ..promo()
        };
        assert_eq!(
            used_up.check(gross, Currency::EUR, day, 0),
            Err(PromoRefusal::NotValid)
        );
        assert_eq!(
            p.check(Decimal::new(4999, 2), Currency::EUR, day, 0),
            Err(PromoRefusal::BelowMinimum(Decimal::new(5000, 2)))
        );
    }
}
