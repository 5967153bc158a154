//! Stripe's API key check: `Authorization: Bearer sk_test_…`, or Basic auth with the key as
//! user name.

use axum::extract::Request;

use crate::stripe::errors::ApiError;

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

pub fn authorise(req: &Request) -> Result<String, ApiError> {
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
