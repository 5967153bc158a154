//! IBANs as both dialects' SEPA test modes read them: the checksum (ISO 13616, mod 97) and what
//! Stripe's test IBANs do (docs.stripe.com/testing, SEPA Direct Debit: the same scenarios for
//! AT, DE and FR; the MangoPay dialect reuses them, as MangoPay publishes no test IBANs with
//! outcomes). An IBAN is never logged.

/// What a debit from an account does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Pending, then succeeded a couple of seconds later.
    Succeeds,
    /// Pending, then succeeded once three minutes have passed.
    SucceedsDelayed,
    /// Pending, then failed a couple of seconds later.
    Fails(Failure),
    /// Pending, then failed once three minutes have passed.
    FailsDelayed,
    /// Succeeded, then disputed at once (Stripe only; MangoPay's debit just succeeds).
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

    /// Milliseconds of sandbox time from creation to the outcome.
    pub fn wait_ms(self) -> i64 {
        if self.delayed() {
            DELAYED_SECONDS * 1000
        } else {
            IMMEDIATE_MS
        }
    }
}

/// "After at least three minutes", Stripe's test IBANs say; the sandbox takes exactly that.
pub const DELAYED_SECONDS: i64 = 180;
/// How long after its creation an immediate scenario settles, in the sandbox's time.
pub const IMMEDIATE_MS: i64 = 2_000;

/// Why a debit failed (each dialect names it with its own codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Generic,
    InsufficientFunds,
    /// The account's weekly SEPA volume would be exceeded.
    SourceLimit,
    /// The payment method's weekly limit would be exceeded.
    WeeklyLimit,
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
        "DK" => Some(18),
        "ES" => Some(24),
        "FR" | "IT" | "MC" => Some(27),
        "IE" | "GB" => Some(22),
        "LU" => Some(20),
        "NL" => Some(18),
        "PT" => Some(25),
        "SE" => Some(24),
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

/// The typed IBAN, normalised, if it is one: format, country length and checksum.
pub fn parse(input: &str) -> Option<String> {
    let iban = normalise(input);
    let well_formed = (15..=34).contains(&iban.len())
        && iban.bytes().all(|b| b.is_ascii_alphanumeric())
        && iban[..2].bytes().all(|b| b.is_ascii_uppercase())
        && iban[2..4].bytes().all(|b| b.is_ascii_digit());
    if !well_formed || !checksum_ok(&iban) {
        return None;
    }
    if expected_length(&iban[..2]).is_some_and(|n| n != iban.len()) {
        return None;
    }
    Some(iban)
}

/// What a debit from a (normalised) IBAN does: unknown valid IBANs succeed.
pub fn scenario(iban: &str) -> Scenario {
    TEST_IBANS
        .iter()
        .find(|(i, _, _)| *i == iban)
        .map_or(Scenario::Succeeds, |(_, s, _)| *s)
}

/// `•••• 3000`: all a page shows of an account.
pub fn masked(iban: &str) -> String {
    format!("•••• {}", &iban[iban.len().saturating_sub(4)..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_iban_parses_to_its_scenario() {
        for (iban, want, _) in TEST_IBANS {
            let parsed = parse(iban).unwrap_or_else(|| panic!("{iban}"));
            assert_eq!(scenario(&parsed), *want, "{iban}");
        }
        assert_eq!(
            parse("de89 3704 0044 0532 0130 00").as_deref(),
            Some("DE89370400440532013000")
        );
        assert_eq!(masked("DE89370400440532013000"), "•••• 3000");
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
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
