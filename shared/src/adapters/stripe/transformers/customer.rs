//! `POST /v1/customers`.

use serde::Deserialize;

use super::{field, Form};

/// Only the id is used: the email and name stay in our store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Customer {
    pub id: String,
}

pub fn customer_form(email: &str, name: &str) -> Form {
    vec![field("email", email), field("name", name)]
}
