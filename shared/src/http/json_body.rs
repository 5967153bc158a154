//! `StrictJson<T>`: the only way request bodies are read. Enforces the 64 KiB limit, the JSON
//! content type, and turns every serde failure into a problem that names the field.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::{Problem, MAX_BODY_BYTES};
use crate::domain::FieldError;

pub struct StrictJson<T>(pub T);

/// The raw bytes of a JSON body, checked for size and content type, for handlers that need the
/// exact bytes (idempotency hashes them) as well as the parse.
pub struct RawJson(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = Problem;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Problem> {
        let headers = request.headers();
        let declared_length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared_length.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(Problem::payload_too_large(MAX_BODY_BYTES));
        }
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::unsupported_media_type());
        }
        read_limited(request.into_body()).await.map(RawJson)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let RawJson(bytes) = RawJson::from_request(request, state).await?;
        parse_json(&bytes).map(StrictJson)
    }
}

async fn read_limited(body: Body) -> Result<axum::body::Bytes, Problem> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| Problem::payload_too_large(MAX_BODY_BYTES))
}

/// serde_json's messages end with " at line 1 column 42"; the field path says more.
fn without_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map(|i| &message[..i])
        .unwrap_or(message)
}

/// A serde message without the caller's values (`invalid type: string "FR76…", expected …`
/// reads `invalid type: string, expected …`): a body can hold an IBAN, a name or an address,
/// which a problem must not echo (it may be logged or shown).
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("string \"") {
        out.push_str(&rest[..at + "string".len()]);
        let quoted = &rest[at + "string \"".len()..];
        // The value as Debug wrote it: up to the first quote not escaped.
        let mut escaped = false;
        let end = quoted.char_indices().find_map(|(i, c)| match (escaped, c) {
            (false, '\\') => {
                escaped = true;
                None
            }
            (false, '"') => Some(i),
            _ => {
                escaped = false;
                None
            }
        });
        match end {
            Some(end) => rest = &quoted[end + 1..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The name between the first pair of backticks in a serde message.
fn quoted_name(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() || parent == "." {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // Every request body is an object; serde would also accept an array for a struct.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        let valid_json = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        return Err(if valid_json {
            Problem::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "Invalid body",
                "The body must be a JSON object.",
            )
        } else {
            Problem::malformed_json("The body is not valid JSON.")
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let message = without_position(&message);
        match inner.classify() {
            serde_json::error::Category::Data => {
                if message.starts_with("unknown field") {
                    // The path already ends at the unknown key.
                    let field = match quoted_name(message) {
                        Some(name) if !path.ends_with(name) => join_path(&path, name),
                        _ => path,
                    };
                    Problem::unknown_field(field)
                } else if message.starts_with("missing field") {
                    let name = quoted_name(message).unwrap_or("");
                    Problem::invalid_field(FieldError::new(join_path(&path, name), "is required"))
                } else {
                    let field = if path == "." { String::new() } else { path };
                    Problem::invalid_field(FieldError::new(field, without_values(message)))
                }
            }
            _ => Problem::malformed_json(format!("The body is not valid JSON: {message}.")),
        }
    })?;
    deserializer.end().map_err(|_| {
        Problem::malformed_json("The body has trailing characters after the JSON value.")
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn a_refusal_never_echoes_the_value() {
        assert_eq!(
            without_values(
                r#"invalid type: string "FR7630004000031234567890143", expected struct X"#
            ),
            "invalid type: string, expected struct X"
        );
        assert_eq!(
            without_values(r#"invalid value: string "a \"quoted\" b", expected one of `x`"#),
            "invalid value: string, expected one of `x`"
        );
        assert_eq!(
            without_values("invalid type: integer `3`, expected a string"),
            "invalid type: integer `3`, expected a string"
        );
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        lines: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        quantity: u32,
    }

    #[test]
    fn names_the_field() {
        let p = parse_json::<Outer>(br#"{"name":"a","lines":[{"quantity":-1}]}"#).unwrap_err();
        assert_eq!(
            (p.status, p.field.as_deref()),
            (422, Some("lines[0].quantity"))
        );
        let p = parse_json::<Outer>(br#"{"name":"a","lines":[{"quantity":1,"x":2}]}"#).unwrap_err();
        assert_eq!((p.status, p.field.as_deref()), (400, Some("lines[0].x")));
        let p = parse_json::<Outer>(br#"{"lines":[]}"#).unwrap_err();
        assert_eq!((p.status, p.field.as_deref()), (422, Some("name")));
        let p = parse_json::<Outer>(br#"{"name":"a","lines":[{}]}"#).unwrap_err();
        assert_eq!(
            (p.status, p.field.as_deref()),
            (422, Some("lines[0].quantity"))
        );
        let p = parse_json::<Outer>(br#"{"name": "#).unwrap_err();
        assert_eq!(p.status, 400);
        let p = parse_json::<Outer>(br#"{"name":"a","lines":[]} x"#).unwrap_err();
        assert_eq!(p.status, 400);
        let p = parse_json::<Outer>(br#"["a", []]"#).unwrap_err();
        assert_eq!((p.status, p.field.as_deref()), (422, None));
        let p = parse_json::<Outer>(b"null").unwrap_err();
        assert_eq!((p.status, p.field.as_deref()), (422, None));
    }
}
