//! SEPA on MangoPay: an IBAN bank account on the user, a web mandate on it (confirmed by the
//! user on MangoPay's page), and the month's direct-debit pay-in; how they read as the port's
//! mandate and payment.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{failure, from_wire, Funds, OurTag};
use crate::domain::sepa::MandateStatus;
use crate::domain::{BillingAddress, Locale};
use crate::ports::PaymentFailure;
use crate::ports::{
    BankAccountDetails, MandateSetupState, ProviderMandate, ProviderPayment, ProviderPaymentStatus,
};

/// What our payment id is for a direct-debit pay-in: the pay-in's id behind this prefix, so a
/// later `fetch_payment` knows to read a pay-in, not a pre-authorisation.
pub const DIRECT_DEBIT_PREFIX: &str = "payin:";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    pub address_line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
}

impl From<&BillingAddress> for Address {
    fn from(a: &BillingAddress) -> Self {
        Self {
            address_line1: a.line1.clone(),
            address_line2: a.line2.clone().filter(|l| !l.trim().is_empty()),
            city: a.city.clone(),
            postal_code: a.postcode.clone(),
            country: a.country.clone(),
        }
    }
}

/// `POST /users/{UserId}/bankaccounts/iban`. Holds the IBAN: never logged (no Debug).
#[derive(Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewIbanAccount {
    pub owner_name: String,
    pub owner_address: Address,
    #[serde(rename = "IBAN")]
    pub iban: String,
    pub tag: String,
}

impl NewIbanAccount {
    pub fn new(details: &BankAccountDetails, mandate_id: &str) -> Self {
        Self {
            owner_name: details.holder_name.clone(),
            owner_address: Address::from(&details.holder_address),
            iban: details.iban.clone(),
            tag: format!("encaisse;mandate={mandate_id}"),
        }
    }
}

/// A bank account as MangoPay answers it; only what we keep is read (never the IBAN's
/// middle: the whole IBAN is read once, cut to its country and last four, and dropped).
#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BankAccount {
    pub id: String,
    #[serde(default, rename = "IBAN")]
    iban: Option<String>,
}

impl BankAccount {
    /// Whether this is the account for `iban` (a replayed answer to the same request).
    pub fn holds(&self, iban: &str) -> bool {
        self.iban
            .as_deref()
            .map(|i| i.replace(' ', "").eq_ignore_ascii_case(iban))
            == Some(true)
    }

    /// The IBAN's last four characters and its country.
    pub fn summary(&self) -> (Option<String>, Option<String>) {
        let iban: String = self
            .iban
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        if iban.len() < 8 {
            return (None, None);
        }
        (
            Some(iban[iban.len() - 4..].to_owned()),
            Some(iban[..2].to_ascii_uppercase()),
        )
    }
}

/// The bank account's idempotency key: the same IBAN given again for the same user within
/// MangoPay's 24 hours reuses its account instead of leaving another one there. A digest, so
/// the IBAN is in no key.
pub fn bank_account_key(user: &str, iban: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{user}|{iban}").as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("bank-account-{hex}")
}

/// `POST /mandates/directdebit/web`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewMandate {
    pub bank_account_id: String,
    pub culture: &'static str,
    #[serde(rename = "ReturnURL")]
    pub return_url: String,
    pub tag: String,
}

/// The language of MangoPay's confirmation page.
pub fn culture(locale: Locale) -> &'static str {
    match locale {
        Locale::Fr => "FR",
        Locale::En => "EN",
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Mandate {
    pub id: String,
    /// `encaisse;mandate=mdt_…;customer=cus_…` (ours).
    #[serde(default)]
    pub tag: Option<String>,
    pub bank_account_id: String,
    pub user_id: String,
    #[serde(default, rename = "RedirectURL")]
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub bank_reference: Option<String>,
    /// CREATED, SUBMITTED, ACTIVE, FAILED or EXPIRED.
    pub status: String,
}

impl Mandate {
    /// CREATED: waiting for the user on MangoPay's page; SUBMITTED ("you can now do
    /// payments") and ACTIVE: usable; FAILED (refused, cancelled, unconfirmed after an hour)
    /// and EXPIRED: never again.
    pub fn status(&self) -> MandateStatus {
        match self.status.as_str() {
            "SUBMITTED" | "ACTIVE" => MandateStatus::Active,
            "FAILED" | "EXPIRED" => MandateStatus::Inactive,
            _ => MandateStatus::Pending,
        }
    }

    pub fn setup_state(&self) -> MandateSetupState {
        match self.status() {
            MandateStatus::Pending => MandateSetupState::Open,
            MandateStatus::Active => MandateSetupState::Complete,
            MandateStatus::Inactive => MandateSetupState::Expired,
        }
    }

    /// The port's mandate: MangoPay debits a mandate, not a payment method, so the mandate's
    /// id stands for both (`revoke_mandate` cancels it).
    pub fn to_provider(&self, account: &BankAccount) -> ProviderMandate {
        let (iban_last4, bank_country) = account.summary();
        ProviderMandate {
            id: self.id.clone(),
            payment_method: self.id.clone(),
            status: self.status(),
            reference: self.bank_reference.clone(),
            // MangoPay does not say when the user confirmed: none rather than a guess.
            accepted_at: None,
            iban_last4,
            bank_country,
            customer_id: self.tag_value("customer"),
            mandate_id: self.tag_value("mandate"),
        }
    }

    fn tag_value(&self, key: &str) -> Option<String> {
        let mut parts = self.tag.as_deref()?.split(';');
        if parts.next() != Some("encaisse") {
            return None;
        }
        parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_owned())
    }
}

/// The mandate's `Tag`: our mandate and customer ids.
pub fn mandate_tag(mandate_id: &str, customer_id: &str) -> String {
    let clean = |v: &str| v.replace([';', '='], "");
    format!(
        "encaisse;mandate={};customer={}",
        clean(mandate_id),
        clean(customer_id)
    )
}

/// `POST /payins/directdebit/direct`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewDirectDebit {
    pub author_id: String,
    pub credited_wallet_id: String,
    pub debited_funds: Funds,
    pub fees: Funds,
    pub mandate_id: String,
    /// At most 10 letters, digits or spaces, after MangoPay's own prefix on the statement.
    pub statement_descriptor: String,
    pub tag: String,
}

/// What the customer's bank statement shows, as MangoPay takes it (at most 10 letters, digits
/// or spaces): `ENC` and the month (`ENC 202611`) from our description's digits.
pub fn statement_descriptor(description: &str) -> String {
    let digits: String = description.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        6 => format!("ENC {digits}"),
        _ => "ENCAISSE".to_owned(),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DirectDebitPayIn {
    pub id: String,
    #[serde(default)]
    pub tag: Option<String>,
    pub creation_date: i64,
    pub author_id: String,
    pub debited_funds: Funds,
    /// CREATED, SUCCEEDED or FAILED.
    pub status: String,
    #[serde(default)]
    pub result_code: Option<String>,
    #[serde(default)]
    pub result_message: Option<String>,
    #[serde(default)]
    pub payment_type: Option<String>,
    #[serde(default)]
    pub mandate_id: Option<String>,
    /// Set on a card capture (a pre-authorised pay-in) instead.
    #[serde(default)]
    pub preauthorization_id: Option<String>,
}

impl DirectDebitPayIn {
    pub fn is_direct_debit(&self) -> bool {
        self.payment_type.as_deref() == Some("DIRECT_DEBIT")
    }

    /// The port's payment: processing until the bank answers, then succeeded or failed.
    pub fn to_provider(&self) -> Result<ProviderPayment, String> {
        let amount = from_wire(&self.debited_funds)?;
        let zero = crate::domain::Money::zero(amount.currency());
        let status = match self.status.as_str() {
            "SUCCEEDED" => ProviderPaymentStatus::Succeeded,
            "FAILED" => ProviderPaymentStatus::Failed,
            _ => ProviderPaymentStatus::Processing,
        };
        let ours = OurTag::parse(self.tag.as_deref());
        Ok(ProviderPayment {
            id: format!("{DIRECT_DEBIT_PREFIX}{}", self.id),
            status,
            amount,
            amount_capturable: zero,
            amount_received: match status {
                ProviderPaymentStatus::Succeeded => amount,
                _ => zero,
            },
            amount_refunded: zero,
            customer: Some(self.author_id.clone()),
            payment_method: self.mandate_id.clone(),
            next_action_url: None,
            failure: (status == ProviderPaymentStatus::Failed).then(|| {
                debit_failure(self.result_code.as_deref(), self.result_message.as_deref())
            }),
            order_reference: None,
            payment_id: None,
            created_at: OffsetDateTime::from_unix_timestamp(self.creation_date)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            multicapture: None,
            release_reason: None,
            dispute: None,
            risk_level: None,
            direct_debit: ours.direct_debit,
        })
    }
}

/// A refused or returned debit's result code read as the port's failure, in the same words as
/// Stripe's SEPA codes where MangoPay's mean the same (docs.mangopay.com/errors/codes): 001830
/// insufficient funds; 001833 (mandate not SUBMITTED or ACTIVE) and 001024 (author not the
/// mandate's owner) an unusable mandate; any other code as MangoPay's own.
pub fn debit_failure(code: Option<&str>, message: Option<&str>) -> PaymentFailure {
    let neutral = match code {
        Some("001830") => Some("insufficient_funds"),
        Some("001833" | "001024") => Some("payment_intent_mandate_invalid"),
        _ => None,
    };
    let mut read = failure(code, message);
    if let Some(neutral) = neutral {
        read.code = neutral.to_owned();
        read.decline_code = Some(neutral.to_owned());
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mandate_statuses_read_as_ours() {
        let read = |status: &str| {
            let m: Mandate = serde_json::from_value(serde_json::json!({
                "Id": "mdt_m_1", "CreationDate": 1, "BankAccountId": "bankacc_m_1",
                "UserId": "user_m_1", "Status": status, "BankReference": "MANGOPAY-8TA5P7Z67",
                "Tag": mandate_tag("mdt_1", "cus_1"),
            }))
            .unwrap();
            let account: BankAccount =
                serde_json::from_value(serde_json::json!({"Id": "bankacc_m_1"})).unwrap();
            let read = m.to_provider(&account);
            assert_eq!(
                (read.mandate_id.as_deref(), read.customer_id.as_deref()),
                (Some("mdt_1"), Some("cus_1"))
            );
            (m.status(), m.setup_state())
        };
        assert_eq!(
            read("CREATED"),
            (MandateStatus::Pending, MandateSetupState::Open)
        );
        for usable in ["SUBMITTED", "ACTIVE"] {
            assert_eq!(
                read(usable),
                (MandateStatus::Active, MandateSetupState::Complete)
            );
        }
        for over in ["FAILED", "EXPIRED"] {
            assert_eq!(
                read(over),
                (MandateStatus::Inactive, MandateSetupState::Expired)
            );
        }
    }

    #[test]
    fn only_the_ibans_country_and_last_four_are_kept() {
        let account: BankAccount = serde_json::from_value(serde_json::json!({
            "Id": "bankacc_m_1", "IBAN": "FR7630004000031234567890143", "Type": "IBAN"
        }))
        .unwrap();
        assert_eq!(account.summary(), (Some("0143".into()), Some("FR".into())));
    }

    #[test]
    fn the_statement_shows_the_month_in_ten_characters() {
        assert_eq!(statement_descriptor("Prélèvement 2026-11"), "ENC 202611");
        assert_eq!(statement_descriptor("Prélèvement 2026-11").len(), 10);
        assert_eq!(statement_descriptor("something"), "ENCAISSE");
    }

    #[test]
    fn a_direct_debit_reads_as_a_months_payment() {
        let payin: DirectDebitPayIn = serde_json::from_value(serde_json::json!({
            "Id": "payin_m_1", "CreationDate": 1, "AuthorId": "user_m_1",
            "DebitedFunds": {"Currency": "EUR", "Amount": 8196}, "Status": "FAILED",
            "ResultCode": "001831", "ResultMessage": "Contact the user", "PaymentType": "DIRECT_DEBIT",
            "MandateId": "mdt_m_1", "Tag": "encaisse;direct_debit=cus_1#2026-11"
        }))
        .unwrap();
        let read = payin.to_provider().unwrap();
        assert_eq!(read.id, "payin:payin_m_1");
        assert_eq!(read.status, ProviderPaymentStatus::Failed);
        assert_eq!(read.direct_debit.as_deref(), Some("cus_1#2026-11"));
        assert_eq!(
            read.failure.unwrap().decline_code.as_deref(),
            Some("mangopay_001831")
        );
        let short = debit_failure(Some("001830"), None);
        assert_eq!(
            (short.code.as_str(), short.decline_code.as_deref()),
            ("insufficient_funds", Some("insufficient_funds"))
        );
    }
}
