//! The `/v2.01` API: OAuth client credentials, then per call the bearer token, the fault
//! switches and the `Idempotency-Key` (16–36 letters, digits or `-`; a second POST under a key
//! is refused with 409 and the first answer is kept for `GET /responses/{key}`). Users,
//! wallets and responses are here; the other endpoints in their own modules.

use axum::body::{to_bytes, Body as HttpBody};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::state::{new_id, StoredResponse};
use crate::faults::Injected;
use crate::ids::now;

pub type Api = Result<Json<Value>, ApiError>;

/// How long an access token lasts: 1200 s in MangoPay's sandbox (3600 in production).
const TOKEN_LIFETIME: i64 = 1200;
/// Request bodies above this are refused.
const MAX_BODY: usize = 64 * 1024;

/// A JSON body read leniently (unknown fields ignored), a bad one answered as MangoPay does.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| ApiError::param("Body", "The request body could not be read."))?;
        let bytes = if bytes.is_empty() {
            &b"{}"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes)
            .map(Body)
            .map_err(|e| ApiError::param("Body", &format!("The request body is not valid: {e}")))
    }
}

pub fn body_str<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_default()
}

/// `POST /v2.01/oauth/token`: Basic `client_id:passphrase`, `grant_type=client_credentials`.
pub async fn token(State(psp): State<MangopaySandbox>, req: Request) -> Response {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some((client_id, passphrase)) = basic.as_deref().and_then(|b| b.split_once(':')) else {
        return ApiError::unauthorized().into_response();
    };
    if client_id.is_empty() || passphrase.is_empty() {
        return ApiError::unauthorized().into_response();
    }
    let body = to_bytes(req.into_body(), MAX_BODY)
        .await
        .unwrap_or_default();
    if !String::from_utf8_lossy(&body).contains("grant_type=client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    psp.lock()
        .tokens
        .insert(format!("{client_id} {token}"), now() + TOKEN_LIFETIME);
    psp.count_token();
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": TOKEN_LIFETIME,
    }))
    .into_response()
}

/// Whether the caller's key is one MangoPay would take (16–36 letters, digits or dashes).
fn valid_key(key: &str) -> bool {
    (16..=36).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Around every `/v2.01/{ClientId}/…` call: the token, the faults, the idempotency key.
pub async fn layer(State(psp): State<MangopaySandbox>, req: Request, next: Next) -> Response {
    let original = req.uri().path().to_owned();
    let client_id = client_of(&original);
    let token = encaisse::http::bearer_token(req.headers()).unwrap_or_default();
    let known = psp
        .lock()
        .tokens
        .get(&format!("{client_id} {token}"))
        .is_some_and(|expiry| *expiry > now());
    if !known {
        return ApiError::unauthorized().into_response();
    }
    let (latency, injected) = {
        let mut faults = psp.faults_lock();
        faults.record_call(format!("{} mangopay {original}", req.method()));
        faults.tick()
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    match injected {
        Injected::ServerError => return ApiError::internal().into_response(),
        Injected::RateLimited => return ApiError::rate_limited().into_response(),
        Injected::Nothing => {}
    }
    let key = (req.method() == Method::POST)
        .then(|| req.headers().get("idempotency-key"))
        .flatten()
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let Some(key) = key else {
        return next.run(req).await;
    };
    if !valid_key(&key) {
        return ApiError::param(
            "Idempotency-Key",
            "The Idempotency-Key must be 16 to 36 letters, digits or dashes.",
        )
        .into_response();
    }
    let scoped = format!("{client_id} {key}");
    let url = original;
    {
        // Claimed before the request runs: a second one under the key, even at once, is 409.
        let mut st = psp.lock();
        if st.responses.contains_key(&scoped) {
            return ApiError::duplicate_key().into_response();
        }
        st.responses.insert(
            scoped.clone(),
            StoredResponse {
                status: 0,
                body: Value::Null,
                url: url.clone(),
                date: now(),
            },
        );
    }
    let response = next.run(req).await;
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 4 * MAX_BODY).await.unwrap_or_default();
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        url,
        date: now(),
    };
    psp.lock().responses.insert(scoped, stored);
    Response::from_parts(parts, HttpBody::from(bytes))
}

/// `Tue, 19 Jul 2022 08:47:59 GMT`, as `/responses` gives its `Date`.
fn http_date(unix: i64) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// The `{ClientId}` of `…/v2.01/{ClientId}/…`.
fn client_of(path: &str) -> String {
    path.split_once("v2.01/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default()
        .to_owned()
}

/// `GET /responses/{IdempotencyKey}`: the first answer given under the key.
pub async fn response(
    State(psp): State<MangopaySandbox>,
    Path((client, key)): Path<(String, String)>,
) -> Api {
    let st = psp.lock();
    // A request still running under the key has no answer to give yet.
    let stored = st
        .responses
        .get(&format!("{client} {key}"))
        .filter(|r| r.status != 0)
        .ok_or_else(|| ApiError::not_found("Response", &key))?;
    Ok(Json(json!({
        "StatusCode": stored.status.to_string(),
        "ContentLength": stored.body.to_string().len().to_string(),
        "ContentType": "application/json; charset=utf-8",
        "Date": http_date(stored.date),
        "RequestURL": stored.url,
        "Resource": stored.body,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewUser {
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    email: Option<String>,
    legal_person_type: Option<String>,
    user_category: Option<String>,
    terms_and_conditions_accepted: Option<bool>,
    tag: Option<String>,
}

pub fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::param(field, &format!("The {field} field is required.")))
}

fn email(value: &Option<String>) -> Result<&str, ApiError> {
    let email = required(value, "Email")?;
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => Ok(email),
        _ => Err(ApiError::param(
            "Email",
            "The Email field is not a valid e-mail address.",
        )),
    }
}

/// `POST /users/natural`.
pub async fn create_natural_user(
    State(psp): State<MangopaySandbox>,
    Body(body): Body<NewUser>,
) -> Api {
    let first = required(&body.first_name, "FirstName")?;
    let last = required(&body.last_name, "LastName")?;
    let email = email(&body.email)?;
    let id = new_id("user");
    let user = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": now(),
        "PersonType": "NATURAL",
        "UserCategory": body.user_category.as_deref().unwrap_or("PAYER"),
        "KYCLevel": "LIGHT",
        "TermsAndConditionsAccepted": body.terms_and_conditions_accepted.unwrap_or(false),
        "UserStatus": "ACTIVE",
        "FirstName": first,
        "LastName": last,
        "Email": email,
        "Address": null,
        "Birthday": null,
        "Nationality": null,
        "CountryOfResidence": null,
    });
    psp.lock().users.insert(id, user.clone());
    Ok(Json(user))
}

/// `POST /users/legal`: the seller (its wallet receives the pay-ins).
pub async fn create_legal_user(
    State(psp): State<MangopaySandbox>,
    Body(body): Body<NewUser>,
) -> Api {
    let name = required(&body.name, "Name")?;
    let kind = required(&body.legal_person_type, "LegalPersonType")?;
    if !["BUSINESS", "ORGANIZATION", "SOLETRADER", "PARTNERSHIP"].contains(&kind) {
        return Err(ApiError::param(
            "LegalPersonType",
            "Unknown LegalPersonType.",
        ));
    }
    let email = email(&body.email)?;
    let id = new_id("user");
    let user = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": now(),
        "PersonType": "LEGAL",
        "UserCategory": body.user_category.as_deref().unwrap_or("OWNER"),
        "KYCLevel": "LIGHT",
        "TermsAndConditionsAccepted": body.terms_and_conditions_accepted.unwrap_or(false),
        "UserStatus": "ACTIVE",
        "Name": name,
        "LegalPersonType": kind,
        "Email": email,
    });
    psp.lock().users.insert(id, user.clone());
    Ok(Json(user))
}

pub async fn get_user(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    psp.lock()
        .users
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("User", &id))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewWallet {
    owners: Option<Vec<String>>,
    currency: Option<String>,
    description: Option<String>,
    tag: Option<String>,
}

/// `POST /wallets`: one owner, one currency.
pub async fn create_wallet(State(psp): State<MangopaySandbox>, Body(body): Body<NewWallet>) -> Api {
    let owner = match body.owners.as_deref() {
        Some([owner]) => owner.clone(),
        _ => return Err(ApiError::param("Owners", "A wallet has exactly one owner.")),
    };
    let currency = required(&body.currency, "Currency")?.to_owned();
    let description = required(&body.description, "Description")?.to_owned();
    let mut st = psp.lock();
    if !st.users.contains_key(&owner) {
        return Err(ApiError::not_found("User", &owner));
    }
    let id = new_id("wlt");
    let wallet = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": now(),
        "Owners": [owner],
        "Description": description,
        "Balance": {"Currency": currency, "Amount": 0},
        "Currency": currency,
        "FundsType": "DEFAULT",
    });
    st.wallets.insert(id, wallet.clone());
    Ok(Json(wallet))
}

pub async fn get_wallet(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    let mut st = psp.lock();
    // Its balance includes every direct debit due by now.
    super::debits::settle_due(&mut st);
    st.wallets
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("Wallet", &id))
}
