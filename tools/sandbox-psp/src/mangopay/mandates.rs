//! SEPA direct-debit mandates (`/mandates/directdebit/web`): `CREATED` until the user confirms
//! on the confirmation page (`SUBMITTED`, scheme SEPA) or cancels it, `ACTIVE` after its first
//! successful debit, `FAILED` when cancelled by the user (001805) or the platform (001806, `PUT
//! /mandates/{id}/cancel`), or left unconfirmed for an hour (001807, applied when next read).
//! Codes and messages: docs.mangopay.com/errors/codes/0018xx.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{body_str, required, Api, Body};
use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::state::{new_id, State as Psp};

/// The languages MangoPay's confirmation page speaks (the mandate object's `Culture`).
const CULTURES: [&str; 7] = ["DE", "EN", "ES", "FR", "IT", "NL", "PL"];
/// `ReturnURL`'s documented maximum length.
const RETURN_URL_MAX: usize = 220;
/// "within 1 hour after the mandate creation" (docs.mangopay.com/errors/codes/001807).
pub const CONFIRM_WITHIN: i64 = 3600;
/// Countries whose IBANs get no mandate here: Denmark and Sweden are in SEPA but outside the
/// euro debits emulated (a sandbox rule, not a documented MangoPay code).
const NO_MANDATE_COUNTRIES: [&str; 2] = ["DK", "SE"];

pub const USER_CANCELLED: (&str, &str) = ("001805", "The user has cancelled the mandate");
pub const CLIENT_CANCELLED: (&str, &str) = ("001806", "The client has cancelled the mandate");
pub const EXPIRED: (&str, &str) = (
    "001807",
    "User has let the mandate session expire without confirming",
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewMandate {
    bank_account_id: Option<String>,
    culture: Option<String>,
    #[serde(rename = "ReturnURL")]
    return_url: Option<String>,
    tag: Option<String>,
}

/// `ReturnURL` as sent, checked.
fn return_url(value: &Option<String>) -> Result<String, ApiError> {
    let url = required(value, "ReturnURL")?;
    if url.len() > RETURN_URL_MAX || !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::param(
            "ReturnURL",
            "The ReturnURL must be an absolute http(s) URL of at most 220 characters.",
        ));
    }
    Ok(url.to_owned())
}

/// `MANGOPAY-8TA5P7Z67`: nine upper-case letters and digits.
fn bank_reference() -> String {
    let raw = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("MANGOPAY-{}", &raw[..9])
}

/// `POST /mandates/directdebit/web`.
pub async fn create(State(psp): State<MangopaySandbox>, Body(body): Body<NewMandate>) -> Api {
    let account_id = required(&body.bank_account_id, "BankAccountId")?.to_owned();
    let culture = required(&body.culture, "Culture")?.to_ascii_uppercase();
    if !CULTURES.contains(&culture.as_str()) {
        return Err(ApiError::param(
            "Culture",
            "The Culture is one of DE, EN, ES, FR, IT, NL, PL.",
        ));
    }
    let return_url = return_url(&body.return_url)?;
    let mut st = psp.lock();
    let account = st
        .bank_accounts
        .get(&account_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("BankAccount", &account_id))?;
    if NO_MANDATE_COUNTRIES.contains(&body_str(&account, "IBAN").get(..2).unwrap_or_default()) {
        return Err(ApiError::param(
            "BankAccountId",
            "Direct debit mandates are not available for bank accounts in this country.",
        ));
    }
    let id = new_id("mdt");
    let joiner = if return_url.contains('?') { '&' } else { '?' };
    let public = format!("{}/sandbox-psp/mangopay/mandates/{id}", psp.base());
    let mandate = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": st.now(),
        "BankAccountId": account_id,
        "UserId": account["UserId"],
        "Culture": culture,
        "ReturnURL": format!("{return_url}{joiner}MandateId={id}"),
        "RedirectURL": format!("{public}/confirmation"),
        "DocumentURL": format!("{public}/document"),
        "BankReference": bank_reference(),
        "Scheme": null,
        "Status": "CREATED",
        "ResultCode": null,
        "ResultMessage": null,
        "ExecutionType": "WEB",
        "MandateType": "DIRECT_DEBIT",
    });
    st.hook("MANDATE_CREATED", &id);
    st.mandates.insert(id, mandate.clone());
    Ok(Json(mandate))
}

/// The mandate as it reads now: one left `CREATED` past [`CONFIRM_WITHIN`] of sandbox time
/// fails (001807, hook `MANDATE_FAILED` once). `None` if unknown.
pub fn current(st: &mut Psp, id: &str) -> Option<Value> {
    let now = st.now();
    let mandate = st.mandates.get(id)?;
    let lapsed = mandate["Status"] == "CREATED"
        && mandate["CreationDate"].as_i64().unwrap_or(now) + CONFIRM_WITHIN <= now;
    if lapsed {
        fail(st, id, EXPIRED);
    }
    st.mandates.get(id).cloned()
}

/// `FAILED` with `(code, message)` and the hook.
pub fn fail(st: &mut Psp, id: &str, (code, message): (&str, &str)) {
    if let Some(m) = st.mandates.get_mut(id) {
        m["Status"] = "FAILED".into();
        m["ResultCode"] = code.into();
        m["ResultMessage"] = message.into();
        st.hook("MANDATE_FAILED", id);
    }
}

/// The user confirmed on the page: `SUBMITTED` to the bank under the SEPA scheme.
pub fn submit(st: &mut Psp, id: &str) {
    if let Some(m) = st.mandates.get_mut(id) {
        m["Status"] = "SUBMITTED".into();
        m["Scheme"] = "SEPA".into();
        st.hook("MANDATE_SUBMITTED", id);
    }
}

/// A first debit succeeded on a `SUBMITTED` mandate: `ACTIVE` (as MangoPay's list example,
/// with `000000 Success`).
pub fn activate(st: &mut Psp, id: &str) {
    if let Some(m) = st
        .mandates
        .get_mut(id)
        .filter(|m| m["Status"] == "SUBMITTED")
    {
        m["Status"] = "ACTIVE".into();
        m["ResultCode"] = "000000".into();
        m["ResultMessage"] = "Success".into();
        st.hook("MANDATE_ACTIVATED", id);
    }
}

/// `GET /mandates/{id}`.
pub async fn get(State(psp): State<MangopaySandbox>, Path((_, id)): Path<(String, String)>) -> Api {
    let mut st = psp.lock();
    super::debits::settle_due(&mut st);
    current(&mut st, &id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("Mandate", &id))
}

/// `PUT /mandates/{id}/cancel`: only a `SUBMITTED` or `ACTIVE` mandate
/// (docs.mangopay.com/api-reference/mandates/cancel-mandate); then `FAILED`, 001806.
pub async fn cancel(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    let mut st = psp.lock();
    let mandate = current(&mut st, &id).ok_or_else(|| ApiError::not_found("Mandate", &id))?;
    let status = body_str(&mandate, "Status");
    if status != "SUBMITTED" && status != "ACTIVE" {
        return Err(ApiError::refused(&format!(
            "The Mandate cannot be cancelled: its Status is {status} (only SUBMITTED or ACTIVE)."
        )));
    }
    fail(&mut st, &id, CLIENT_CANCELLED);
    Ok(Json(st.mandates.get(&id).cloned().unwrap_or_default()))
}
