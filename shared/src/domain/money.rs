//! Money is an exact decimal amount in an ISO 4217 currency. JSON carries decimal strings,
//! PSPs get integer minor units; nothing here ever touches a float.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// ISO 4217 codes we accept, with their minor units (0, 2 or 3 decimals).
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PLN", 2),
    ("RON", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("TND", 3),
    ("USD", 2),
    ("VND", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("ZAR", 2),
];

/// The largest amount we handle: far above any order, far below Decimal's and i64's limits, so
/// minor-unit conversion can never overflow.
const MAX_MAJOR_UNITS: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown or unsupported currency {0:?} (expected an ISO 4217 code such as EUR)")]
    UnknownCurrency(String),
    #[error("must be a decimal string such as \"34.20\"")]
    Syntax,
    #[error("must not be negative")]
    Negative,
    #[error("has more decimals than {currency} allows ({minor_units})")]
    TooPrecise {
        currency: &'static str,
        minor_units: u32,
    },
    #[error("is too large")]
    TooLarge,
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(&'static str, &'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_units: u32,
}

impl Currency {
    pub const EUR: Currency = Currency {
        code: "EUR",
        minor_units: 2,
    };

    /// Looks a code up exactly (upper case, three letters); anything else is unknown.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, minor_units)| Currency { code, minor_units })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.chars().take(8).collect()))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }

    /// Parses a non-negative amount from its decimal string, strictly: digits, an optional point
    /// and at most `minor_units` significant decimals. No sign, exponent, spaces or separators.
    pub fn parse_amount(&self, text: &str) -> Result<Decimal, MoneyError> {
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let amount = parse_unsigned(text)?;
        self.check_precision(amount)?;
        Ok(amount)
    }

    /// Rejects amounts that cannot be expressed in whole minor units ("1.005" EUR).
    pub fn check_precision(&self, amount: Decimal) -> Result<(), MoneyError> {
        if amount.normalize().scale() > self.minor_units {
            return Err(MoneyError::TooPrecise {
                currency: self.code,
                minor_units: self.minor_units,
            });
        }
        Ok(())
    }

    /// Rounds half away from zero to the currency's minor units (commercial rounding, as French
    /// invoices expect for VAT).
    pub fn round(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.minor_units, RoundingStrategy::MidpointAwayFromZero)
    }

    /// The canonical display form: exactly `minor_units` decimals ("34.20", "1500", "1.250").
    pub fn format(&self, amount: Decimal) -> String {
        let mut a = self.round(amount);
        a.rescale(self.minor_units);
        a.to_string()
    }
}

fn parse_unsigned(text: &str) -> Result<Decimal, MoneyError> {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(MoneyError::Syntax);
    }
    if int.trim_start_matches('0').len() > 13 || frac.is_some_and(|f| f.len() > 12) {
        return Err(MoneyError::TooLarge);
    }
    let amount: Decimal = text.parse().map_err(|_| MoneyError::Syntax)?;
    if amount >= Decimal::from(MAX_MAJOR_UNITS) {
        return Err(MoneyError::TooLarge);
    }
    Ok(amount)
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// An amount with its currency. Arithmetic refuses to mix currencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        currency.check_precision(amount)?;
        if amount.abs() >= Decimal::from(MAX_MAJOR_UNITS) {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self { amount, currency })
    }

    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: Decimal::ZERO,
            currency,
        }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Integer minor units for a PSP: 34.20 EUR → 3420, 1500 JPY → 1500, 1.250 BHD → 1250.
    /// Exact: precision is checked on every way in, and |amount| < 10^12 with at most 3
    /// decimals keeps the result under 10^15.
    pub fn to_minor_units(&self) -> Result<i64, MoneyError> {
        let scaled = self.amount * Decimal::from(10i64.pow(self.currency.minor_units));
        if !scaled.fract().is_zero() {
            return Err(MoneyError::TooPrecise {
                currency: self.currency.code,
                minor_units: self.currency.minor_units,
            });
        }
        i64::try_from(scaled).map_err(|_| MoneyError::TooLarge)
    }

    pub fn from_minor_units(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        Money::new(Decimal::new(minor, currency.minor_units), currency)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Money::new(self.amount + other.amount, self.currency)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Money::new(self.amount - other.amount, self.currency)
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.code,
                other.currency.code,
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.currency.format(self.amount),
            self.currency.code
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::EUR
    }

    #[test]
    fn parses_strict_decimal_strings() {
        assert_eq!(eur().parse_amount("34.20").unwrap(), Decimal::new(3420, 2));
        assert_eq!(eur().parse_amount("0").unwrap(), Decimal::ZERO);
        assert_eq!(eur().parse_amount("1.230").unwrap(), Decimal::new(123, 2));
        for bad in [
            "", ".5", "5.", "1e3", "+1", " 1", "1,00", "١٢", "0x10", "NaN",
        ] {
            assert_eq!(eur().parse_amount(bad), Err(MoneyError::Syntax), "{bad:?}");
        }
        assert_eq!(eur().parse_amount("-5.00"), Err(MoneyError::Negative));
        assert_eq!(eur().parse_amount("-0"), Err(MoneyError::Negative));
        assert!(matches!(
            eur().parse_amount("1.005"),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert_eq!(
            eur().parse_amount("99999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn minor_units_for_zero_two_and_three_decimal_currencies() {
        let jpy = Currency::from_code("JPY").unwrap();
        let bhd = Currency::from_code("BHD").unwrap();
        assert_eq!(
            Money::new(Decimal::new(1500, 0), jpy)
                .unwrap()
                .to_minor_units(),
            Ok(1500)
        );
        assert!(jpy.parse_amount("1500.5").is_err());
        assert_eq!(
            Money::new(Decimal::new(1250, 3), bhd)
                .unwrap()
                .to_minor_units(),
            Ok(1250)
        );
        assert_eq!(
            Money::new(Decimal::new(3420, 2), eur())
                .unwrap()
                .to_minor_units(),
            Ok(3420)
        );
        assert_eq!(jpy.format(Decimal::new(1500, 0)), "1500");
        assert_eq!(bhd.format(Decimal::new(125, 2)), "1.250");
    }

    #[test]
    fn unknown_currency_is_refused() {
        assert!(Currency::from_code("XYZ").is_err());
        assert!(Currency::from_code("eur").is_err());
    }

    #[test]
    fn currencies_never_mix() {
        let usd = Currency::from_code("USD").unwrap();
        let a = Money::new(Decimal::ONE, eur()).unwrap();
        let b = Money::new(Decimal::ONE, usd).unwrap();
        assert!(matches!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch("EUR", "USD"))
        ));
    }

    proptest! {
        #[test]
        fn minor_unit_round_trip_is_exact(minor in -999_999_999_999i64..999_999_999_999i64,
                                          idx in 0usize..CURRENCIES.len()) {
            let currency = Currency::from_code(CURRENCIES[idx].0).unwrap();
            if let Ok(m) = Money::from_minor_units(minor, currency) {
                prop_assert_eq!(m.to_minor_units(), Ok(minor));
                let text = currency.format(m.amount());
                if minor >= 0 {
                    prop_assert_eq!(currency.parse_amount(&text).unwrap(), m.amount());
                }
            }
        }

        #[test]
        fn addition_in_minor_units_matches_decimal(a in 0i64..10_000_000_000, b in 0i64..10_000_000_000) {
            let x = Money::from_minor_units(a, eur()).unwrap();
            let y = Money::from_minor_units(b, eur()).unwrap();
            prop_assert_eq!(x.checked_add(y).unwrap().to_minor_units(), Ok(a + b));
            prop_assert_eq!(x.checked_sub(y).unwrap().to_minor_units(), Ok(a - b));
        }
    }
}
