//! The /v1 API: Stripe's bearer auth, fault injection, idempotency keys and request ids around
//! every endpoint; customers and payment methods here, the rest in api_checkout / api_intents.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::errors::{ApiError, DoNotStore};
use super::faults::Injected;
use super::forms::Form;
use super::state::{to_json, Customer, IdemEntry, ReqCtx};
use super::{api_checkout, api_intents, new_id, now, SandboxPsp};

/// Stripe refuses larger bodies too; ours are a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

pub fn router(psp: SandboxPsp) -> Router<SandboxPsp> {
    Router::new()
        .route("/customers", post(create_customer))
        .route("/customers/{id}", get(get_customer))
        .route("/payment_methods", get(list_payment_methods))
        .route("/checkout/sessions", post(api_checkout::create))
        .route("/checkout/sessions/{id}", get(api_checkout::retrieve))
        .route("/checkout/sessions/{id}/expire", post(api_checkout::expire))
        .route("/payment_intents", post(api_intents::create))
        .route("/payment_intents/{id}", get(api_intents::retrieve))
        .route("/payment_intents/{id}/confirm", post(api_intents::confirm))
        .route("/payment_intents/{id}/capture", post(api_intents::capture))
        .route("/payment_intents/{id}/cancel", post(api_intents::cancel))
        .route("/refunds", post(api_intents::create_refund))
        .route("/refunds/{id}", get(api_intents::retrieve_refund))
        // A catch-all route rather than a fallback: fallbacks of doubly nested routers give way
        // to the devserver's problem+json one, and Stripe clients expect Stripe's shape.
        .route("/{*rest}", any(unknown_url))
        .method_not_allowed_fallback(unknown_url)
        .layer(middleware::from_fn_with_state(psp, api_layer))
}

async fn unknown_url(method: Method, uri: axum::http::Uri) -> ApiError {
    let mut e = ApiError::invalid(
        None,
        &format!("Unrecognized request URL ({method}: {}).", uri.path()),
    );
    e.status = StatusCode::NOT_FOUND;
    e
}

/// Auth, then faults (an injected 500 stands for a failure before Stripe ran the request, so it
/// is not saved under the idempotency key and a retry with the same key goes through), then
/// the idempotency cache.
async fn api_layer(State(psp): State<SandboxPsp>, mut req: Request, next: Next) -> Response {
    let request_id = new_id("req_");
    let mut resp = match authorise(&req) {
        Err(e) => e.into_response(),
        Ok(api_key) => {
            let (latency, injected) = psp.faults_lock().tick();
            if latency > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
            }
            if injected == Injected::ServerError {
                ApiError::internal("An unknown error occurred (sandbox fault injection).")
                    .into_response()
            } else if injected == Injected::RateLimited {
                ApiError::rate_limited().into_response()
            } else {
                let key = (req.method() == Method::POST)
                    .then(|| req.headers().get("idempotency-key"))
                    .flatten()
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let ctx = ReqCtx {
                    id: Some(request_id.clone()),
                    idempotency_key: key.clone(),
                };
                req.extensions_mut().insert(ctx);
                match key {
                    None => next.run(req).await,
                    Some(key) => idempotent(&psp, api_key, key, req, next).await,
                }
            }
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("request-id", v);
    }
    resp
}

/// The secret key from `Authorization: Bearer <key>`, or from Basic auth with the key as user
/// name (`curl -u sk_test_…:` as in Stripe's documentation).
fn secret_key(req: &Request) -> Option<String> {
    if let Some(token) = encaisse::http::bearer_token(req.headers()) {
        return Some(token.to_owned());
    }
    let value = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    Some(
        decoded
            .split_once(':')
            .map_or(decoded.as_str(), |(user, _)| user)
            .to_owned(),
    )
}

/// Standard base64 with padding; a dozen lines spare the devserver a dependency.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= value(*c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    Some(out)
}

fn authorise(req: &Request) -> Result<String, ApiError> {
    match secret_key(req).as_deref() {
        None => Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY').",
        )),
        Some(key) if key.starts_with("sk_test_") && key.len() > "sk_test_".len() => {
            Ok(key.to_owned())
        }
        Some(key) => {
            let tail: String = key
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Err(ApiError::unauthorized(&format!(
                "Invalid API Key provided: {}****{tail}",
                key.chars().take(8).collect::<String>()
            )))
        }
    }
}

/// Removes an in-flight key whose request never finished (client went away), so the key is
/// usable again.
struct InFlight<'a> {
    psp: &'a SandboxPsp,
    key: (String, String),
    done: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.psp.lock().idempotency.remove(&self.key);
        }
    }
}

async fn idempotent(
    psp: &SandboxPsp,
    api_key: String,
    key: String,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::invalid(None, "Request body too large.").into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let fingerprint: [u8; 32] = hasher.finalize().into();
    let cache_key = (api_key, key.clone());
    {
        let mut st = psp.lock();
        match st.idempotency.get(&cache_key) {
            Some(e) if e.fingerprint != fingerprint => {
                return ApiError::idempotency(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "Keys for idempotent requests can only be used with the same parameters \
                         they were first used with. Try using a key other than '{key}' if you \
                         meant to execute a different request."
                    ),
                )
                .into_response();
            }
            Some(IdemEntry { response: None, .. }) => {
                return ApiError::idempotency(
                    StatusCode::CONFLICT,
                    &format!(
                        "There is currently another in-progress request using this Idempotent \
                         Key (that probably means you submitted twice, and the other request is \
                         still going through): {key}. Please try again later."
                    ),
                )
                .into_response();
            }
            Some(IdemEntry {
                response: Some((status, body)),
                ..
            }) => {
                let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
                let mut resp = (status, body.clone()).into_response();
                let h = resp.headers_mut();
                h.insert("content-type", HeaderValue::from_static("application/json"));
                h.insert("idempotent-replayed", HeaderValue::from_static("true"));
                h.insert("original-request", HeaderValue::from_static("replayed"));
                return resp;
            }
            None => {
                st.idempotency.insert(
                    cache_key.clone(),
                    IdemEntry {
                        fingerprint,
                        response: None,
                    },
                );
            }
        }
    }
    let mut guard = InFlight {
        psp,
        key: cache_key,
        done: false,
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (rparts, rbody) = resp.into_parts();
    let body = axum::body::to_bytes(rbody, usize::MAX)
        .await
        .unwrap_or_default();
    if rparts.extensions.get::<DoNotStore>().is_none() {
        if let Some(entry) = psp.lock().idempotency.get_mut(&guard.key) {
            entry.response = Some((rparts.status.as_u16(), body.to_vec()));
        }
        guard.done = true;
    }
    // Not stored (validation error): the guard frees the key.
    drop(guard);
    Response::from_parts(rparts, Body::from(body))
}

/// Checks `expand[]` against what an endpoint can expand.
pub fn expansions(form: &Form, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let list = form.list("expand");
    match list.iter().find(|e| !allowed.contains(&e.as_str())) {
        Some(bad) => Err(ApiError::invalid(
            Some("expand"),
            &format!("This property cannot be expanded ({bad})."),
        )),
        None => Ok(list),
    }
}

async fn create_customer(
    State(psp): State<SandboxPsp>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["email", "name", "metadata[*]", "expand[#]"])?;
    expansions(&form, &[])?;
    let customer = Customer {
        id: new_id("cus_"),
        object: "customer",
        email: form.get("email").map(str::to_owned),
        name: form.get("name").map(str::to_owned),
        metadata: form.map("metadata"),
        created: now(),
        livemode: false,
    };
    let json = to_json(&customer);
    psp.lock().customers.insert(customer.id.clone(), customer);
    Ok(Json(json))
}

async fn get_customer(
    State(psp): State<SandboxPsp>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    psp.lock()
        .customers
        .get(&id)
        .map(|c| Json(to_json(c)))
        .ok_or_else(|| ApiError::not_found("customer", &id, "id"))
}

async fn list_payment_methods(
    State(psp): State<SandboxPsp>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let form = Form::from_query(query.as_deref())?;
    form.allow_only(&["customer", "type", "limit", "expand[#]"])?;
    form.one_of("type", &["card"])?;
    let customer = form.required("customer")?;
    let limit = form.int("limit")?.unwrap_or(10).clamp(1, 100) as usize;
    let st = psp.lock();
    if !st.customers.contains_key(customer) {
        return Err(ApiError::not_found("customer", customer, "customer"));
    }
    // Newest first, as Stripe lists.
    let mine: Vec<Value> = st
        .payment_methods
        .iter()
        .rev()
        .filter(|p| p.customer.as_deref() == Some(customer))
        .map(to_json)
        .collect();
    let has_more = mine.len() > limit;
    let data: Vec<Value> = mine.into_iter().take(limit).collect();
    Ok(Json(serde_json::json!({
        "object": "list",
        "data": data,
        "has_more": has_more,
        "url": "/v1/payment_methods",
    })))
}
