//! Stripe-Signature verification, as Stripe's own libraries do it: header
//! `t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of `"<t>.<raw body>"` with the endpoint secret,
//! any `v1` from any configured secret accepted (rotation), then the timestamp tolerance.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use super::transformers::parse_event;
use crate::ports::{WebhookError, WebhookEvent};

type HmacSha256 = Hmac<Sha256>;

/// The parts of the header we use. `t` is kept as sent: it is signed byte for byte.
#[derive(Debug)]
struct SignatureHeader<'a> {
    timestamp: &'a str,
    unix: i64,
    signatures: Vec<Vec<u8>>,
}

fn parse_header(header: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            // Two timestamps would make "which one was signed" ambiguous.
            "t" if timestamp.is_some() => return Err(WebhookError::MalformedSignature),
            "t" => timestamp = Some(value),
            // A v1 that is not hex cannot match; the other v1 values still may.
            "v1" => signatures.extend(hex::decode(value).ok()),
            // v0 (Stripe's test scheme) and future schemes are ignored, as Stripe does.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::MalformedSignature)?;
    let unix = if !timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit()) {
        timestamp
            .parse::<i64>()
            .map_err(|_| WebhookError::MalformedSignature)?
    } else {
        return Err(WebhookError::MalformedSignature);
    };
    if signatures.is_empty() {
        return Err(WebhookError::MalformedSignature);
    }
    Ok(SignatureHeader {
        timestamp,
        unix,
        signatures,
    })
}

fn signature_matches(secret: &str, header: &SignatureHeader<'_>, payload: &[u8]) -> bool {
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(header.timestamp.as_bytes());
    mac.update(b".");
    mac.update(payload);
    // verify_slice compares in constant time.
    header
        .signatures
        .iter()
        .any(|signature| mac.clone().verify_slice(signature).is_ok())
}

/// Signature first, then tolerance (Stripe's order): a forged stale event is a bad signature.
pub fn verify(
    payload: &[u8],
    signature_header: &str,
    now: OffsetDateTime,
    secrets: &[String],
    tolerance: Duration,
) -> Result<WebhookEvent, WebhookError> {
    let header = parse_header(signature_header)?;
    if !secrets
        .iter()
        .any(|secret| signature_matches(secret, &header, payload))
    {
        return Err(WebhookError::BadSignature);
    }
    let age = now.unix_timestamp().abs_diff(header.unix);
    if age > tolerance.as_secs() {
        return Err(WebhookError::Stale);
    }
    parse_event(payload).map_err(|e| WebhookError::InvalidPayload(e.0))
}

#[cfg(test)]
#[path = "webhook_proptest.rs"]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_current";
    const OLD_SECRET: &str = "whsec_test_previous";
    const TOLERANCE: Duration = Duration::from_secs(300);
    const NOW: i64 = 1_800_000_000;
    const EVENT: &str = include_str!("fixtures/event_amount_capturable_updated.json");

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(NOW).unwrap()
    }

    fn sign(secret: &str, t: i64, body: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn secrets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn check(header: &str, body: &str, list: &[&str]) -> Result<WebhookEvent, WebhookError> {
        verify(body.as_bytes(), header, now(), &secrets(list), TOLERANCE)
    }

    #[test]
    fn a_valid_signature_gives_the_event() {
        let header = format!("t={NOW},v1={}", sign(SECRET, NOW, EVENT));
        let event = check(&header, EVENT, &[SECRET]).unwrap();
        assert_eq!(event.id, "evt_3QxAuthCapUpd0001");
        assert_eq!(event.kind, "payment_intent.amount_capturable_updated");
        assert_eq!(event.payment.as_deref(), Some("pi_3QxA1b2C3d4E5f6G"));
        assert_eq!(event.created_at.unix_timestamp(), 1_799_999_990);
    }

    #[test]
    fn a_signature_with_another_secret_is_refused() {
        let header = format!("t={NOW},v1={}", sign("whsec_other", NOW, EVENT));
        assert_eq!(
            check(&header, EVENT, &[SECRET]),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn during_rotation_the_second_secret_is_accepted() {
        let header = format!("t={NOW},v1={}", sign(OLD_SECRET, NOW, EVENT));
        assert!(check(&header, EVENT, &[SECRET, OLD_SECRET]).is_ok());
    }

    #[test]
    fn one_valid_v1_among_several_is_enough() {
        let header = format!(
            "t={NOW},v1={},v1={},v0={}",
            sign("whsec_other", NOW, EVENT),
            sign(SECRET, NOW, EVENT),
            sign("whsec_v0", NOW, EVENT)
        );
        assert!(check(&header, EVENT, &[SECRET]).is_ok());
    }

    #[test]
    fn a_v0_signature_alone_is_not_enough() {
        let header = format!("t={NOW},v0={}", sign(SECRET, NOW, EVENT));
        assert_eq!(
            check(&header, EVENT, &[SECRET]),
            Err(WebhookError::MalformedSignature)
        );
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let header = format!("t={NOW},v1={}", sign(SECRET, NOW, EVENT));
        let tampered = EVENT.replace("pi_3QxA1b2C3d4E5f6G", "pi_3QxATTACKER00000");
        assert_eq!(
            check(&header, &tampered, &[SECRET]),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn a_changed_timestamp_breaks_the_signature() {
        let header = format!("t={},v1={}", NOW + 1, sign(SECRET, NOW, EVENT));
        assert_eq!(
            check(&header, EVENT, &[SECRET]),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn stale_by_301_seconds_is_refused_and_300_accepted() {
        let t = NOW - 301;
        let header = format!("t={t},v1={}", sign(SECRET, t, EVENT));
        assert_eq!(check(&header, EVENT, &[SECRET]), Err(WebhookError::Stale));
        let t = NOW - 300;
        let header = format!("t={t},v1={}", sign(SECRET, t, EVENT));
        assert!(check(&header, EVENT, &[SECRET]).is_ok());
    }

    #[test]
    fn a_timestamp_too_far_in_the_future_is_refused() {
        let t = NOW + 301;
        let header = format!("t={t},v1={}", sign(SECRET, t, EVENT));
        assert_eq!(check(&header, EVENT, &[SECRET]), Err(WebhookError::Stale));
        let t = NOW + 30;
        let header = format!("t={t},v1={}", sign(SECRET, t, EVENT));
        assert!(check(&header, EVENT, &[SECRET]).is_ok());
    }

    #[test]
    fn a_stale_forgery_is_a_bad_signature() {
        let t = NOW - 3_600;
        let header = format!("t={t},v1={}", sign("whsec_other", t, EVENT));
        assert_eq!(
            check(&header, EVENT, &[SECRET]),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_refused() {
        let good = sign(SECRET, NOW, EVENT);
        for header in [
            String::new(),
            "garbage".into(),
            format!("v1={good}"),
            format!("t={NOW}"),
            format!("t=,v1={good}"),
            format!("t=-5,v1={good}"),
            format!("t=12a,v1={good}"),
            format!("t={NOW},t={NOW},v1={good}"),
            format!("t=99999999999999999999999,v1={good}"),
            format!("t={NOW},v1=not-hex"),
        ] {
            assert_eq!(
                check(&header, EVENT, &[SECRET]),
                Err(WebhookError::MalformedSignature),
                "{header:?}"
            );
        }
    }

    #[test]
    fn spaces_around_items_are_tolerated() {
        let header = format!("t={NOW}, v1={}", sign(SECRET, NOW, EVENT));
        assert!(check(&header, EVENT, &[SECRET]).is_ok());
    }

    #[test]
    fn no_configured_secret_accepts_nothing() {
        let header = format!("t={NOW},v1={}", sign(SECRET, NOW, EVENT));
        assert_eq!(check(&header, EVENT, &[]), Err(WebhookError::BadSignature));
    }

    #[test]
    fn a_signed_body_that_is_not_an_event_is_an_invalid_payload() {
        let body = r#"{"hello":"world"}"#;
        let header = format!("t={NOW},v1={}", sign(SECRET, NOW, body));
        assert!(matches!(
            check(&header, body, &[SECRET]),
            Err(WebhookError::InvalidPayload(_))
        ));
    }
}
