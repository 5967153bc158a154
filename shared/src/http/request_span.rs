//! One span per routed HTTP request, so every log line a request causes carries its route and,
//! once known, the order reference and payment id (a path parameter, or recorded by the use
//! case through `telemetry::log_context`); and one line when it is answered, with the status
//! and the time taken. Path values are logged only when they parse as what they name: a path
//! is the caller's text.

use std::time::Instant;

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::field::Empty;
use tracing::Instrument;

use crate::domain::Reference;

/// A payment id as we issue them (`pay_…` and the like): short, ASCII letters, digits, `_`, `-`.
fn looks_like_an_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub(crate) async fn request_span(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        method = %parts.method,
        route = %route,
        reference = Empty,
        payment_id = Empty,
    );
    if let Ok(params) = RawPathParams::from_request_parts(&mut parts, &()).await {
        for (name, value) in &params {
            match name {
                "reference" => {
                    if let Ok(reference) = Reference::parse(value) {
                        span.record("reference", tracing::field::display(&reference));
                    }
                }
                "payment_id" if looks_like_an_id(value) => {
                    span.record("payment_id", tracing::field::display(value));
                }
                _ => {}
            }
        }
    }
    let request = Request::from_parts(parts, body);
    let started = Instant::now();
    async move {
        let response = next.run(request).await;
        tracing::info!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        );
        response
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::looks_like_an_id;

    #[test]
    fn only_id_shaped_path_values_are_logged() {
        assert!(looks_like_an_id("pay_01HZX3"));
        assert!(!looks_like_an_id(""));
        assert!(!looks_like_an_id("jean.dupont@example.com"));
        assert!(!looks_like_an_id("12 rue de la Paix"));
        assert!(!looks_like_an_id(&"a".repeat(65)));
    }
}
