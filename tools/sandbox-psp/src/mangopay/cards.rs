//! Card registrations, the tokenisation server the shopper's browser posts the card to, and
//! the cards they make. The card number never leaves this module: a token stands for it, and a
//! card keeps only its alias (`497010XXXXXX4406`), expiry and which test card it was.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{body_str, Api, Body};
use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::state::new_id;
use crate::ids::now;

/// What a test card does (MangoPay's sandbox cards, docs `testing/payment-methods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCardKind {
    /// 3-D Secure 2 without a challenge.
    Frictionless,
    /// A 3-D Secure challenge on every payment, so never off-session.
    Challenge,
}

/// The sandbox's test cards: number, what it does, its brand. Refusals come from the amount
/// (`preauths::AMOUNT_TRIGGERS`) or, as MangoPay's older docs had it, the security code 999.
pub const TEST_CARDS: &[(&str, TestCardKind, &str)] = &[
    ("4970107111111119", TestCardKind::Frictionless, "VISA"),
    ("4970105181818183", TestCardKind::Challenge, "VISA"),
    ("5033951000000004", TestCardKind::Challenge, "MAESTRO"),
    ("375989111111119", TestCardKind::Challenge, "AMEX"),
];

/// The security code that makes any test card refused (`101101`).
pub const DECLINING_CVX: &str = "999";

/// What the sandbox remembers of a card: how it authenticates and whether it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardBehaviour {
    pub kind: TestCardKind,
    pub declines: bool,
}

/// A tokenised card, waiting for its registration to be completed.
#[derive(Debug, Clone)]
pub struct Tokenised {
    pub registration: String,
    pub behaviour: CardBehaviour,
    pub brand: &'static str,
    pub alias: String,
    pub expiry: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewRegistration {
    user_id: Option<String>,
    currency: Option<String>,
    card_type: Option<String>,
    tag: Option<String>,
}

pub async fn create_registration(
    State(psp): State<MangopaySandbox>,
    Body(body): Body<NewRegistration>,
) -> Api {
    let user = body
        .user_id
        .ok_or_else(|| ApiError::param("UserId", "The UserId field is required."))?;
    let currency = body
        .currency
        .ok_or_else(|| ApiError::param("Currency", "The Currency field is required."))?;
    let card_type = body
        .card_type
        .unwrap_or_else(|| "CB_VISA_MASTERCARD".into());
    let mut st = psp.lock();
    if !st.users.contains_key(&user) {
        return Err(ApiError::not_found("User", &user));
    }
    let id = new_id("cardreg");
    let registration = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": now(),
        "UserId": user,
        "AccessKey": format!("1X0m87dmM2LiwFgxPLBJ{}", &id[id.len() - 6..]),
        "PreregistrationData": format!("{}-pre", uuid::Uuid::new_v4().simple()),
        "RegistrationData": null,
        "CardId": null,
        "CardType": card_type,
        "CardRegistrationURL": format!("{}/sandbox-psp/mangopay/tokenize/{id}", psp.base()),
        "ResultCode": null,
        "ResultMessage": null,
        "Currency": currency,
        "Status": "CREATED",
    });
    st.card_registrations.insert(id, registration.clone());
    Ok(Json(registration))
}

pub async fn get_registration(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    let st = psp.lock();
    st.card_registrations
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("CardRegistration", &id))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistrationUpdate {
    registration_data: Option<String>,
}

/// Completes a registration with the tokenisation server's answer: a card, or the error the
/// server gave (`errorCode=02625`), after which the registration takes no card.
pub async fn update_registration(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
    Body(body): Body<RegistrationUpdate>,
) -> Api {
    let data = body.registration_data.ok_or_else(|| {
        ApiError::param(
            "RegistrationData",
            "The RegistrationData field is required.",
        )
    })?;
    let mut st = psp.lock();
    let registration = st
        .card_registrations
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("CardRegistration", &id))?;
    if registration["Status"] != "CREATED" {
        return Err(ApiError::refused(
            "This card registration has already been processed.",
        ));
    }
    let mut updated = registration;
    updated["RegistrationData"] = Value::String(data.clone());
    if let Some(code) = data.strip_prefix("errorCode=") {
        let (code, message) = registration_error(code);
        updated["Status"] = "ERROR".into();
        updated["ResultCode"] = code.into();
        updated["ResultMessage"] = message.into();
        st.card_registrations.insert(id, updated.clone());
        return Ok(Json(updated));
    }
    let token = data.strip_prefix("data=").unwrap_or(&data);
    let Some(card) = st
        .card_tokens
        .remove(token)
        .filter(|t| t.registration == id)
    else {
        updated["Status"] = "ERROR".into();
        updated["ResultCode"] = "105206".into();
        updated["ResultMessage"] = "Registration data : Invalid format".into();
        st.card_registrations.insert(id, updated.clone());
        return Ok(Json(updated));
    };
    let card_id = new_id("card");
    let user = updated["UserId"].clone();
    st.cards.insert(
        card_id.clone(),
        json!({
            "Id": card_id,
            "Tag": null,
            "CreationDate": now(),
            "UserId": user,
            "Currency": updated["Currency"],
            "ExpirationDate": card.expiry,
            "Alias": card.alias,
            "CardProvider": card.brand,
            "CardType": updated["CardType"],
            "Country": "FRA",
            "Product": null,
            "BankCode": null,
            "Active": true,
            "Validity": "UNKNOWN",
            "Fingerprint": format!("{:x}", uuid::Uuid::new_v4().as_u128()),
            "CardHolderName": null,
        }),
    );
    st.card_kinds.insert(card_id.clone(), card.behaviour);
    updated["CardId"] = Value::String(card_id);
    updated["Status"] = "VALIDATED".into();
    updated["ResultCode"] = "000000".into();
    updated["ResultMessage"] = "Success".into();
    st.card_registrations.insert(id, updated.clone());
    Ok(Json(updated))
}

/// The registration's result for a tokenisation error (docs `card-registrations`).
fn registration_error(code: &str) -> (&'static str, &'static str) {
    match code {
        "02625" => ("105202", "Card number: invalid format"),
        "02626" => ("105203", "Expiry date: missing or invalid format"),
        "02627" => ("105204", "CVV: missing or invalid format"),
        _ => ("105299", "Token input Error"),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenisationForm {
    data: String,
    access_key_ref: String,
    card_number: String,
    card_expiration_date: String,
    card_cvx: String,
}

/// The tokenisation server (`CardRegistrationURL`): the shopper's browser posts the card here
/// and gets `data=<token>` or `errorCode=<code>` as plain text, for our server to pass on.
pub async fn tokenise(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
    Form(form): Form<TokenisationForm>,
) -> Response {
    let mut st = psp.lock();
    let Some(registration) = st.card_registrations.get(&id).cloned() else {
        return (StatusCode::OK, "errorCode=09101").into_response();
    };
    if registration["Status"] != "CREATED"
        || body_str(&registration, "AccessKey") != form.access_key_ref
        || body_str(&registration, "PreregistrationData") != form.data
    {
        return (StatusCode::OK, "errorCode=09101").into_response();
    }
    let number: String = form
        .card_number
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some((_, kind, brand)) = TEST_CARDS.iter().find(|(n, _, _)| *n == number) else {
        return (StatusCode::OK, "errorCode=02625").into_response();
    };
    // A registration is for one card type: AMEX and MAESTRO have their own (MangoPay's
    // `CardType`); the sandbox refuses a card of another type as an invalid number.
    let card_type = match *brand {
        "AMEX" => "AMEX",
        "MAESTRO" => "MAESTRO",
        _ => "CB_VISA_MASTERCARD",
    };
    if registration["CardType"] != card_type {
        return (StatusCode::OK, "errorCode=02625").into_response();
    }
    let expiry = form.card_expiration_date.trim();
    let valid_expiry = expiry.len() == 4
        && expiry.bytes().all(|b| b.is_ascii_digit())
        && (1..=12).contains(&expiry[..2].parse::<u8>().unwrap_or(0));
    if !valid_expiry {
        return (StatusCode::OK, "errorCode=02626").into_response();
    }
    let cvx = form.card_cvx.trim();
    if !(3..=4).contains(&cvx.len()) || !cvx.bytes().all(|b| b.is_ascii_digit()) {
        return (StatusCode::OK, "errorCode=02627").into_response();
    }
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    st.card_tokens.insert(
        token.clone(),
        Tokenised {
            registration: id,
            behaviour: CardBehaviour {
                kind: *kind,
                declines: cvx == DECLINING_CVX,
            },
            brand,
            alias: format!("{}XXXXXX{}", &number[..6], &number[number.len() - 4..]),
            expiry: expiry.to_owned(),
        },
    );
    (StatusCode::OK, format!("data={token}")).into_response()
}

pub async fn get_card(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    let st = psp.lock();
    st.cards
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("Card", &id))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CardUpdate {
    active: Option<bool>,
}

/// Deactivates a card, for good (MangoPay takes only `Active: false`).
pub async fn update_card(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
    Body(body): Body<CardUpdate>,
) -> Api {
    if body.active != Some(false) {
        return Err(ApiError::param(
            "Active",
            "Only Active=false can be set: a card is deactivated for good.",
        ));
    }
    let mut st = psp.lock();
    let card = st
        .cards
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Card", &id))?;
    card["Active"] = false.into();
    Ok(Json(card.clone()))
}

/// Every card of a user, active or not, oldest first.
pub async fn list_user_cards(
    State(psp): State<MangopaySandbox>,
    Path((_, user)): Path<(String, String)>,
) -> Api {
    let st = psp.lock();
    if !st.users.contains_key(&user) {
        return Err(ApiError::not_found("User", &user));
    }
    let mut cards: Vec<Value> = st
        .cards
        .values()
        .filter(|c| c["UserId"] == user.as_str())
        .cloned()
        .collect();
    cards.sort_by_key(|c| {
        (
            c["CreationDate"].as_i64(),
            c["Id"].as_str().map(str::to_owned),
        )
    });
    Ok(Json(Value::Array(cards)))
}
