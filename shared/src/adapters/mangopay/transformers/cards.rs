//! Card registrations (our card form) and cards.

use serde::{Deserialize, Serialize};

use super::CurrencyCode;
use crate::ports::{CardFieldNames, CardForm, SavedCard};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewCardRegistration {
    pub user_id: String,
    pub currency: CurrencyCode,
    pub card_type: &'static str,
    pub tag: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CardRegistration {
    pub id: String,
    #[serde(default)]
    pub tag: Option<String>,
    pub user_id: String,
    #[serde(default)]
    pub access_key: Option<String>,
    #[serde(default)]
    pub preregistration_data: Option<String>,
    #[serde(default, rename = "CardRegistrationURL")]
    pub card_registration_url: Option<String>,
    #[serde(default)]
    pub card_id: Option<String>,
    #[serde(default)]
    pub result_code: Option<String>,
    #[serde(default)]
    pub result_message: Option<String>,
    /// CREATED, VALIDATED or ERROR.
    pub status: String,
}

impl CardRegistration {
    /// The form the browser posts to MangoPay's tokenisation server (the names MangoPay's
    /// card-registration kit posts).
    pub fn form(&self) -> Option<CardForm> {
        Some(CardForm {
            form_id: self.id.clone(),
            post_url: self.card_registration_url.clone()?,
            fields: vec![
                ("data".into(), self.preregistration_data.clone()?),
                ("accessKeyRef".into(), self.access_key.clone()?),
            ],
            card_fields: CardFieldNames {
                number: "cardNumber".into(),
                expiry: "cardExpirationDate".into(),
                security_code: "cardCvx".into(),
            },
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistrationUpdate<'a> {
    pub registration_data: &'a str,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Card {
    pub id: String,
    /// `MMYY`.
    #[serde(default)]
    pub expiration_date: String,
    /// `497010XXXXXX4406`.
    #[serde(default)]
    pub alias: String,
    #[serde(default)]
    pub card_provider: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub card_holder_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CardDeactivation {
    pub active: bool,
}

impl Card {
    /// The port's view of an active card; None for one MangoPay describes oddly.
    pub fn saved(&self) -> Option<SavedCard> {
        let digits: String = self
            .alias
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let valid_last4 = digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit());
        let expiry = self.expiration_date.as_bytes();
        if !valid_last4 || expiry.len() != 4 || !expiry.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let exp_month: u8 = self.expiration_date[..2].parse().ok()?;
        let exp_year: u16 = 2000 + self.expiration_date[2..].parse::<u16>().ok()?;
        Some(SavedCard {
            payment_method: self.id.clone(),
            brand: self
                .card_provider
                .as_deref()
                .unwrap_or("card")
                .to_ascii_lowercase(),
            last4: digits,
            exp_month,
            exp_year,
            holder: self.card_holder_name.clone(),
        })
        .filter(|c| (1..=12).contains(&c.exp_month))
    }
}
