//! The shopper's order access token: HMAC-SHA256 over the reference and an expiry, so it opens
//! one order for 30 minutes and nothing else. Stateless: no store read to verify it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::domain::Reference;

type HmacSha256 = Hmac<Sha256>;

pub const TOKEN_LIFETIME: Duration = Duration::minutes(30);
const VERSION: &str = "v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
    #[error("token is for another order")]
    WrongOrder,
    #[error("token expired")]
    Expired,
}

#[derive(Clone)]
pub struct AccessTokens {
    /// Keyed once at init; cloned per token (cheap, no re-hashing of the key).
    keyed: HmacSha256,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessTokens { secret: <redacted> }")
    }
}

impl AccessTokens {
    /// The secret should be at least 32 random bytes; config refuses shorter ones.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            // Init only; HMAC accepts keys of any length, so this cannot fail.
            keyed: HmacSha256::new_from_slice(secret.as_ref()).expect("HMAC takes any key length"),
        }
    }

    fn mac(&self) -> HmacSha256 {
        self.keyed.clone()
    }

    /// The keyed HMAC, for the pay tokens (same key, their own version tag).
    pub(crate) fn keyed_mac(&self) -> HmacSha256 {
        self.keyed.clone()
    }

    /// Returns the token and its expiry.
    pub fn issue(&self, reference: &Reference, now: OffsetDateTime) -> (String, OffsetDateTime) {
        // Whole seconds: the signed expiry and the advertised one must be the same instant.
        let expires_at = (now + TOKEN_LIFETIME)
            .replace_nanosecond(0)
            .unwrap_or(now + TOKEN_LIFETIME);
        let claims = format!("{VERSION}.{}.{}", reference, expires_at.unix_timestamp());
        let token = sign_claims(self.mac(), &claims);
        (token, expires_at)
    }

    pub fn verify(
        &self,
        token: &str,
        reference: &Reference,
        now: OffsetDateTime,
    ) -> Result<(), TokenError> {
        let claims = open_claims(self.mac(), token)?;
        let mut parts = claims.split('.');
        let (Some(VERSION), Some(token_reference), Some(expiry), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if token_reference != reference.as_str() {
            return Err(TokenError::WrongOrder);
        }
        let expiry: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        if now.unix_timestamp() >= expiry {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

/// `<claims, base64url>.<HMAC-SHA256 of them, base64url>`.
pub(crate) fn sign_claims(mut mac: HmacSha256, claims: &str) -> String {
    mac.update(claims.as_bytes());
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The claims of a token `sign_claims` made with this key (constant-time comparison).
pub(crate) fn open_claims(mut mac: HmacSha256, token: &str) -> Result<String, TokenError> {
    if token.len() > 512 {
        return Err(TokenError::Malformed);
    }
    let (claims_b64, signature_b64) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let claims = URL_SAFE_NO_PAD
        .decode(claims_b64)
        .map_err(|_| TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| TokenError::Malformed)?;
    mac.update(&claims);
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    String::from_utf8(claims).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[test]
    fn token_opens_one_order_for_thirty_minutes() {
        let tokens = AccessTokens::new(b"0123456789abcdef0123456789abcdef");
        let reference = Reference::parse("ORD-10042").unwrap();
        let other = Reference::parse("ORD-10043").unwrap();
        let (token, expires_at) = tokens.issue(&reference, now());
        assert_eq!(expires_at - now(), Duration::minutes(30));
        let odd = now() + Duration::milliseconds(1500);
        let (_, expiry) = tokens.issue(&reference, odd);
        assert_eq!(expiry.nanosecond(), 0);
        assert!(tokens
            .verify(
                &tokens.issue(&reference, odd).0,
                &reference,
                expiry - Duration::milliseconds(1)
            )
            .is_ok());
        assert_eq!(tokens.verify(&token, &reference, now()), Ok(()));
        assert_eq!(
            tokens.verify(&token, &other, now()),
            Err(TokenError::WrongOrder)
        );
        assert_eq!(
            tokens.verify(&token, &reference, expires_at),
            Err(TokenError::Expired)
        );
        let forged = AccessTokens::new(b"another secret, 32 bytes long!!!");
        assert_eq!(
            forged.verify(&token, &reference, now()),
            Err(TokenError::BadSignature)
        );
        let mut tampered = token.clone();
        tampered.insert(3, 'x');
        assert!(tokens.verify(&tampered, &reference, now()).is_err());
        assert_eq!(
            tokens.verify("garbage", &reference, now()),
            Err(TokenError::Malformed)
        );
    }
}
