//! A promo code applied to an order: what it takes off each VAT rate's net base. The order's
//! VAT is then recomputed per rate on the lowered bases (`Order::tax_bands`), so the discount
//! shown (`Order::discount_amount`) is exactly the total before less the total after.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::PromoOff;
use crate::domain::order::TaxBand;
use crate::domain::Currency;

/// The net taken off one VAT rate's base (positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateReduction {
    pub rate: Decimal,
    pub net: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedDiscount {
    pub code: String,
    /// The discount line's name ("Nouveaux venus").
    pub label: String,
    pub off: PromoOff,
    pub reductions: Vec<RateReduction>,
    /// The payment whose outcome decides: the use is kept once it is authorised, given back
    /// (and the discount dropped) when it fails, is dropped or expires. None once kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_for: Option<String>,
}

impl AppliedDiscount {
    /// The net taken off `rate` (normalised), zero when none.
    pub fn reduction(&self, rate: Decimal) -> Decimal {
        self.reductions
            .iter()
            .filter(|r| r.rate.normalize() == rate.normalize())
            .map(|r| r.net)
            .sum()
    }
}

/// What `off` takes off each of `bands` (the order's VAT bands before any discount):
/// a percentage of each base, rounded per rate; or an amount (VAT included, at most the
/// total) shared between rates in proportion to their totals, each share's VAT taken out.
/// No base goes below zero.
pub fn discount_bands(
    bands: &BTreeMap<Decimal, TaxBand>,
    off: PromoOff,
    currency: Currency,
) -> Vec<RateReduction> {
    let reductions: Vec<(Decimal, Decimal)> = match off {
        PromoOff::Percent { percent } => bands
            .iter()
            .map(|(rate, band)| {
                let net = currency.round(band.base * percent / Decimal::ONE_HUNDRED);
                (*rate, net.min(band.base))
            })
            .collect(),
        PromoOff::Amount { amount } => {
            let grosses: Vec<Decimal> = bands.values().map(|b| b.base + b.tax).collect();
            let total: Decimal = grosses.iter().copied().sum();
            let shares = crate::domain::invoice::share(
                &grosses,
                total,
                amount.min(total).max(Decimal::ZERO),
                currency,
            );
            bands
                .iter()
                .zip(shares)
                .map(|((rate, band), gross)| {
                    let net = currency
                        .round(gross * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate));
                    (*rate, net.min(band.base))
                })
                .collect()
        }
    };
    reductions
        .into_iter()
        .filter(|(_, net)| *net > Decimal::ZERO)
        .map(|(rate, net)| RateReduction { rate, net })
        .collect()
}
