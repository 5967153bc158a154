//! Card pre-authorisations (`/preauthorizations/card/direct`): authorised at once, refused, or
//! waiting for the 3-D Secure page (`SecureModeRedirectURL`) by the test card used; cancelled
//! or tagged by `PUT`; their captures listed by `/transactions`. Also the 3-D Secure page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{body_str, Api, Body};
use super::cards::{CardBehaviour, TestCardKind};
use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::state::{amount_of, funds, new_id, State as Psp};
use crate::ids::now;
use crate::stripe::pages::{escape, format_amount, page, redirect};

/// MangoPay keeps a pre-authorisation 6.5 days: `ExpirationDate` is `AuthorizationDate` +
/// 561,600 s in every example of its docs.
pub const VALIDITY_SECONDS: i64 = 561_600;
/// Wrong one-time codes before the authentication fails.
const CHALLENGE_TRIES: u8 = 3;

pub const DECLINED: (&str, &str) = ("101101", "Transaction refused by the bank (Do not honor)");
pub const AUTHENTICATION_FAILED: (&str, &str) = (
    "101301",
    "Secure mode: The 3DSecure authentication has failed",
);

/// Amounts (in minor units) that MangoPay's sandbox refuses, with the result they get (docs
/// `testing/payment-methods`; documented for card pay-ins, applied here to pre-authorisations).
pub const AMOUNT_TRIGGERS: &[(i64, &str, &str)] = &[
    (
        33305,
        "101101",
        "Transaction refused by the bank (Do not honor)",
    ),
    (
        33351,
        "101102",
        "Transaction refused by the bank (Amount limit)",
    ),
    (33358, "101103", "Transaction refused by the terminal"),
    (33338, "101111", "Maximum number of attempts reached"),
    (33361, "101115", "Debit limit exceeded"),
    (33313, "001013", "Invalid transaction amount"),
    (33314, "105101", "Invalid card number"),
    (33355, "105103", "Invalid PIN code"),
    (33363, "008005", "Security violation"),
    (33334, "008006", "Fraud suspected by the bank"),
    (33303, "009103", "PSP configuration error"),
    (33394, "009199", "PSP technical error"),
    (33391, "009499", "Bank technical error"),
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewPreauthorization {
    author_id: Option<String>,
    debited_funds: Option<Value>,
    card_id: Option<String>,
    #[serde(rename = "SecureModeReturnURL")]
    secure_mode_return_url: Option<String>,
    secure_mode: Option<String>,
    ip_address: Option<String>,
    browser_info: Option<Value>,
    tag: Option<String>,
    culture: Option<String>,
    statement_descriptor: Option<String>,
    multi_capture: Option<bool>,
}

/// The browser fields 3-D Secure 2 needs (MangoPay requires them all).
const BROWSER_FIELDS: [&str; 9] = [
    "AcceptHeader",
    "JavaEnabled",
    "Language",
    "ColorDepth",
    "ScreenHeight",
    "ScreenWidth",
    "TimeZoneOffset",
    "UserAgent",
    "JavascriptEnabled",
];

pub async fn create(
    State(psp): State<MangopaySandbox>,
    Body(body): Body<NewPreauthorization>,
) -> Api {
    let author = body
        .author_id
        .ok_or_else(|| ApiError::param("AuthorId", "The AuthorId field is required."))?;
    let card_id = body
        .card_id
        .ok_or_else(|| ApiError::param("CardId", "The CardId field is required."))?;
    let debited = body
        .debited_funds
        .ok_or_else(|| ApiError::param("DebitedFunds", "The DebitedFunds field is required."))?;
    let amount = amount_of(&debited);
    if amount <= 0 {
        return Err(ApiError::param(
            "DebitedFunds.Amount",
            "The amount must be above zero.",
        ));
    }
    let return_url = body
        .secure_mode_return_url
        .filter(|u| u.starts_with("http"))
        .ok_or_else(|| {
            ApiError::param(
                "SecureModeReturnURL",
                "The SecureModeReturnURL field is required.",
            )
        })?;
    let ip = body
        .ip_address
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        .ok_or_else(|| {
            ApiError::param(
                "IpAddress",
                "The IpAddress field is required and must be an IP address.",
            )
        })?;
    let browser = body
        .browser_info
        .ok_or_else(|| ApiError::param("BrowserInfo", "The BrowserInfo field is required."))?;
    if let Some(missing) = BROWSER_FIELDS.iter().find(|f| browser[**f].is_null()) {
        return Err(ApiError::param(
            &format!("BrowserInfo.{missing}"),
            "This field is required.",
        ));
    }
    let secure_mode = body.secure_mode.unwrap_or_else(|| "DEFAULT".into());
    if !["DEFAULT", "FORCE", "NO_CHOICE"].contains(&secure_mode.as_str()) {
        return Err(ApiError::param(
            "SecureMode",
            "SecureMode is DEFAULT, FORCE or NO_CHOICE.",
        ));
    }
    let mut st = psp.lock();
    let card = st
        .cards
        .get(&card_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Card", &card_id))?;
    if card["UserId"] != author.as_str() {
        return Err(ApiError::param(
            "CardId",
            "The card does not belong to the author.",
        ));
    }
    if card["Active"] != true {
        return Err(ApiError::refused("The card is not active."));
    }
    if card["Currency"] != debited["Currency"] {
        return Err(ApiError::param(
            "DebitedFunds.Currency",
            "The currency differs from the card's.",
        ));
    }
    let behaviour = st
        .card_kinds
        .get(&card_id)
        .copied()
        .unwrap_or(CardBehaviour {
            kind: TestCardKind::Frictionless,
            declines: false,
        });
    let id = new_id("preauth");
    let joiner = if return_url.contains('?') { '&' } else { '?' };
    let return_url = format!("{return_url}{joiner}preAuthorizationId={id}");
    let currency = body_str(&debited, "Currency").to_owned();
    let mut preauth = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": now(),
        "AuthorId": author,
        "DebitedFunds": funds(&currency, amount),
        "RemainingFunds": funds(&currency, amount),
        "AuthorizationDate": null,
        "Status": "CREATED",
        "PaymentStatus": "WAITING",
        "ExpirationDate": null,
        "PayInId": null,
        "ResultCode": null,
        "ResultMessage": null,
        "SecureMode": secure_mode,
        "CardId": card_id,
        "SecureModeReturnURL": return_url,
        "SecureModeRedirectURL": null,
        "SecureModeNeeded": false,
        "PaymentType": "CARD",
        "ExecutionType": "DIRECT",
        "StatementDescriptor": body.statement_descriptor,
        "Culture": body.culture.unwrap_or_else(|| "FR".into()),
        "SecurityInfo": null,
        "MultiCapture": body.multi_capture.unwrap_or(true),
        "BrowserInfo": browser,
        "IpAddress": ip,
        "Billing": null,
        "Shipping": null,
        "Requested3DSVersion": null,
        "Applied3DSVersion": "V2_1",
        "CardInfo": {"BIN": card["Alias"].as_str().map(|a| a[..6].to_owned()), "Brand": card["CardProvider"], "Type": "CREDIT"},
    });
    st.hook("PREAUTHORIZATION_CREATED", &id);
    let challenge = behaviour.kind == TestCardKind::Challenge || secure_mode == "FORCE";
    let trigger = AMOUNT_TRIGGERS.iter().find(|(a, _, _)| *a == amount);
    match trigger {
        Some((_, code, message)) => fail(&mut st, &mut preauth, (code, message)),
        None if behaviour.declines => fail(&mut st, &mut preauth, DECLINED),
        None if challenge => {
            preauth["SecureModeNeeded"] = true.into();
            preauth["SecureModeRedirectURL"] =
                format!("{}/sandbox-psp/mangopay/3ds/{id}", psp.base()).into();
            let code = format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000);
            st.challenges.insert(id.clone(), (code, 0));
        }
        _ => authorise(&mut st, &mut preauth),
    }
    st.preauthorizations.insert(id, preauth.clone());
    Ok(Json(preauth))
}

fn authorise(st: &mut Psp, preauth: &mut Value) {
    let at = now();
    preauth["Status"] = "SUCCEEDED".into();
    preauth["ResultCode"] = "000000".into();
    preauth["ResultMessage"] = "Success".into();
    preauth["AuthorizationDate"] = at.into();
    preauth["ExpirationDate"] = (at + VALIDITY_SECONDS).into();
    preauth["RemainingFunds"] = preauth["DebitedFunds"].clone();
    st.hook("PREAUTHORIZATION_SUCCEEDED", body_str(preauth, "Id"));
}

fn fail(st: &mut Psp, preauth: &mut Value, (code, message): (&str, &str)) {
    let currency = body_str(&preauth["DebitedFunds"], "Currency").to_owned();
    preauth["Status"] = "FAILED".into();
    preauth["PaymentStatus"] = "CANCELED".into();
    preauth["RemainingFunds"] = funds(&currency, 0);
    preauth["ResultCode"] = code.into();
    preauth["ResultMessage"] = message.into();
    st.hook("PREAUTHORIZATION_FAILED", body_str(preauth, "Id"));
}

pub async fn get(State(psp): State<MangopaySandbox>, Path((_, id)): Path<(String, String)>) -> Api {
    psp.lock()
        .preauthorizations
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("PreAuthorization", &id))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PreauthorizationUpdate {
    payment_status: Option<String>,
    tag: Option<String>,
}

/// `PUT`: `PaymentStatus: CANCELED` (no capture yet) or `VALIDATED` (after one capture at
/// least) releases what is left; `Tag` is kept as given.
pub async fn update(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
    Body(body): Body<PreauthorizationUpdate>,
) -> Api {
    let mut st = psp.lock();
    let mut preauth = st
        .preauthorizations
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("PreAuthorization", &id))?;
    let captured = st
        .payins
        .values()
        .any(|p| p["PreauthorizationId"] == id.as_str() && p["Status"] == "SUCCEEDED");
    // MangoPay's docs make PaymentStatus required: a PUT changes it (and the tag with it).
    let Some(wanted) = body.payment_status.as_deref() else {
        return Err(ApiError::param(
            "PaymentStatus",
            "The PaymentStatus field is required.",
        ));
    };
    {
        let allowed = match wanted {
            "CANCELED" => !captured,
            "VALIDATED" => captured,
            _ => {
                return Err(ApiError::param(
                    "PaymentStatus",
                    "PaymentStatus is CANCELED or VALIDATED.",
                ))
            }
        };
        if !allowed || preauth["PaymentStatus"] != "WAITING" || preauth["Status"] == "FAILED" {
            return Err(ApiError::refused(&format!(
                "The PreAuthorization cannot be {wanted}: its PaymentStatus is {} and it has {} capture.",
                body_str(&preauth, "PaymentStatus"),
                if captured { "a" } else { "no" }
            )));
        }
        preauth["PaymentStatus"] = wanted.into();
        let currency = body_str(&preauth["DebitedFunds"], "Currency").to_owned();
        preauth["RemainingFunds"] = funds(&currency, 0);
        st.challenges.remove(&id);
        st.hook(&format!("PREAUTHORIZATION_PAYMENT_{wanted}"), &id);
    }
    if let Some(tag) = body.tag {
        if tag.len() > 255 {
            return Err(ApiError::param("Tag", "The Tag is at most 255 characters."));
        }
        preauth["Tag"] = tag.into();
    }
    st.preauthorizations.insert(id, preauth.clone());
    Ok(Json(preauth))
}

/// The pay-ins (captures) taken on a pre-authorisation, oldest first.
pub async fn transactions(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    let st = psp.lock();
    if !st.preauthorizations.contains_key(&id) {
        return Err(ApiError::not_found("PreAuthorization", &id));
    }
    let mut payins: Vec<Value> = st
        .payins
        .values()
        .filter(|p| p["PreauthorizationId"] == id.as_str())
        .cloned()
        .collect();
    payins.sort_by_key(|p| {
        (
            p["CreationDate"].as_i64(),
            p["Id"].as_str().map(str::to_owned),
        )
    });
    Ok(Json(Value::Array(payins)))
}

/// Lets the pre-authorisation lapse now, as MangoPay does after its `ExpirationDate`.
pub fn expire(st: &mut Psp, id: &str) -> Result<(), ApiError> {
    let preauth = st
        .preauthorizations
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("PreAuthorization", id))?;
    if preauth["Status"] != "SUCCEEDED" || preauth["PaymentStatus"] != "WAITING" {
        return Err(ApiError::refused(
            "Only an authorised pre-authorization that is still WAITING can expire.",
        ));
    }
    preauth["PaymentStatus"] = "EXPIRED".into();
    let currency = body_str(&preauth["DebitedFunds"], "Currency").to_owned();
    preauth["RemainingFunds"] = funds(&currency, 0);
    preauth["ExpirationDate"] = now().into();
    st.hook("PREAUTHORIZATION_PAYMENT_EXPIRED", id);
    Ok(())
}

fn challenge_form(amount: &str, id: &str, code: &str, note: Option<&str>) -> Response {
    let mut body = format!(
        "<h1>Confirm your payment</h1>\n<p>Your bank asks you to confirm a pre-authorisation of \
         <strong>{}</strong> (MangoPay sandbox).</p>\n",
        escape(amount)
    );
    if let Some(note) = note {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"error\"><p>{}</p></div>\n",
            escape(note)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/sandbox-psp/mangopay/3ds/{id}\">\n\
         <label for=\"code\">One-time code sent to your phone</label>\n\
         <input id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" \
         required aria-describedby=\"hint\">\n\
         <p id=\"hint\">Test mode: the code is <strong data-test-code>{code}</strong>.</p>\n\
         <button type=\"submit\">Confirm</button>\n</form>\n",
        id = escape(id),
        code = escape(code),
    ));
    page(StatusCode::OK, "Confirm your payment", &body)
}

fn closed() -> Response {
    page(
        StatusCode::GONE,
        "Payment closed",
        "<h1>This payment is already complete</h1><p>There is nothing left to confirm.</p>",
    )
}

/// Where the shopper goes after 3-D Secure: the return URL (which names the pre-authorisation).
fn back_to(preauth: &Value) -> Response {
    redirect(body_str(preauth, "SecureModeReturnURL"))
}

pub async fn challenge_page(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
) -> Response {
    let st = psp.lock();
    match (st.preauthorizations.get(&id), st.challenges.get(&id)) {
        (Some(p), Some((code, failures))) if p["Status"] == "CREATED" => {
            let left = CHALLENGE_TRIES - failures;
            let note = (*failures > 0).then(|| format!("Incorrect code. {left} attempt(s) left."));
            let amount = &p["DebitedFunds"];
            challenge_form(
                &format_amount(
                    amount_of(amount),
                    &body_str(amount, "Currency").to_lowercase(),
                ),
                &id,
                code,
                note.as_deref(),
            )
        }
        (Some(_), _) => closed(),
        (None, _) => crate::stripe::pages::not_found(),
    }
}

pub async fn challenge_submit(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).unwrap_or_default();
    let answer = typed
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.trim().to_owned());
    let mut st = psp.lock();
    let Some(mut preauth) = st.preauthorizations.get(&id).cloned() else {
        return crate::stripe::pages::not_found();
    };
    let Some((code, failures)) = st.challenges.get(&id).cloned() else {
        return closed();
    };
    if preauth["Status"] != "CREATED" {
        return closed();
    }
    if answer.as_deref() == Some(code.as_str()) {
        st.challenges.remove(&id);
        authorise(&mut st, &mut preauth);
    } else if failures + 1 < CHALLENGE_TRIES {
        st.challenges
            .insert(id.clone(), (code.clone(), failures + 1));
        drop(st);
        let amount = &preauth["DebitedFunds"];
        let left = CHALLENGE_TRIES - failures - 1;
        return challenge_form(
            &format_amount(
                amount_of(amount),
                &body_str(amount, "Currency").to_lowercase(),
            ),
            &id,
            &code,
            Some(&format!("Incorrect code. {left} attempt(s) left.")),
        );
    } else {
        st.challenges.remove(&id);
        fail(&mut st, &mut preauth, AUTHENTICATION_FAILED);
    }
    st.preauthorizations.insert(id, preauth.clone());
    back_to(&preauth)
}
