//! Disputes: `GET /v1/disputes?charge=…`, read when a payment's charge says `disputed`, and the
//! Dispute → domain `Dispute` conversion.

use serde::Deserialize;

use super::{currency, field, money, timestamp, Form, WireError};
use crate::domain::{Dispute, DisputeKind, DisputeStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StripeDisputeStatus {
    WarningNeedsResponse,
    WarningUnderReview,
    WarningClosed,
    NeedsResponse,
    UnderReview,
    Won,
    Lost,
    /// A status newer than this connector: refused at conversion rather than guessed.
    #[serde(other)]
    Unknown,
}

/// One movement of the seller's balance because of the dispute: the withdrawal (negative) and,
/// once won, the reinstatement (positive). Only the sign is used: these are in the account's
/// settlement currency, which may not be the charge's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BalanceMovement {
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EvidenceDetails {
    #[serde(default)]
    pub due_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StripeDispute {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: StripeDisputeStatus,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub balance_transactions: Vec<BalanceMovement>,
    #[serde(default)]
    pub evidence_details: Option<EvidenceDetails>,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DisputeList {
    pub data: Vec<StripeDispute>,
}

impl StripeDispute {
    pub fn into_dispute(self) -> Result<Dispute, WireError> {
        use DisputeKind::{Chargeback, Inquiry};
        use StripeDisputeStatus as S;
        let (kind, status) = match self.status {
            S::WarningNeedsResponse => (Inquiry, DisputeStatus::NeedsResponse),
            S::WarningUnderReview => (Inquiry, DisputeStatus::UnderReview),
            S::WarningClosed => (Inquiry, DisputeStatus::Closed),
            S::NeedsResponse => (Chargeback, DisputeStatus::NeedsResponse),
            S::UnderReview => (Chargeback, DisputeStatus::UnderReview),
            S::Won => (Chargeback, DisputeStatus::Won),
            S::Lost => (Chargeback, DisputeStatus::Lost),
            S::Unknown => return Err(WireError("unknown dispute status".into())),
        };
        let amount = money(self.amount, currency(&self.currency)?)?.amount();
        // "Zero, one, or two balance transactions that show funds withdrawn and reinstated".
        let withdrawals = self.balance_transactions.iter().filter(|t| t.amount < 0);
        let reinstatements = self.balance_transactions.iter().filter(|t| t.amount > 0);
        let held = withdrawals.count() > reinstatements.count();
        // Stripe gives 0 when no response is allowed.
        let respond_by = match self.evidence_details.and_then(|d| d.due_by) {
            Some(due) if status.is_open() && due > 0 => Some(timestamp(due)?),
            _ => None,
        };
        Ok(Dispute {
            id: self.id,
            kind,
            status,
            amount,
            withdrawn: if held {
                amount
            } else {
                rust_decimal::Decimal::ZERO
            },
            reason: self.reason.unwrap_or_else(|| "general".into()),
            respond_by,
            opened_at: timestamp(self.created)?,
            movements: u32::try_from(self.balance_transactions.len()).unwrap_or(u32::MAX),
        })
    }
}

/// The dispute of one charge (Stripe disputes a charge at most once).
pub fn disputes_query(charge: &str) -> Form {
    vec![field("charge", charge), field("limit", "1")]
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn parse(json: &str) -> Dispute {
        serde_json::from_str::<StripeDispute>(json)
            .unwrap()
            .into_dispute()
            .unwrap()
    }

    #[test]
    fn an_open_chargeback_holds_its_amount_until_reinstated() {
        let open = parse(
            r#"{"id":"dp_1","amount":4990,"currency":"eur","status":"needs_response",
               "reason":"fraudulent","created":1800000000,
               "evidence_details":{"due_by":1800864000,"has_evidence":false},
               "balance_transactions":[{"amount":-4990,"fee":1500}]}"#,
        );
        assert_eq!(open.kind, DisputeKind::Chargeback);
        assert_eq!(open.status, DisputeStatus::NeedsResponse);
        assert_eq!(open.withdrawn, Decimal::new(4990, 2));
        assert_eq!(open.respond_by.unwrap().unix_timestamp(), 1_800_864_000);
        let won = parse(
            r#"{"id":"dp_1","amount":4990,"currency":"eur","status":"won","reason":"fraudulent",
               "created":1800000000,"evidence_details":{"due_by":1800864000},
               "balance_transactions":[{"amount":-4990},{"amount":4990}]}"#,
        );
        assert_eq!(won.withdrawn, Decimal::ZERO);
        assert_eq!(won.respond_by, None);
    }

    #[test]
    fn an_inquiry_withdraws_nothing_and_unknown_statuses_are_refused() {
        let inquiry = parse(
            r#"{"id":"dp_2","amount":500,"currency":"isk","status":"warning_needs_response",
               "reason":"general","created":1800000000,"balance_transactions":[]}"#,
        );
        assert_eq!(inquiry.kind, DisputeKind::Inquiry);
        // ISK is two-decimal on Stripe's wire.
        assert_eq!(inquiry.amount, Decimal::new(5, 0));
        assert_eq!(inquiry.withdrawn, Decimal::ZERO);
        let newer: StripeDispute = serde_json::from_str(
            r#"{"id":"dp_3","amount":1,"currency":"eur","status":"prevented","created":1}"#,
        )
        .unwrap();
        assert!(newer.into_dispute().is_err());
    }
}
