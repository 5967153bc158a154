//! A customer, keyed by their email: the billing details given at the first order (reused for
//! the next ones) and their customer id at the PSP (where saved cards live).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Locale;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Billing {
    pub company: Option<String>,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub address: BillingAddress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub id: String,
    pub email: String,
    pub locale: Locale,
    pub billing: Option<Billing>,
    /// PSP name → the customer's id there (`stripe` → `cus_…`).
    #[serde(default)]
    pub provider_customers: std::collections::BTreeMap<String, String>,
}

/// Customers are keyed by a digest of their normalised email, not the email itself.
pub fn customer_id(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("cus_{hex}")
}
