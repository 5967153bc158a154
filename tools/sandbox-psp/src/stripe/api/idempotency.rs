//! `Idempotency-Key` on POSTs, as Stripe: the first answer is stored under (API key, key) and
//! replayed for the same body; another body gets 400, a request still running 409. Answers to
//! requests refused for their parameters are not stored.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::stripe::errors::{ApiError, DoNotStore};
use crate::stripe::handle::StripeSandbox;
use crate::stripe::state::IdemEntry;

/// Stripe refuses larger bodies too; ours are a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// Removes an in-flight key whose request never finished (client went away), so the key is
/// usable again.
struct InFlight<'a> {
    psp: &'a StripeSandbox,
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

pub async fn idempotent(
    psp: &StripeSandbox,
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
