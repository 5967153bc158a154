//! The shopper's session token: HMAC-SHA256 (the access-token key, its own version tag) over a
//! session id, the customer and an expiry. The signature and expiry are checked first; the
//! session item must still exist (signing out deletes it), so a token is revocable.
//!
//! Rotating the key (`ACCESS_TOKEN_SECRET`) ends every session, like every order access token
//! and pay link: shoppers sign in again.

use time::{Duration, OffsetDateTime};

use super::access_token::{open_claims, sign_claims, AccessTokens, TokenError};

pub const SESSION_LIFETIME: Duration = Duration::days(7);
const VERSION: &str = "s1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    pub session_id: String,
    pub customer_id: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct SessionTokens {
    keys: AccessTokens,
}

impl SessionTokens {
    pub fn new(keys: AccessTokens) -> Self {
        Self { keys }
    }

    /// A new session for the customer: its id, token and expiry (whole seconds).
    pub fn issue(&self, customer_id: &str, now: OffsetDateTime) -> (SessionClaims, String) {
        let expires_at = (now + SESSION_LIFETIME)
            .replace_nanosecond(0)
            .unwrap_or(now + SESSION_LIFETIME);
        let claims = SessionClaims {
            session_id: format!("ses_{}", uuid::Uuid::new_v4().simple()),
            customer_id: customer_id.to_string(),
            expires_at,
        };
        let text = format!(
            "{VERSION}.{}.{}.{}",
            claims.session_id,
            claims.customer_id,
            expires_at.unix_timestamp()
        );
        let token = sign_claims(self.keys.keyed_mac(), &text);
        (claims, token)
    }

    /// The claims of a token this key signed, unexpired (the session item is checked apart).
    pub fn open(&self, token: &str, now: OffsetDateTime) -> Result<SessionClaims, TokenError> {
        let text = open_claims(self.keys.keyed_mac(), token)?;
        let mut parts = text.split('.');
        let (Some(VERSION), Some(session_id), Some(customer_id), Some(expiry), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        let expiry: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        if now.unix_timestamp() >= expiry {
            return Err(TokenError::Expired);
        }
        Ok(SessionClaims {
            session_id: session_id.to_string(),
            customer_id: customer_id.to_string(),
            expires_at: OffsetDateTime::from_unix_timestamp(expiry)
                .map_err(|_| TokenError::Malformed)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Reference;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[test]
    fn a_session_token_names_its_session_and_customer_until_it_expires() {
        let keys = AccessTokens::new(b"0123456789abcdef0123456789abcdef");
        let tokens = SessionTokens::new(keys.clone());
        let (claims, token) = tokens.issue("cus_0123456789abcdef0123", now());
        assert_eq!(claims.expires_at - now(), SESSION_LIFETIME);
        assert_eq!(tokens.open(&token, now()), Ok(claims.clone()));
        assert_eq!(
            tokens.open(&token, claims.expires_at),
            Err(TokenError::Expired)
        );
        let other = SessionTokens::new(AccessTokens::new(b"another secret, 32 bytes long!!!"));
        assert_eq!(other.open(&token, now()), Err(TokenError::BadSignature));
        // An order access token is not a session token, nor the reverse.
        let (order_token, _) = keys.issue(&Reference::parse("ORD-1").unwrap(), now());
        assert_eq!(tokens.open(&order_token, now()), Err(TokenError::Malformed));
        assert!(keys
            .verify(&token, &Reference::parse("ORD-1").unwrap(), now())
            .is_err());
    }
}
