//! Stripe's own rules for amounts on the wire (docs.stripe.com/currencies), which are not
//! ISO 4217's: a zero-decimal list of its own; ISK and UGX sent as two-decimal values whose
//! decimals are always 00; three-decimal currencies whose last digit must be 0; a minimum
//! charge per currency and at most eight digits.

use rust_decimal::Decimal;

use crate::domain::{Currency, Money};
use crate::ports::AmountRefusal;

/// "For the following zero-decimal currencies, the charge and the amount are the same."
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF",
    "XOF", "XPF",
];
/// "Backward compatibility requires you to represent it as a two-decimal value, where the
/// decimal amount is always 00": whole units only, times 100.
const WHOLE_UNITS_AS_TWO_DECIMALS: &[&str] = &["ISK", "UGX"];
/// Three decimals on the wire, "the least-significant (last) digit to be 0".
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// Stripe's minimum charge, in the charge currency, where its table names that currency (it
/// applies the minimum of the settlement currency; a shop settling in another currency may
/// see a different one).
const MINIMUMS: &[(&str, &str)] = &[
    ("AED", "2.00"),
    ("AUD", "0.50"),
    ("BGN", "1.00"),
    ("BRL", "0.50"),
    ("CAD", "0.50"),
    ("CHF", "0.50"),
    ("CZK", "15.00"),
    ("DKK", "2.50"),
    ("EUR", "0.50"),
    ("GBP", "0.30"),
    ("HKD", "4.00"),
    ("HUF", "175.00"),
    ("JPY", "50"),
    ("KRW", "50"),
    ("MXN", "10.00"),
    ("NOK", "3.00"),
    ("NZD", "0.50"),
    ("PLN", "2.00"),
    ("RON", "2.00"),
    ("SEK", "3.00"),
    ("SGD", "0.50"),
    ("USD", "0.50"),
    ("ZAR", "0.50"),
];

/// "8 digits for all other currencies": the limit that holds for every method and network.
const MAX_WIRE_AMOUNT: i64 = 99_999_999;

/// Stripe's decimals on the wire for `currency`.
pub fn wire_decimals(currency: Currency) -> u32 {
    let code = currency.code();
    if ZERO_DECIMAL.contains(&code) {
        0
    } else if THREE_DECIMAL.contains(&code) {
        3
    } else {
        2
    }
}

/// `money` in Stripe's minor units, or why Stripe cannot take it.
pub fn to_wire(money: &Money) -> Result<i64, AmountRefusal> {
    let currency = money.currency();
    let code = currency.code();
    let amount = money.amount();
    if amount <= Decimal::ZERO {
        return Err(AmountRefusal::amount("must be above zero"));
    }
    if WHOLE_UNITS_AS_TWO_DECIMALS.contains(&code) && !amount.fract().is_zero() {
        return Err(AmountRefusal::amount(format!(
            "{code} is charged in whole units only"
        )));
    }
    let scaled = amount * Decimal::from(10_i64.pow(wire_decimals(currency)));
    if !scaled.fract().is_zero() {
        return Err(AmountRefusal::amount(format!(
            "has more decimals than the payment provider takes in {code}"
        )));
    }
    let minor = i64::try_from(scaled).map_err(|_| AmountRefusal::amount("is too large"))?;
    if THREE_DECIMAL.contains(&code) && minor % 10 != 0 {
        return Err(AmountRefusal::amount(format!(
            "the payment provider takes {code} amounts in hundredths only (last digit 0)"
        )));
    }
    if minor > MAX_WIRE_AMOUNT {
        return Err(AmountRefusal::amount(format!(
            "is above the most the payment provider charges at once ({} {code})",
            from_wire_unchecked(MAX_WIRE_AMOUNT, currency)
        )));
    }
    Ok(minor)
}

/// Whether Stripe can charge `money` as one payment: the wire rules and the minimum.
pub fn chargeable(money: &Money) -> Result<(), AmountRefusal> {
    to_wire(money)?;
    let code = money.currency().code();
    let minimum = MINIMUMS
        .iter()
        .find(|(c, _)| *c == code)
        .and_then(|(_, m)| m.parse::<Decimal>().ok());
    match minimum {
        Some(min) if money.amount() < min => Err(AmountRefusal::amount(format!(
            "is below the least the payment provider charges ({min} {code})"
        ))),
        _ => Ok(()),
    }
}

fn from_wire_unchecked(minor: i64, currency: Currency) -> Decimal {
    Decimal::new(minor, wire_decimals(currency))
}

/// Stripe's minor units back into our money (ISK `500` is 5 ISK).
pub fn from_wire(minor: i64, currency: Currency) -> Result<Money, String> {
    Money::new(from_wire_unchecked(minor, currency).normalize(), currency)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: &str, code: &str) -> Money {
        Money::new(amount.parse().unwrap(), Currency::from_code(code).unwrap()).unwrap()
    }

    #[test]
    fn stripe_minor_units_are_its_own() {
        assert_eq!(to_wire(&money("34.20", "EUR")), Ok(3420));
        assert_eq!(to_wire(&money("500", "JPY")), Ok(500));
        // ISO says ISK has no decimals; Stripe wants 5 ISK as 500 (it used to be charged 5).
        assert_eq!(to_wire(&money("5", "ISK")), Ok(500));
        assert_eq!(to_wire(&money("10.45", "HUF")), Ok(1045));
        assert_eq!(to_wire(&money("5.120", "KWD")), Ok(5120));
        assert!(to_wire(&money("5.124", "KWD")).is_err());
        assert!(to_wire(&money("0", "EUR")).is_err());
        assert_eq!(to_wire(&money("999999.99", "EUR")), Ok(99_999_999));
        assert!(to_wire(&money("1000000.00", "EUR")).is_err());
        for (minor, code) in [(3420, "EUR"), (500, "ISK"), (500, "JPY"), (5120, "KWD")] {
            let currency = Currency::from_code(code).unwrap();
            let back = from_wire(minor, currency).unwrap();
            assert_eq!(to_wire(&back), Ok(minor), "{code}");
        }
    }

    #[test]
    fn below_the_minimum_is_not_chargeable() {
        assert!(chargeable(&money("0.50", "EUR")).is_ok());
        assert!(chargeable(&money("0.49", "EUR")).is_err());
        assert!(chargeable(&money("0.29", "GBP")).is_err());
        assert!(chargeable(&money("49", "JPY")).is_err());
        // No minimum known for ISK: any whole amount.
        assert!(chargeable(&money("1", "ISK")).is_ok());
    }
}
