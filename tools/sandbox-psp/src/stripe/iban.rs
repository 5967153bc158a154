//! IBANs as Stripe's SEPA Direct Debit test mode reads them: the shared checks and test
//! scenarios (`crate::iban`), plus what only Stripe has: its failure codes, the bank and branch
//! codes it reports, a fingerprint, and the test IBANs it refuses. An IBAN is read, turned into
//! these facts and dropped: it is never kept nor logged.

use sha2::{Digest, Sha256};

pub use crate::iban::{Failure, Scenario, TEST_IBANS};

/// Stripe's names for a SEPA debit's failure (the charge's `failure_code`).
impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Self::Generic => "generic_could_not_process",
            Self::InsufficientFunds => "insufficient_funds",
            Self::SourceLimit => "charge_exceeds_source_limit",
            Self::WeeklyLimit => "charge_exceeds_weekly_limit",
        }
    }

    /// The code for `last_payment_error.code`, where Stripe's error codes have one.
    pub fn error_code(self) -> Option<&'static str> {
        match self {
            Self::InsufficientFunds => Some("insufficient_funds"),
            Self::SourceLimit => Some("charge_exceeds_source_limit"),
            Self::Generic | Self::WeeklyLimit => None,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Generic => "This payment could not be processed.",
            Self::InsufficientFunds => {
                "The customer's bank account has insufficient funds to \
                                       cover this payment."
            }
            Self::SourceLimit => {
                "This payment would exceed the weekly SEPA Direct Debit \
                                  volume limit of this account."
            }
            Self::WeeklyLimit => "This payment exceeds the weekly limit of this bank account.",
        }
    }
}

/// Test IBANs refused when the PaymentMethod is created: (IBAN, Stripe's code).
pub const REFUSED_IBANS: &[(&str, &str)] = &[
    ("DE91370400440000055555", "sepa_debit_bank_not_supported"),
    ("DE18370400440000066666", "sepa_debit_debits_not_supported"),
];

/// What Stripe reports of an IBAN: `payment_method.sepa_debit` without `generated_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
    pub country: String,
    pub fingerprint: String,
    pub last4: String,
    pub scenario: Scenario,
}

/// Why an IBAN typed on the hosted page was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not an IBAN: wrong length, characters or checksum.
    Invalid,
    /// One of Stripe's refused test IBANs, with its code.
    Unsupported(&'static str),
}

/// Reads a typed IBAN. Unknown but valid IBANs succeed like the first test IBAN.
pub fn read(input: &str) -> Result<BankAccount, Refused> {
    let iban = crate::iban::parse(input).ok_or(Refused::Invalid)?;
    if let Some((_, code)) = REFUSED_IBANS.iter().find(|(i, _)| *i == iban) {
        return Err(Refused::Unsupported(code));
    }
    let country = iban[..2].to_owned();
    let (bank_code, branch_code) = codes(&country, &iban);
    Ok(BankAccount {
        bank_code,
        branch_code,
        fingerprint: fingerprint(&iban),
        last4: iban[iban.len() - 4..].to_owned(),
        country,
        scenario: crate::iban::scenario(&iban),
    })
}

/// The bank and branch codes inside the BBAN, as Stripe reports them (an empty branch code
/// where the country's IBAN has none).
fn codes(country: &str, iban: &str) -> (Option<String>, Option<String>) {
    let part = |a: usize, b: usize| iban.get(a..b).map(str::to_owned);
    match country {
        "DE" => (part(4, 12), Some(String::new())),
        "AT" => (part(4, 9), Some(String::new())),
        "FR" => (part(4, 9), part(9, 14)),
        _ => (None, None),
    }
}

/// The same IBAN always gives the same fingerprint (Stripe's use of it: spotting one account
/// behind several PaymentMethods); the IBAN cannot be read back from it.
fn fingerprint(iban: &str) -> String {
    let digest = Sha256::digest(format!("sandbox-psp sepa_debit {iban}").as_bytes());
    hex::encode(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_iban_has_a_valid_checksum() {
        for (iban, scenario, _) in TEST_IBANS {
            let account = read(iban).unwrap_or_else(|e| panic!("{iban}: {e:?}"));
            assert_eq!(account.scenario, *scenario, "{iban}");
            assert_eq!(account.last4, iban[iban.len() - 4..]);
        }
        for (iban, code) in REFUSED_IBANS {
            assert_eq!(read(iban), Err(Refused::Unsupported(code)));
        }
    }

    #[test]
    fn codes_country_and_fingerprint() {
        let de = read("de89 3704 0044 0532 0130 00").unwrap();
        assert_eq!(de.bank_code.as_deref(), Some("37040044"));
        assert_eq!(de.country, "DE");
        assert_eq!(
            de.fingerprint,
            read("DE89370400440532013000").unwrap().fingerprint
        );
        assert_eq!(de.fingerprint.len(), 16);
        let fr = read("FR1420041010050500013M02606").unwrap();
        assert_eq!(
            (fr.bank_code.as_deref(), fr.branch_code.as_deref()),
            (Some("20041"), Some("01005"))
        );
        assert_ne!(fr.fingerprint, de.fingerprint);
    }

    #[test]
    fn bad_ibans_are_refused() {
        for bad in [
            "DE89370400440532013001",
            "DE8937040044053201300",
            "DE89 3704 0044 0532 0130 0!",
            "",
            "1234",
        ] {
            assert_eq!(read(bad), Err(Refused::Invalid), "{bad}");
        }
    }
}
