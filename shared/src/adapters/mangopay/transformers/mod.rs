//! MangoPay's wire types (PascalCase JSON, amounts in minor units) and their mapping into the
//! port's neutral types. Requests serialise only what MangoPay takes; responses read leniently
//! (unknown fields ignored, absent ones defaulted) so a new MangoPay field never breaks us.

mod amounts;
mod cards;
mod disputes;
mod mandates;
mod payments;
mod tag;

pub use amounts::*;
pub use cards::*;
pub use disputes::*;
pub use mandates::*;
pub use payments::*;
pub use tag::*;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: i64,
}

/// `{"Message", "Type", "errors": {field: message}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub errors: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

impl ErrorBody {
    /// `400 param_error: … (DebitedFunds.Amount: …)`, for logs and errors (no card data ever
    /// comes back in MangoPay's errors).
    pub fn describe(&self, status: u16) -> String {
        let fields: Vec<String> = self
            .errors
            .iter()
            .flatten()
            .map(|(field, message)| match message.as_str() {
                Some(text) => format!("{field}: {text}"),
                None => field.clone(),
            })
            .collect();
        let mut text = format!("{status} {}: {}", self.kind, self.message);
        if !fields.is_empty() {
            text.push_str(&format!(" ({})", fields.join("; ")));
        }
        text
    }
}

/// `GET /responses/{IdempotencyKey}`: the first answer given under a key.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StoredResponse {
    pub status_code: String,
    #[serde(default)]
    pub resource: serde_json::Value,
}

/// `{"Currency": "EUR", "Amount": 1250}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Funds {
    pub currency: CurrencyCode,
    pub amount: i64,
}

/// A three-letter code, as MangoPay sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode(pub crate::domain::Currency);

impl TryFrom<String> for CurrencyCode {
    type Error = String;
    fn try_from(code: String) -> Result<Self, String> {
        crate::domain::Currency::from_code(&code)
            .map(CurrencyCode)
            .map_err(|e| e.to_string())
    }
}

impl From<CurrencyCode> for String {
    fn from(code: CurrencyCode) -> String {
        code.0.code().to_owned()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewNaturalUser<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub user_category: &'static str,
    pub terms_and_conditions_accepted: bool,
    pub tag: &'a str,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// MangoPay wants a first and a last name: the last word is the last name.
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.rsplit_once(' ') {
        Some((first, last)) if !first.trim().is_empty() => {
            (first.trim().to_owned(), last.to_owned())
        }
        _ if name.is_empty() => ("-".into(), "-".into()),
        _ => (name.to_owned(), name.to_owned()),
    }
}

#[cfg(test)]
mod tests;
