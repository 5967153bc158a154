//! A SEPA Core mandate the customer accepted on the PSP's page. The IBAN never reaches us: we
//! keep the PSP's ids, the IBAN's last four digits and bank country, the mandate reference
//! (the UMR the bank statement shows), when it was accepted and its status.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MandateStatus {
    /// Set up started (the customer is on the PSP's page) or not yet confirmed by the PSP.
    Pending,
    /// Debits may be taken on it.
    Active,
    /// Revoked by the customer, refused by the bank, or abandoned before acceptance.
    Inactive,
}

impl MandateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MandateStatus::Pending => "pending",
            MandateStatus::Active => "active",
            MandateStatus::Inactive => "inactive",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    /// Ours: `mdt_<32 hex>`.
    pub id: String,
    pub customer_id: String,
    /// The connector that holds it (`stripe`).
    pub provider: String,
    /// The PSP's set-up page (a Stripe Checkout Session in setup mode).
    pub setup_session: String,
    /// The PSP's mandate id, once accepted (`mandate_…`).
    pub psp_mandate: Option<String>,
    /// The PSP's payment method the debits are taken from (`pm_…`).
    pub payment_method: Option<String>,
    /// The mandate reference (UMR), as the PSP gives it.
    pub reference: Option<String>,
    pub iban_last4: Option<String>,
    /// ISO 3166-1 alpha-2 of the bank.
    pub bank_country: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub accepted_at: Option<OffsetDateTime>,
    pub status: MandateStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Mandate {
    pub fn new_id() -> String {
        format!("mdt_{}", uuid::Uuid::new_v4().simple())
    }

    /// A debit may be taken on it now.
    pub fn is_usable(&self) -> bool {
        self.status == MandateStatus::Active
            && self.psp_mandate.is_some()
            && self.payment_method.is_some()
    }
}
