//! SEPA mandates at the PSP: the customer gives an IBAN and accepts the mandate on the PSP's
//! page (Stripe: the IBAN never reaches us) or gives it on ours and accepts on the PSP's
//! confirmation page (MangoPay: the IBAN passes through, never kept nor logged), and the
//! month's one debit is taken on it off-session.

use std::fmt;

use time::OffsetDateTime;

use crate::domain::sepa::MandateStatus;
use crate::domain::{BillingAddress, Locale, Money};

/// The account to debit, for a PSP that sets a mandate up on a bank account we pass on
/// (`Capabilities::mandate_bank_details`). Only in transit: never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct BankAccountDetails {
    /// Upper case, no spaces, its checksum verified.
    pub iban: String,
    pub holder_name: String,
    pub holder_address: BillingAddress,
}

impl BankAccountDetails {
    pub fn iban_last4(&self) -> &str {
        &self.iban[self.iban.len().saturating_sub(4)..]
    }
}

/// Only what may be logged: the IBAN's country and last four digits.
impl fmt::Debug for BankAccountDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankAccountDetails")
            .field(
                "iban",
                &format!(
                    "{}…{}",
                    &self.iban[..2.min(self.iban.len())],
                    self.iban_last4()
                ),
            )
            .field("holder_name", &"<redacted>")
            .field("holder_address", &"<redacted>")
            .finish()
    }
}

/// Opens the PSP's page where the customer adds a bank account and accepts a SEPA Core mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSetupRequest {
    /// Ours (`mdt_…`), echoed back in the PSP's metadata.
    pub mandate_id: String,
    /// Ours (`cus_…`), echoed back too.
    pub customer_id: String,
    /// The PSP's customer the bank account is attached to.
    pub customer: String,
    pub success_url: String,
    pub cancel_url: String,
    pub idempotency_key: String,
    /// The language of the PSP's pages.
    pub locale: Locale,
    /// Given when the connector needs it (`Capabilities::mandate_bank_details`), else None.
    pub bank_account: Option<BankAccountDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSetupPage {
    /// The PSP's set-up page (a Stripe Checkout Session in setup mode), or the mandate
    /// itself where the PSP has no separate set-up object (MangoPay).
    pub setup_id: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateSetupState {
    Open,
    Complete,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSetupStatus {
    pub setup_id: String,
    pub state: MandateSetupState,
    /// The mandate, once the customer accepted it.
    pub mandate: Option<ProviderMandate>,
}

/// A mandate as the PSP sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMandate {
    /// The PSP's id (`mandate_…`).
    pub id: String,
    /// The payment method debits are taken from (`pm_…`).
    pub payment_method: String,
    pub status: MandateStatus,
    /// The mandate reference (UMR).
    pub reference: Option<String>,
    pub accepted_at: Option<OffsetDateTime>,
    pub iban_last4: Option<String>,
    pub bank_country: Option<String>,
    /// Our customer and mandate ids, where the PSP keeps them on the mandate (MangoPay's
    /// `Tag`), so a notification about it finds ours.
    pub customer_id: Option<String>,
    pub mandate_id: Option<String>,
}

/// The month's one debit, off-session, on the customer's mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateDebit {
    /// Ours: `<customer>#<yyyy-mm>`, echoed back as `ProviderPayment::direct_debit`.
    pub debit_id: String,
    pub customer: String,
    pub payment_method: String,
    pub mandate: String,
    pub amount: Money,
    /// What the customer's bank statement shows.
    pub description: String,
    pub idempotency_key: String,
}
