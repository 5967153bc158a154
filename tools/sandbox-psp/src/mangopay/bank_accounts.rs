//! IBAN bank accounts (`/users/{UserId}/bankaccounts/iban`), what a SEPA mandate debits. The
//! IBAN is checked (format, country length, mod-97) with the shared `crate::iban` and echoed
//! back as MangoPay does; it is never logged.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{required, Api, Body};
use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::state::new_id;
use crate::iban;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewIbanAccount {
    owner_name: Option<String>,
    owner_address: Option<Value>,
    #[serde(rename = "IBAN")]
    iban: Option<String>,
    #[serde(rename = "BIC")]
    bic: Option<String>,
    tag: Option<String>,
}

/// An address field as a string, or null when absent or blank.
fn text(address: &Value, field: &str) -> Option<String> {
    address[field]
        .as_str()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `OwnerAddress` with the fields MangoPay requires for an IBAN account, in its shape.
fn owner_address(value: Option<&Value>) -> Result<Value, ApiError> {
    let Some(address) = value.filter(|v| v.is_object()) else {
        return Err(ApiError::param(
            "OwnerAddress",
            "The OwnerAddress field is required.",
        ));
    };
    for field in ["AddressLine1", "City", "PostalCode", "Country"] {
        if text(address, field).is_none() {
            let name = format!("OwnerAddress.{field}");
            return Err(ApiError::param(
                &name,
                &format!("The {name} field is required."),
            ));
        }
    }
    let country = text(address, "Country").unwrap_or_default();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::param(
            "OwnerAddress.Country",
            "The Country is a two-letter ISO 3166-1 code.",
        ));
    }
    Ok(json!({
        "AddressLine1": text(address, "AddressLine1"),
        "AddressLine2": text(address, "AddressLine2"),
        "City": text(address, "City"),
        "Region": text(address, "Region"),
        "PostalCode": text(address, "PostalCode"),
        "Country": country,
    }))
}

/// A BIC is 8 or 11 letters and digits (ISO 9362), its country part letters.
fn bic(value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(bic) = value.map(|b| b.trim().to_ascii_uppercase()) else {
        return Ok(None);
    };
    let ok = matches!(bic.len(), 8 | 11)
        && bic.bytes().all(|b| b.is_ascii_alphanumeric())
        && bic[..6].bytes().all(|b| b.is_ascii_alphabetic());
    if ok {
        Ok(Some(bic))
    } else {
        Err(ApiError::param("BIC", "The BIC is not a valid BIC."))
    }
}

/// `POST /users/{UserId}/bankaccounts/iban`.
pub async fn create_iban(
    State(psp): State<MangopaySandbox>,
    Path((_, user_id)): Path<(String, String)>,
    Body(body): Body<NewIbanAccount>,
) -> Api {
    let owner = required(&body.owner_name, "OwnerName")?.to_owned();
    let address = owner_address(body.owner_address.as_ref())?;
    let iban = body.iban.as_deref().and_then(iban::parse).ok_or_else(|| {
        ApiError::param(
            "IBAN",
            "The IBAN field is required and must be a valid IBAN.",
        )
    })?;
    let bic = bic(body.bic)?;
    let mut st = psp.lock();
    if !st.users.contains_key(&user_id) {
        return Err(ApiError::not_found("User", &user_id));
    }
    let id = new_id("bankacc");
    let account = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": st.now(),
        "UserId": user_id,
        "Type": "IBAN",
        "OwnerName": owner,
        "OwnerAddress": address,
        "Active": true,
        "IBAN": iban,
        "BIC": bic,
    });
    st.bank_accounts.insert(id, account.clone());
    Ok(Json(account))
}

/// `GET /users/{UserId}/bankaccounts/{BankAccountId}`: only under its own user.
pub async fn get(
    State(psp): State<MangopaySandbox>,
    Path((_, user_id, id)): Path<(String, String, String)>,
) -> Api {
    psp.lock()
        .bank_accounts
        .get(&id)
        .filter(|a| a["UserId"] == user_id.as_str())
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("BankAccount", &id))
}
