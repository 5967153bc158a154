//! The seller's 3-D Secure policy and what it asks of the PSP for one card payment.

use time::Date;

/// `THREE_D_SECURE_POLICY`: `always`, `never`, `automatic` (the PSP decides, the default), or
/// `event-within:N` (ask for it when the order's event date is at most N days away: a late
/// chargeback on an event ticket cannot be answered by withholding the ticket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreeDSecurePolicy {
    Always,
    /// Skip it where the PSP allows (Stripe does not: it decides then, as with `automatic`).
    Never,
    #[default]
    Automatic,
    EventWithinDays(u32),
}

/// What one payment asks of the PSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreeDSecureRequest {
    /// Authenticate the shopper whenever the card allows it.
    Request,
    /// The PSP (and the issuer) decide.
    #[default]
    Automatic,
    /// Ask for an exemption (only where the PSP can).
    Skip,
}

impl ThreeDSecurePolicy {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "always" => Ok(Self::Always),
            "never" => Ok(Self::Never),
            "automatic" | "" => Ok(Self::Automatic),
            _ => text
                .strip_prefix("event-within:")
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n <= 3650)
                .map(Self::EventWithinDays)
                .ok_or_else(|| {
                    format!(
                        "{text:?} is not always, never, automatic or event-within:<days up to 3650>"
                    )
                }),
        }
    }

    /// For an order with `event_date`, paid on `today` (the seller's calendar day), given what
    /// the PSP can do (`can_request`, `can_skip`).
    pub fn for_payment(
        self,
        event_date: Option<Date>,
        today: Date,
        can_request: bool,
        can_skip: bool,
    ) -> ThreeDSecureRequest {
        let wanted = match self {
            Self::Always => ThreeDSecureRequest::Request,
            Self::Never => ThreeDSecureRequest::Skip,
            Self::Automatic => ThreeDSecureRequest::Automatic,
            Self::EventWithinDays(days) => match event_date {
                Some(event) if (event - today).whole_days() <= i64::from(days) => {
                    ThreeDSecureRequest::Request
                }
                _ => ThreeDSecureRequest::Automatic,
            },
        };
        match wanted {
            ThreeDSecureRequest::Request if !can_request => ThreeDSecureRequest::Automatic,
            ThreeDSecureRequest::Skip if !can_skip => ThreeDSecureRequest::Automatic,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_policy_reads_as_configured() {
        assert_eq!(
            ThreeDSecurePolicy::parse("always"),
            Ok(ThreeDSecurePolicy::Always)
        );
        assert_eq!(
            ThreeDSecurePolicy::parse(""),
            Ok(ThreeDSecurePolicy::Automatic)
        );
        assert_eq!(
            ThreeDSecurePolicy::parse("event-within:7"),
            Ok(ThreeDSecurePolicy::EventWithinDays(7))
        );
        for bad in [
            "sometimes",
            "event-within:",
            "event-within:-1",
            "event-within:9999",
        ] {
            assert!(ThreeDSecurePolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_payment_asks_what_the_policy_says_and_the_psp_can_do() {
        let today = date!(2026 - 12 - 01);
        let p = ThreeDSecurePolicy::EventWithinDays(7);
        assert_eq!(
            p.for_payment(Some(date!(2026 - 12 - 08)), today, true, false),
            ThreeDSecureRequest::Request
        );
        assert_eq!(
            p.for_payment(Some(date!(2026 - 12 - 09)), today, true, false),
            ThreeDSecureRequest::Automatic
        );
        assert_eq!(
            p.for_payment(None, today, true, false),
            ThreeDSecureRequest::Automatic
        );
        // Stripe cannot skip it: "never" leaves it to the PSP; a PSP that cannot request it
        // gets no request.
        assert_eq!(
            ThreeDSecurePolicy::Never.for_payment(None, today, true, false),
            ThreeDSecureRequest::Automatic
        );
        assert_eq!(
            ThreeDSecurePolicy::Never.for_payment(None, today, true, true),
            ThreeDSecureRequest::Skip
        );
        assert_eq!(
            ThreeDSecurePolicy::Always.for_payment(None, today, false, false),
            ThreeDSecureRequest::Automatic
        );
    }
}
