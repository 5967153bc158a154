//! Properties of the Stripe-Signature check and the lenient event parser: arbitrary bytes and
//! headers never panic; a valid signature is accepted for its exact payload only, within the
//! tolerance only, and with the right secret only.

use std::time::Duration;

use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;
use time::OffsetDateTime;

use super::verify;
use crate::ports::WebhookError;

const TOLERANCE: Duration = Duration::from_secs(300);
const NOW: i64 = 1_800_000_000;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap()
}

fn header(secret: &str, t: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Event-shaped JSON with arbitrary values where Stripe puts ids, types and objects.
fn event_like() -> impl Strategy<Value = Vec<u8>> {
    let scalar = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "\\PC{0,24}".prop_map(serde_json::Value::from),
        "(pi|cs_test|re|evt|ch)_[a-zA-Z0-9]{0,24}".prop_map(serde_json::Value::from),
    ];
    let object = prop::collection::btree_map(
        prop_oneof![
            Just("id".to_string()),
            Just("object".to_string()),
            Just("payment_intent".to_string()),
            Just("status".to_string()),
            "[a-z_]{1,12}"
        ],
        scalar.clone(),
        0..6,
    )
    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()));
    (
        scalar.clone(),
        prop_oneof![
            Just("payment_intent.amount_capturable_updated".to_string()),
            Just("checkout.session.completed".to_string()),
            Just("charge.refunded".to_string()),
            "\\PC{0,30}"
        ],
        object,
        any::<i64>(),
    )
        .prop_map(|(id, kind, object, created)| {
            serde_json::json!({"id": id, "type": kind, "created": created, "data": {"object": object}})
                .to_string()
                .into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_payloads_and_headers_never_panic(
        payload in prop::collection::vec(any::<u8>(), 0..512),
        signature in "\\PC{0,200}",
        at in any::<i64>(),
    ) {
        let secrets = vec!["whsec_a".to_string(), String::new()];
        let _ = verify(&payload, &signature, now(), &secrets, TOLERANCE);
        // Stripe-shaped headers with extreme or malformed timestamps and signatures.
        let shaped = format!("t={at},v1={signature},v0=00,t1=");
        let _ = verify(&payload, &shaped, now(), &secrets, TOLERANCE);
        let _ = super::super::transformers::parse_event(&payload);
    }

    #[test]
    fn event_shaped_payloads_parse_or_fail_cleanly(payload in event_like()) {
        let _ = super::super::transformers::parse_event(&payload);
        let signed = header("whsec_a", NOW, &payload);
        match verify(&payload, &signed, now(), &["whsec_a".into()], TOLERANCE) {
            Ok(event) => prop_assert!(!event.id.is_empty()),
            Err(e) => prop_assert!(matches!(e, WebhookError::InvalidPayload(_)), "{e:?}"),
        }
    }

    #[test]
    fn a_valid_signature_holds_for_its_exact_payload_only(
        payload in event_like(),
        secret in "whsec_[a-zA-Z0-9]{1,40}",
        other_secret in "whsec_[a-zA-Z0-9]{1,40}",
        skew in -300i64..=300,
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let t = NOW + skew;
        let signed = header(&secret, t, &payload);
        let secrets = vec![secret.clone()];
        let accepted = verify(&payload, &signed, now(), &secrets, TOLERANCE);
        prop_assert!(
            !matches!(accepted, Err(WebhookError::BadSignature | WebhookError::Stale | WebhookError::MalformedSignature)),
            "{accepted:?}"
        );
        // One bit changed anywhere in the payload: refused.
        let mut tampered = payload.clone();
        let i = flip.index(tampered.len());
        tampered[i] ^= 1 << bit;
        prop_assert_eq!(
            verify(&tampered, &signed, now(), &secrets, TOLERANCE),
            Err(WebhookError::BadSignature)
        );
        // Signed with another secret: refused.
        if other_secret != secret {
            let forged = header(&other_secret, t, &payload);
            prop_assert_eq!(
                verify(&payload, &forged, now(), &secrets, TOLERANCE),
                Err(WebhookError::BadSignature)
            );
        }
        // The same signature moved to another timestamp: refused (t is signed).
        let moved = signed.replacen(&format!("t={t}"), &format!("t={}", t + 1), 1);
        prop_assert_eq!(
            verify(&payload, &moved, now(), &secrets, TOLERANCE),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn a_valid_signature_outside_the_tolerance_is_stale(
        payload in event_like(),
        age in 301i64..1_000_000,
        future in any::<bool>(),
    ) {
        let t = if future { NOW + age } else { NOW - age };
        let signed = header("whsec_a", t, &payload);
        prop_assert_eq!(
            verify(&payload, &signed, now(), &["whsec_a".into()], TOLERANCE),
            Err(WebhookError::Stale)
        );
    }
}
