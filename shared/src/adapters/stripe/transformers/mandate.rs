//! SEPA mandates: a Checkout Session in setup mode (`mode=setup`,
//! `payment_method_types[0]=sepa_debit`), its SetupIntent, the Mandate and the sepa_debit
//! PaymentMethod it is on, and the month's debit (`POST /v1/payment_intents` with
//! `payment_method_types[0]=sepa_debit`, `mandate`, `confirm`, `off_session`).

use serde::Deserialize;

use super::payment_intent::DIRECT_DEBIT_KEY;
use super::{field, timestamp, wire_amount, Expandable, Form, HasId, WireError};
use crate::domain::sepa::MandateStatus;
use crate::ports::{MandateDebit, MandateSetupRequest, ProviderError, ProviderMandate};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub payment_method: Option<Expandable<super::ObjectId>>,
    #[serde(default)]
    pub mandate: Option<Expandable<super::ObjectId>>,
}

impl HasId for SetupIntent {
    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StripeMandate {
    pub id: String,
    pub status: String,
    pub payment_method: Expandable<super::ObjectId>,
    #[serde(default)]
    pub customer_acceptance: Option<CustomerAcceptance>,
    #[serde(default)]
    pub payment_method_details: Option<MandateMethodDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomerAcceptance {
    #[serde(default)]
    pub accepted_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MandateMethodDetails {
    #[serde(default)]
    pub sepa_debit: Option<MandateSepaDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MandateSepaDetails {
    #[serde(default)]
    pub reference: Option<String>,
}

/// `sepa_debit` of a PaymentMethod: what Stripe shows of the IBAN.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SepaDebitDetails {
    #[serde(default)]
    pub last4: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

impl StripeMandate {
    /// With what the PaymentMethod shows of the bank account (last 4, country).
    pub fn into_mandate(
        self,
        sepa: Option<&SepaDebitDetails>,
    ) -> Result<ProviderMandate, WireError> {
        let status = match self.status.as_str() {
            "active" => MandateStatus::Active,
            "pending" => MandateStatus::Pending,
            "inactive" => MandateStatus::Inactive,
            other => return Err(WireError(format!("mandate status {other:?}"))),
        };
        let accepted_at = self
            .customer_acceptance
            .and_then(|a| a.accepted_at)
            .map(timestamp)
            .transpose()?;
        Ok(ProviderMandate {
            payment_method: self.payment_method.id().to_string(),
            id: self.id,
            status,
            reference: self
                .payment_method_details
                .and_then(|d| d.sepa_debit)
                .and_then(|s| s.reference),
            accepted_at,
            iban_last4: sepa.and_then(|s| s.last4.clone()),
            bank_country: sepa.and_then(|s| s.country.clone()),
        })
    }
}

pub fn mandate_setup_form(request: &MandateSetupRequest) -> Form {
    vec![
        field("mode", "setup"),
        field("payment_method_types[0]", "sepa_debit"),
        field("customer", &request.customer),
        field("success_url", &request.success_url),
        field("cancel_url", &request.cancel_url),
        field("metadata[mandate_id]", &request.mandate_id),
        field("metadata[customer_id]", &request.customer_id),
        field(
            "setup_intent_data[metadata][mandate_id]",
            &request.mandate_id,
        ),
        field(
            "setup_intent_data[metadata][customer_id]",
            &request.customer_id,
        ),
    ]
}

pub fn setup_session_query() -> Form {
    vec![field("expand[]", "setup_intent")]
}

pub fn sepa_debit_form(debit: &MandateDebit) -> Result<Form, ProviderError> {
    let (amount, currency) = wire_amount(&debit.amount)?;
    Ok(vec![
        field("amount", amount),
        field("currency", currency),
        field("customer", &debit.customer),
        field("payment_method", &debit.payment_method),
        field("payment_method_types[0]", "sepa_debit"),
        field("mandate", &debit.mandate),
        field("confirm", "true"),
        field("off_session", "true"),
        field("description", &debit.description),
        field(&format!("metadata[{DIRECT_DEBIT_KEY}]"), &debit.debit_id),
        field("expand[]", "latest_charge"),
    ])
}
