//! A customer's SEPA standing: the monthly cap, whether SEPA is open to them, how many months
//! in a row closed without a returned debit, and their financial score as last checked.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{CapRule, MonthId};

/// The financial score (out of 20) below which SEPA is refused.
pub const MINIMUM_SCORE: u8 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspensionReason {
    /// A debit came back (returned, refused or disputed).
    ReturnedDebit,
    /// The score fell under the minimum at a month close.
    ScoreBelowMinimum,
    /// The seller closed it.
    Seller,
}

impl SuspensionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuspensionReason::ReturnedDebit => "returned_debit",
            SuspensionReason::ScoreBelowMinimum => "score_below_minimum",
            SuspensionReason::Seller => "seller",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SepaState {
    Active,
    /// Until the seller reinstates it.
    Suspended {
        reason: SuspensionReason,
    },
}

/// The score as last read from the `ScoreProvider`, and the Paris day it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredScore {
    pub value: u8,
    pub checked_on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SepaAccount {
    pub customer_id: String,
    /// The most a month's debit may reach (EUR).
    pub cap: Decimal,
    pub state: SepaState,
    /// Months closed in a row with no returned debit since the last raise or return.
    pub clean_months: u32,
    pub score: Option<StoredScore>,
    /// The last month whose close reviewed this account (a close run twice reviews once).
    pub reviewed_month: Option<MonthId>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl SepaAccount {
    /// A customer's first standing: the rule's starting cap, open.
    pub fn new(customer_id: &str, rule: &CapRule, now: OffsetDateTime) -> Self {
        Self {
            customer_id: customer_id.to_string(),
            cap: rule.initial,
            state: SepaState::Active,
            clean_months: 0,
            score: None,
            reviewed_month: None,
            updated_at: now,
        }
    }

    /// The score must be read again (at most once a day).
    pub fn score_is_stale(&self, today: Date) -> bool {
        self.score.is_none_or(|s| s.checked_on != today)
    }

    /// A debit of this customer's came back: SEPA closes until the seller reinstates it.
    pub fn suspend(&mut self, reason: SuspensionReason, now: OffsetDateTime) -> bool {
        if self.state == (SepaState::Suspended { reason }) {
            return false;
        }
        self.state = SepaState::Suspended { reason };
        self.clean_months = 0;
        self.updated_at = now;
        true
    }

    /// The seller opens SEPA again (a new clean run starts).
    pub fn reinstate(&mut self, now: OffsetDateTime) {
        self.state = SepaState::Active;
        self.clean_months = 0;
        self.updated_at = now;
    }
}
