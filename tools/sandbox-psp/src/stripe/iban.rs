//! IBANs as Stripe's SEPA Direct Debit test mode reads them: the checksum (ISO 13616, mod 97),
//! the bank and branch codes Stripe reports, a fingerprint, and what Stripe's test IBANs do
//! (docs.stripe.com/testing, SEPA Direct Debit: the same scenarios for AT, DE and FR). An IBAN
//! is read, turned into these facts and dropped: it is never kept nor logged.

use sha2::{Digest, Sha256};

/// What a debit on a SEPA PaymentMethod does, remembered on the PaymentMethod (never its IBAN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `processing`, then `succeeded` a couple of seconds later.
    Succeeds,
    /// `processing`, then `succeeded` once three minutes have passed.
    SucceedsDelayed,
    /// `processing`, then `requires_payment_method` a couple of seconds later.
    Fails(Failure),
    /// `processing`, then `requires_payment_method` once three minutes have passed.
    FailsDelayed,
    /// `succeeded`, then a dispute on the charge at once.
    SucceedsThenDisputed,
}

impl Scenario {
    /// Settled only once the sandbox clock is past creation + [`DELAYED_SECONDS`].
    pub fn delayed(self) -> bool {
        matches!(self, Self::SucceedsDelayed | Self::FailsDelayed)
    }

    pub fn failure(self) -> Option<Failure> {
        match self {
            Self::Fails(f) => Some(f),
            Self::FailsDelayed => Some(Failure::Generic),
            _ => None,
        }
    }
}

/// "After at least three minutes", Stripe's test IBANs say; the sandbox takes exactly that.
pub const DELAYED_SECONDS: i64 = 180;

/// A SEPA debit's failure: the charge's `failure_code` (Stripe's SEPA failure codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Generic,
    InsufficientFunds,
    /// The account's weekly SEPA volume would be exceeded.
    SourceLimit,
    /// The payment method's weekly limit would be exceeded.
    WeeklyLimit,
}

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

/// Stripe's test IBANs (AT, DE, FR) and what they do.
pub const TEST_IBANS: &[(&str, Scenario, &str)] = &[
    ("AT611904300234573201", Scenario::Succeeds, "succeeds"),
    ("DE89370400440532013000", Scenario::Succeeds, "succeeds"),
    (
        "FR1420041010050500013M02606",
        Scenario::Succeeds,
        "succeeds",
    ),
    (
        "AT321904300235473204",
        Scenario::SucceedsDelayed,
        "succeeds after 3 minutes",
    ),
    (
        "DE08370400440532013003",
        Scenario::SucceedsDelayed,
        "succeeds after 3 minutes",
    ),
    (
        "FR3020041010050500013M02609",
        Scenario::SucceedsDelayed,
        "succeeds after 3 minutes",
    ),
    (
        "AT861904300235473202",
        Scenario::Fails(Failure::Generic),
        "fails",
    ),
    (
        "DE62370400440532013001",
        Scenario::Fails(Failure::Generic),
        "fails",
    ),
    (
        "FR8420041010050500013M02607",
        Scenario::Fails(Failure::Generic),
        "fails",
    ),
    (
        "AT051904300235473205",
        Scenario::FailsDelayed,
        "fails after 3 minutes",
    ),
    (
        "DE78370400440532013004",
        Scenario::FailsDelayed,
        "fails after 3 minutes",
    ),
    (
        "FR7920041010050500013M02600",
        Scenario::FailsDelayed,
        "fails after 3 minutes",
    ),
    (
        "AT591904300235473203",
        Scenario::SucceedsThenDisputed,
        "succeeds, then disputed",
    ),
    (
        "DE35370400440532013002",
        Scenario::SucceedsThenDisputed,
        "succeeds, then disputed",
    ),
    (
        "FR5720041010050500013M02608",
        Scenario::SucceedsThenDisputed,
        "succeeds, then disputed",
    ),
    (
        "AT981904300000343434",
        Scenario::Fails(Failure::SourceLimit),
        "fails, charge_exceeds_source_limit",
    ),
    (
        "DE65370400440000343434",
        Scenario::Fails(Failure::SourceLimit),
        "fails, charge_exceeds_source_limit",
    ),
    (
        "FR9720041010050000000343434",
        Scenario::Fails(Failure::SourceLimit),
        "fails, charge_exceeds_source_limit",
    ),
    (
        "AT601904300000121212",
        Scenario::Fails(Failure::WeeklyLimit),
        "fails, charge_exceeds_weekly_limit",
    ),
    (
        "DE27370400440000121212",
        Scenario::Fails(Failure::WeeklyLimit),
        "fails, charge_exceeds_weekly_limit",
    ),
    (
        "FR5920041010050000000121212",
        Scenario::Fails(Failure::WeeklyLimit),
        "fails, charge_exceeds_weekly_limit",
    ),
    (
        "AT981904300002222227",
        Scenario::Fails(Failure::InsufficientFunds),
        "fails, insufficient_funds",
    ),
    (
        "DE65370400440002222227",
        Scenario::Fails(Failure::InsufficientFunds),
        "fails, insufficient_funds",
    ),
    (
        "FR9720041010050000002222227",
        Scenario::Fails(Failure::InsufficientFunds),
        "fails, insufficient_funds",
    ),
];

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

/// `DE89 3704 …` → `DE89370400440532013000`: spaces dropped, upper case.
fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The lengths of the countries the sandbox knows; other countries are checked by checksum.
fn expected_length(country: &str) -> Option<usize> {
    match country {
        "AT" => Some(20),
        "BE" => Some(16),
        "DE" => Some(22),
        "ES" => Some(24),
        "FR" | "IT" | "MC" => Some(27),
        "IE" | "GB" => Some(22),
        "LU" => Some(20),
        "NL" => Some(18),
        "PT" => Some(25),
        _ => None,
    }
}

/// ISO 13616: country and check digits moved to the end, letters as 10–35, mod 97 is 1.
fn checksum_ok(iban: &str) -> bool {
    let (head, tail) = iban.split_at(4);
    let mut rest: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let value = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rest = if value < 10 {
            (rest * 10 + value) % 97
        } else {
            (rest * 100 + value) % 97
        };
    }
    rest == 1
}

/// Reads a typed IBAN. Unknown but valid IBANs succeed like the first test IBAN.
pub fn read(input: &str) -> Result<BankAccount, Refused> {
    let iban = normalise(input);
    let well_formed = (15..=34).contains(&iban.len())
        && iban.bytes().all(|b| b.is_ascii_alphanumeric())
        && iban[..2].bytes().all(|b| b.is_ascii_uppercase())
        && iban[2..4].bytes().all(|b| b.is_ascii_digit());
    if !well_formed || !checksum_ok(&iban) {
        return Err(Refused::Invalid);
    }
    let country = iban[..2].to_owned();
    if expected_length(&country).is_some_and(|n| n != iban.len()) {
        return Err(Refused::Invalid);
    }
    if let Some((_, code)) = REFUSED_IBANS.iter().find(|(i, _)| *i == iban) {
        return Err(Refused::Unsupported(code));
    }
    let scenario = TEST_IBANS
        .iter()
        .find(|(i, _, _)| *i == iban)
        .map_or(Scenario::Succeeds, |(_, s, _)| *s);
    let (bank_code, branch_code) = codes(&country, &iban);
    Ok(BankAccount {
        bank_code,
        branch_code,
        fingerprint: fingerprint(&iban),
        last4: iban[iban.len() - 4..].to_owned(),
        country,
        scenario,
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
