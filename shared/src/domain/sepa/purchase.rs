//! Whether a purchase may be paid by SEPA: an active mandate, SEPA open to the customer, a
//! score of at least 10/20 and room under the month's cap. The cap is checked here for a clear
//! answer and held by the store's conditional write on the month's total (concurrent
//! purchases can never pass it together).

use rust_decimal::Decimal;

use super::{Mandate, SepaAccount, SepaState, StoredScore, SuspensionReason, MINIMUM_SCORE};
use crate::domain::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseRefusal {
    #[error("SEPA direct debit is in euros only")]
    Currency,
    #[error("no active SEPA mandate: add a bank account first")]
    NoActiveMandate,
    #[error("SEPA direct debit is suspended for this account ({})", .0.as_str())]
    Suspended(SuspensionReason),
    #[error("the financial score ({score}/20) is below {MINIMUM_SCORE}/20")]
    ScoreTooLow { score: u8 },
    #[error(
        "above this month's SEPA cap: {} EUR remain of {} EUR",
        Currency::EUR.format(*remaining),
        Currency::EUR.format(*cap)
    )]
    CapExceeded { cap: Decimal, remaining: Decimal },
}

impl PurchaseRefusal {
    /// The request field the refusal names.
    pub fn field(&self) -> &'static str {
        match self {
            PurchaseRefusal::NoActiveMandate => "mandate_id",
            _ => "method",
        }
    }

    /// The machine-readable reason (`sepa_cap_exceeded`, …).
    pub fn code(&self) -> &'static str {
        match self {
            PurchaseRefusal::Currency => "sepa_currency",
            PurchaseRefusal::NoActiveMandate => "sepa_no_active_mandate",
            PurchaseRefusal::Suspended(_) => "sepa_suspended",
            PurchaseRefusal::ScoreTooLow { .. } => "sepa_score_too_low",
            PurchaseRefusal::CapExceeded { .. } => "sepa_cap_exceeded",
        }
    }
}

/// What is left under the cap after `used`.
pub fn remaining(account: &SepaAccount, used: Decimal) -> Decimal {
    (account.cap - used).max(Decimal::ZERO)
}

/// Checks a purchase of `amount` against the account, the mandate, the score and what the
/// month has used so far.
pub fn check_purchase(
    account: &SepaAccount,
    mandate: Option<&Mandate>,
    score: StoredScore,
    used_this_month: Decimal,
    amount: Money,
) -> Result<(), PurchaseRefusal> {
    if amount.currency().code() != "EUR" {
        return Err(PurchaseRefusal::Currency);
    }
    if !mandate.is_some_and(Mandate::is_usable) {
        return Err(PurchaseRefusal::NoActiveMandate);
    }
    if let SepaState::Suspended { reason } = account.state {
        return Err(PurchaseRefusal::Suspended(reason));
    }
    if score.value < MINIMUM_SCORE {
        return Err(PurchaseRefusal::ScoreTooLow { score: score.value });
    }
    if used_this_month + amount.amount() > account.cap {
        return Err(PurchaseRefusal::CapExceeded {
            cap: account.cap,
            remaining: remaining(account, used_this_month),
        });
    }
    Ok(())
}
