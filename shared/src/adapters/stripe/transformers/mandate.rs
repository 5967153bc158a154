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
            // A Stripe Mandate has no metadata: its set-up session holds ours.
            customer_id: None,
            mandate_id: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Money};
    use rust_decimal::Decimal;

    #[test]
    fn a_mandate_reads_its_reference_acceptance_and_bank_account() {
        let mandate: StripeMandate = serde_json::from_value(serde_json::json!({
            "id": "mandate_1", "object": "mandate", "status": "active", "type": "multi_use",
            "payment_method": "pm_1", "multi_use": {},
            "customer_acceptance": {"type": "online", "accepted_at": 1764547200,
                                    "online": {"ip_address": "127.0.0.1", "user_agent": "x"}},
            "payment_method_details": {"type": "sepa_debit",
                                       "sepa_debit": {"reference": "K3JS9QHZ1XW2V8TA", "url": "https://x"}}
        }))
        .unwrap();
        let sepa = SepaDebitDetails {
            last4: Some("3000".into()),
            country: Some("DE".into()),
        };
        let read = mandate.into_mandate(Some(&sepa)).unwrap();
        assert_eq!(read.status, MandateStatus::Active);
        assert_eq!(read.payment_method, "pm_1");
        assert_eq!(read.reference.as_deref(), Some("K3JS9QHZ1XW2V8TA"));
        assert_eq!(read.accepted_at.unwrap().unix_timestamp(), 1764547200);
        assert_eq!(
            (read.iban_last4.as_deref(), read.bank_country.as_deref()),
            (Some("3000"), Some("DE"))
        );
        let unknown: StripeMandate = serde_json::from_value(serde_json::json!({
            "id": "mandate_2", "status": "revoked_somehow", "payment_method": "pm_2"
        }))
        .unwrap();
        assert!(
            unknown.into_mandate(None).is_err(),
            "an unknown status is not guessed"
        );
    }

    #[test]
    fn the_months_debit_is_an_off_session_sepa_payment_intent_on_the_mandate() {
        let debit = MandateDebit {
            debit_id: "cus_1#2026-11".into(),
            customer: "cus_psp".into(),
            payment_method: "pm_1".into(),
            mandate: "mandate_1".into(),
            amount: Money::new(Decimal::new(8196, 2), Currency::EUR).unwrap(),
            description: "Prélèvement 2026-11".into(),
            idempotency_key: "dd-cus_1-2026-11".into(),
        };
        let form = sepa_debit_form(&debit).unwrap();
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("amount"), Some("8196"));
        assert_eq!(get("currency"), Some("eur"));
        assert_eq!(get("payment_method_types[0]"), Some("sepa_debit"));
        assert_eq!(get("mandate"), Some("mandate_1"));
        assert_eq!(
            (get("confirm"), get("off_session")),
            (Some("true"), Some("true"))
        );
        assert_eq!(get("metadata[direct_debit]"), Some("cus_1#2026-11"));
    }
}
