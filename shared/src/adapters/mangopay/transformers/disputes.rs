//! MangoPay's disputes: made when the user's bank reverses a pay-in (a card chargeback, or a
//! SEPA debit returned after it succeeded: `LATE_FAILURE_*`, `AUTHORISATION_DISPUTED`), the
//! money withdrawn by a repudiation; read as the port's dispute on the pay-in's payment.

use rust_decimal::Decimal;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{from_wire, Funds};
use crate::domain::{Dispute, DisputeKind, DisputeStatus};

/// Our id for a dispute named by a hook: `fetch_payment` reads the dispute, then its pay-in.
pub const DISPUTE_PREFIX: &str = "dispute:";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisputeReason {
    #[serde(default)]
    pub dispute_reason_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MangopayDispute {
    pub id: String,
    pub creation_date: i64,
    pub initial_transaction_id: String,
    /// CONTESTABLE, NOT_CONTESTABLE or RETRIEVAL.
    pub dispute_type: String,
    #[serde(default)]
    pub contest_deadline_date: Option<i64>,
    pub disputed_funds: Funds,
    /// CREATED, PENDING_CLIENT_ACTION, SUBMITTED, PENDING_BANK_ACTION,
    /// REOPENED_PENDING_CLIENT_ACTION or CLOSED.
    pub status: String,
    #[serde(default)]
    pub dispute_reason: Option<DisputeReason>,
    /// WON or LOST once closed ("" before).
    #[serde(default)]
    pub result_code: Option<String>,
    /// The withdrawal, for a chargeback (none for a retrieval request).
    #[serde(default)]
    pub repudiation_id: Option<String>,
}

impl MangopayDispute {
    /// The port's dispute: a retrieval request is an inquiry (nothing withdrawn), the others
    /// chargebacks (withdrawn by the repudiation until won). A non-contestable dispute is
    /// closed at once, lost.
    pub fn to_dispute(&self) -> Result<Dispute, String> {
        let kind = match self.dispute_type.as_str() {
            "RETRIEVAL" => DisputeKind::Inquiry,
            _ => DisputeKind::Chargeback,
        };
        let won = self.result_code.as_deref() == Some("WON");
        let status = match self.status.as_str() {
            "SUBMITTED" | "PENDING_BANK_ACTION" => DisputeStatus::UnderReview,
            "CLOSED" => match (kind, won) {
                (DisputeKind::Inquiry, _) => DisputeStatus::Closed,
                (DisputeKind::Chargeback, true) => DisputeStatus::Won,
                (DisputeKind::Chargeback, false) => DisputeStatus::Lost,
            },
            _ => DisputeStatus::NeedsResponse,
        };
        let amount = from_wire(&self.disputed_funds)?.amount();
        let withdrawn = kind == DisputeKind::Chargeback && self.repudiation_id.is_some();
        let held = withdrawn && status != DisputeStatus::Won;
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).map_err(|e| e.to_string());
        Ok(Dispute {
            id: self.id.clone(),
            kind,
            status,
            amount,
            withdrawn: if held { amount } else { Decimal::ZERO },
            reason: reason(
                self.dispute_reason
                    .as_ref()
                    .and_then(|r| r.dispute_reason_type.as_deref())
                    .unwrap_or("UNKNOWN"),
            ),
            respond_by: match (status.is_open(), self.contest_deadline_date) {
                (true, Some(due)) if due > 0 => Some(at(due)?),
                _ => None,
            },
            // The repudiation, then the money given back when won.
            movements: u32::from(withdrawn) + u32::from(withdrawn && won),
            opened_at: at(self.creation_date)?,
        })
    }
}

/// MangoPay's `DisputeReasonType` in the words the rest of Encaisse uses (Stripe's dispute
/// reasons and SEPA return codes), else MangoPay's own in lower case.
fn reason(mangopay: &str) -> String {
    let neutral = match mangopay {
        "FRAUD" => "fraudulent",
        "TRANSACTION_NOT_RECOGNIZED" => "unrecognized",
        "PRODUCT_NOT_PROVIDED" => "product_not_received",
        "PRODUCT_UNACCEPTABLE" => "product_unacceptable",
        "DUPLICATE" => "duplicate",
        "REFUND_NOT_PROCESSED" => "credit_not_processed",
        "CANCELED_REOCCURING_TRANSACTION" => "subscription_canceled",
        "AUTHORISATION_DISPUTED" => "debit_not_authorized",
        "LATE_FAILURE_INSUFFICIENT_FUNDS" => "insufficient_funds",
        "LATE_FAILURE_BANKACCOUNT_CLOSED" => "account_closed",
        other => return other.to_ascii_lowercase(),
    };
    neutral.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: &str, status: &str, result: &str, repudiation: Option<&str>) -> Dispute {
        let dispute: MangopayDispute = serde_json::from_value(serde_json::json!({
            "Id": "dispute_m_1", "CreationDate": 1_700_000_000, "InitialTransactionId": "payin_m_1",
            "InitialTransactionType": "PAYIN", "DisputeType": kind,
            "ContestDeadlineDate": 1_700_604_800,
            "DisputedFunds": {"Currency": "EUR", "Amount": 8196},
            "Status": status, "ResultCode": result, "RepudiationId": repudiation,
            "DisputeReason": {"DisputeReasonType": "LATE_FAILURE_INSUFFICIENT_FUNDS",
                              "DisputeReasonMessage": "free text, never kept"}
        }))
        .unwrap();
        dispute.to_dispute().unwrap()
    }

    #[test]
    fn a_chargeback_is_held_until_won() {
        let open = read("CONTESTABLE", "PENDING_CLIENT_ACTION", "", Some("rep_1"));
        assert_eq!(
            (open.kind, open.status, open.movements),
            (DisputeKind::Chargeback, DisputeStatus::NeedsResponse, 1)
        );
        assert_eq!(open.withdrawn, Decimal::new(8196, 2));
        assert!(open.respond_by.is_some());
        assert_eq!(open.reason, "insufficient_funds");
        let submitted = read("CONTESTABLE", "SUBMITTED", "", Some("rep_1"));
        assert_eq!(submitted.status, DisputeStatus::UnderReview);
        let won = read("CONTESTABLE", "CLOSED", "WON", Some("rep_1"));
        assert_eq!(
            (won.status, won.withdrawn, won.movements, won.respond_by),
            (DisputeStatus::Won, Decimal::ZERO, 2, None)
        );
        let lost = read("NOT_CONTESTABLE", "CLOSED", "LOST", Some("rep_1"));
        assert_eq!(
            (lost.status, lost.withdrawn),
            (DisputeStatus::Lost, Decimal::new(8196, 2))
        );
    }

    #[test]
    fn a_retrieval_request_is_an_inquiry_that_withdraws_nothing() {
        let open = read("RETRIEVAL", "PENDING_CLIENT_ACTION", "", None);
        assert_eq!(
            (open.kind, open.status, open.withdrawn, open.movements),
            (
                DisputeKind::Inquiry,
                DisputeStatus::NeedsResponse,
                Decimal::ZERO,
                0
            )
        );
        let closed = read("RETRIEVAL", "CLOSED", "WON", None);
        assert_eq!(closed.status, DisputeStatus::Closed);
    }
}
