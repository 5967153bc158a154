//! MangoPay's amounts on the wire: integers in the currency's minor unit (ISO 4217 decimals:
//! cents for EUR, whole yen for JPY), for the currencies MangoPay takes.

use rust_decimal::Decimal;

use super::{CurrencyCode, Funds};
use crate::domain::{Currency, Money};
use crate::ports::AmountRefusal;

/// The currencies MangoPay takes pay-ins in (docs.mangopay.com, "Currencies").
pub const CURRENCIES: &[&str] = &[
    "AUD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "HKD", "JPY", "NOK", "PLN", "SEK", "USD",
    "ZAR",
];

/// Above this, an amount is refused before it reaches MangoPay (a 32-bit signed integer of
/// minor units, what MangoPay's `Amount` holds).
const MAX_WIRE_AMOUNT: i64 = i32::MAX as i64;

pub fn check(money: &Money) -> Result<(), AmountRefusal> {
    let code = money.currency().code();
    if !CURRENCIES.contains(&code) {
        return Err(AmountRefusal::Currency(format!(
            "MangoPay does not take payments in {code}"
        )));
    }
    let wire = to_wire(money)?;
    if wire <= 0 {
        return Err(AmountRefusal::amount("MangoPay cannot charge zero"));
    }
    Ok(())
}

pub fn to_wire(money: &Money) -> Result<i64, AmountRefusal> {
    let currency = money.currency();
    let scaled = money.amount() * Decimal::from(10i64.pow(currency.minor_units()));
    if scaled.fract() != Decimal::ZERO {
        return Err(AmountRefusal::amount(format!(
            "{} has more decimals than {} allows",
            money.amount(),
            currency.code()
        )));
    }
    let wire: i64 = scaled
        .try_into()
        .map_err(|_| AmountRefusal::amount("amount too large for MangoPay"))?;
    if wire > MAX_WIRE_AMOUNT {
        return Err(AmountRefusal::amount("amount too large for MangoPay"));
    }
    Ok(wire)
}

pub fn funds(money: &Money) -> Result<Funds, AmountRefusal> {
    Ok(Funds {
        currency: CurrencyCode(money.currency()),
        amount: to_wire(money)?,
    })
}

pub fn zero_funds(currency: Currency) -> Funds {
    Funds {
        currency: CurrencyCode(currency),
        amount: 0,
    }
}

pub fn from_wire(funds: &Funds) -> Result<Money, String> {
    let currency = funds.currency.0;
    let amount = Decimal::new(funds.amount, currency.minor_units());
    Money::new(amount, currency).map_err(|e| format!("MangoPay amount {}: {e}", funds.amount))
}
