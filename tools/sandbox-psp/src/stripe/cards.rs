//! Stripe's test cards and test PaymentMethod ids, and what each does when confirmed.

/// What confirming a payment with a card does. Kept on saved PaymentMethods so a later
/// off-session payment behaves like the card it was saved from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Authorise,
    /// Authorised, but the card's network or issuer does not support multicapture: the
    /// charge reports `multicapture.status: unavailable` and every capture is final.
    AuthoriseWithoutMulticapture,
    /// 3-D Secure on every payment; off-session payments fail with `authentication_required`.
    Authenticate,
    Decline(Decline),
    /// Authorised; once captured, the shopper's bank disputes the charge (Stripe's dispute
    /// test cards).
    AuthoriseThenDispute(DisputeCase),
    /// Authorised, Radar's `outcome.risk_level` elevated or highest (Stripe's Radar test
    /// cards; highest as when the seller's "block if highest" rule is off).
    AuthoriseAtRisk(RiskLevel),
    /// Authorised on session; every off-session payment is declined (`insufficient_funds`),
    /// as a card emptied after it was saved.
    DeclineOffSession,
}

/// Radar's risk levels above normal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskLevel {
    Elevated,
    Highest,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elevated => "elevated",
            Self::Highest => "highest",
        }
    }
}

/// The dispute a test card brings, as Stripe's dispute test cards do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeCase {
    /// 4000 0000 0000 0259: a chargeback, reason `fraudulent`.
    Fraudulent,
    /// 4000 0000 0000 2685: a chargeback, reason `product_not_received`.
    ProductNotReceived,
    /// 4000 0000 0000 1976: an inquiry (`warning_needs_response`), reason `fraudulent`.
    Inquiry,
}

impl DisputeCase {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Fraudulent | Self::Inquiry => "fraudulent",
            Self::ProductNotReceived => "product_not_received",
        }
    }

    pub fn is_inquiry(self) -> bool {
        self == Self::Inquiry
    }
}

impl Behaviour {
    /// Whether a payment authorised with this card can be captured several times.
    pub fn multicapture(self) -> bool {
        self != Self::AuthoriseWithoutMulticapture
    }

    /// Radar's `outcome.risk_level` on this card's charges.
    pub fn risk_level(self) -> &'static str {
        match self {
            Self::AuthoriseAtRisk(level) => level.as_str(),
            _ => "normal",
        }
    }
}

/// Not one of Stripe's test cards: the sandbox's own, for a card whose multicapture is
/// unavailable (Stripe documents no such card).
pub const CARD_WITHOUT_MULTICAPTURE: &str = "4000009900000004";

/// Not one of Stripe's test cards either: the sandbox's own, for a saved card whose later
/// off-session payments are declined (Stripe's 0341 declines the first payment too).
pub const CARD_DECLINED_OFF_SESSION: &str = "4000009900000012";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    Generic,
    InsufficientFunds,
    /// A real card number used in test mode.
    LiveCard,
    /// Radar blocks it whatever the rules (risk level highest).
    Fraudulent,
}

impl Decline {
    pub fn decline_code(self) -> &'static str {
        match self {
            Self::Generic => "generic_decline",
            Self::InsufficientFunds => "insufficient_funds",
            Self::LiveCard => "test_mode_live_card",
            Self::Fraudulent => "fraudulent",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Generic | Self::Fraudulent => "Your card was declined.",
            Self::InsufficientFunds => "Your card has insufficient funds.",
            Self::LiveCard => {
                "Your card was declined. Your request was in test mode, but used a non test card."
            }
        }
    }
}

/// The test card numbers the hosted page recognises, for the page hint and main.rs.
pub const TEST_CARDS: &[(&str, &str)] = &[
    ("4242 4242 4242 4242", "authorised"),
    (
        "4000 0027 6000 3184",
        "3-D Secure challenge (code shown on the challenge page)",
    ),
    ("4000 0000 0000 0002", "declined (generic_decline)"),
    ("4000 0000 0000 9995", "declined (insufficient_funds)"),
    ("5555 5555 5555 4444", "authorised (Mastercard)"),
    (
        "3782 822463 10005",
        "authorised (American Express, 4-digit CVC)",
    ),
    (
        "4000 0099 0000 0004",
        "authorised, multicapture unavailable (sandbox only)",
    ),
    (
        "4000 0099 0000 0012",
        "authorised; declined off-session later, insufficient funds (sandbox only)",
    ),
    (
        "4000 0000 0000 0259",
        "authorised, disputed as fraudulent once captured",
    ),
    (
        "4000 0000 0000 2685",
        "authorised, disputed as product not received once captured",
    ),
    (
        "4000 0000 0000 1976",
        "authorised, an inquiry from the bank once captured",
    ),
    ("4000 0000 0000 9235", "authorised, risk level elevated"),
    ("4000 0000 0000 4954", "authorised, risk level highest"),
    (
        "4100 0000 0000 0019",
        "declined (fraudulent): blocked, risk level highest",
    ),
];

/// The behaviour of a card number (digits only). Numbers that are not Stripe test cards are
/// declined like Stripe does in test mode.
pub fn behaviour_of_number(digits: &str) -> Behaviour {
    match digits {
        "4242424242424242" | "5555555555554444" | "378282246310005" => Behaviour::Authorise,
        "4000002760003184" | "4000002500003155" => Behaviour::Authenticate,
        "4000000000000002" => Behaviour::Decline(Decline::Generic),
        "4000000000009995" => Behaviour::Decline(Decline::InsufficientFunds),
        CARD_WITHOUT_MULTICAPTURE => Behaviour::AuthoriseWithoutMulticapture,
        CARD_DECLINED_OFF_SESSION => Behaviour::DeclineOffSession,
        "4000000000000259" => Behaviour::AuthoriseThenDispute(DisputeCase::Fraudulent),
        "4000000000002685" => Behaviour::AuthoriseThenDispute(DisputeCase::ProductNotReceived),
        "4000000000001976" => Behaviour::AuthoriseThenDispute(DisputeCase::Inquiry),
        "4000000000009235" => Behaviour::AuthoriseAtRisk(RiskLevel::Elevated),
        "4000000000004954" => Behaviour::AuthoriseAtRisk(RiskLevel::Highest),
        "4100000000000019" => Behaviour::Decline(Decline::Fraudulent),
        _ => Behaviour::Decline(Decline::LiveCard),
    }
}

pub fn brand_of_number(digits: &str) -> &'static str {
    let two: u32 = digits.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = digits.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "mastercard",
        _ if two == 34 || two == 37 => "amex",
        _ => "unknown",
    }
}

/// Stripe's test PaymentMethod ids: (brand, last4, behaviour).
pub fn test_payment_method(id: &str) -> Option<(&'static str, &'static str, Behaviour)> {
    Some(match id {
        "pm_card_visa" => ("visa", "4242", Behaviour::Authorise),
        "pm_card_mastercard" => ("mastercard", "4444", Behaviour::Authorise),
        // The sandbox's own, like CARD_WITHOUT_MULTICAPTURE.
        "pm_card_multicaptureUnavailable" => {
            ("visa", "0004", Behaviour::AuthoriseWithoutMulticapture)
        }
        "pm_card_authenticationRequired" => ("visa", "3184", Behaviour::Authenticate),
        "pm_card_createDispute" => (
            "visa",
            "0259",
            Behaviour::AuthoriseThenDispute(DisputeCase::Fraudulent),
        ),
        "pm_card_createDisputeProductNotReceived" => (
            "visa",
            "2685",
            Behaviour::AuthoriseThenDispute(DisputeCase::ProductNotReceived),
        ),
        "pm_card_createDisputeInquiry" => (
            "visa",
            "1976",
            Behaviour::AuthoriseThenDispute(DisputeCase::Inquiry),
        ),
        "pm_card_chargeDeclined" => ("visa", "0002", Behaviour::Decline(Decline::Generic)),
        "pm_card_riskLevelElevated" => (
            "visa",
            "9235",
            Behaviour::AuthoriseAtRisk(RiskLevel::Elevated),
        ),
        "pm_card_riskLevelHighest" => (
            "visa",
            "4954",
            Behaviour::AuthoriseAtRisk(RiskLevel::Highest),
        ),
        "pm_card_chargeDeclinedFraudulent" => {
            ("visa", "0019", Behaviour::Decline(Decline::Fraudulent))
        }
        "pm_card_chargeDeclinedInsufficientFunds" => (
            "visa",
            "9995",
            Behaviour::Decline(Decline::InsufficientFunds),
        ),
        _ => return None,
    })
}

pub fn luhn_valid(digits: &str) -> bool {
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_are_luhn_valid() {
        for (n, _) in TEST_CARDS {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            assert!(luhn_valid(&digits), "{n}");
            assert_ne!(
                behaviour_of_number(&digits),
                Behaviour::Decline(Decline::LiveCard)
            );
        }
        assert!(!luhn_valid("4242424242424241"));
        assert_eq!(brand_of_number("5555555555554444"), "mastercard");
    }
}
