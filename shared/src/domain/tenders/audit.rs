//! The audit trail of the seller's changes to vouchers and balances: who, when, what, and the
//! item before and after.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// What changed: `voucher vch_…`, `balance cus_…/EUR`.
    pub subject: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The seller's principal (IAM ARN, or `admin-key` in the devserver).
    pub by: String,
    /// `voucher_issued`, `voucher_voided`, `balance_changed`, `on_account_payment_recorded`.
    pub action: String,
    /// The item as it was (none when created).
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
}

impl AuditEntry {
    pub fn voucher_subject(id: &str) -> String {
        format!("voucher {id}")
    }

    pub fn balance_subject(customer_id: &str, currency: crate::domain::Currency) -> String {
        format!("balance {customer_id}/{}", currency.code())
    }
}
