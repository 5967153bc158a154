//! Saved cards: `GET /v1/payment_methods?customer=…&type=card`, `POST /v1/payment_methods/{id}`
//! (expiry, holder name), `POST /v1/payment_methods/{id}/detach`.

use serde::Deserialize;

use super::{field, Form};
use crate::ports::{CardUpdate, SavedCard};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentMethodList {
    #[serde(default)]
    pub data: Vec<PaymentMethod>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub card: Option<Card>,
    /// The customer it is attached to (None once detached).
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub billing_details: Option<BillingDetails>,
    /// A bank account under a SEPA mandate: what Stripe shows of the IBAN.
    #[serde(default)]
    pub sepa_debit: Option<super::SepaDebitDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BillingDetails {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Card {
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub last4: Option<String>,
    #[serde(default)]
    pub exp_month: Option<i64>,
    #[serde(default)]
    pub exp_year: Option<i64>,
}

impl PaymentMethod {
    /// None for anything that is not a complete card: it could not be offered to the shopper.
    pub fn into_saved_card(self) -> Option<SavedCard> {
        if self.kind.as_deref().is_some_and(|kind| kind != "card") {
            return None;
        }
        let card = self.card?;
        Some(SavedCard {
            payment_method: self.id,
            brand: card.brand.unwrap_or_else(|| "unknown".into()),
            last4: card.last4?,
            exp_month: card.exp_month.and_then(|m| u8::try_from(m).ok())?,
            exp_year: card.exp_year.and_then(|y| u16::try_from(y).ok())?,
            holder: self.billing_details.and_then(|b| b.name),
        })
    }
}

/// The holder name is only sent when given (an absent one leaves Stripe's as it is).
pub fn card_update_form(update: &CardUpdate) -> Form {
    let mut form = vec![
        field("card[exp_month]", update.exp_month.to_string()),
        field("card[exp_year]", update.exp_year.to_string()),
    ];
    if let Some(holder) = &update.holder {
        form.push(field("billing_details[name]", holder));
    }
    form
}

pub fn payment_methods_query(customer: &str) -> Form {
    vec![field("customer", customer), field("type", "card")]
}
