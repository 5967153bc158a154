//! The pay token of a quote's "Pay now" link: HMAC-SHA256 over the order reference and an
//! expiry (the quote's), so the link opens that order without its postcode, and is never
//! locked out by anyone's wrong guesses. Stateless, like the access token, with the same key
//! but its own version tag, so neither passes for the other.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use super::access_token::{open_claims, sign_claims};
use super::TokenError;
use crate::domain::{Order, Reference};

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "p1";
/// How long the link of a quote without an expiry stays valid.
pub const DEFAULT_PAY_LINK_LIFETIME: Duration = Duration::days(60);

#[derive(Clone)]
pub struct PayTokens {
    keyed: HmacSha256,
}

impl std::fmt::Debug for PayTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayTokens { secret: <redacted> }")
    }
}

impl PayTokens {
    /// The access-token secret (at least 32 random bytes).
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            keyed: HmacSha256::new_from_slice(secret.as_ref()).expect("HMAC takes any key length"),
        }
    }

    /// With the key of these access tokens.
    pub fn with_key_of(tokens: &super::AccessTokens) -> Self {
        Self {
            keyed: tokens.keyed_mac(),
        }
    }

    /// Until when an order's link opens it: the quote's expiry, or 60 days after creation.
    pub fn valid_until(order: &Order) -> OffsetDateTime {
        order
            .expires_at
            .unwrap_or(order.created_at + DEFAULT_PAY_LINK_LIFETIME)
    }

    /// The order's pay token: the same for the same order (a GET gives the link again).
    pub fn issue(&self, order: &Order) -> String {
        let claims = format!(
            "{VERSION}.{}.{}",
            order.reference,
            Self::valid_until(order).unix_timestamp()
        );
        sign_claims(self.keyed.clone(), &claims)
    }

    /// The order a pay token opens, if it is ours and not expired.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Reference, TokenError> {
        let claims = open_claims(self.keyed.clone(), token)?;
        let mut parts = claims.split('.');
        let (Some(VERSION), Some(reference), Some(expiry), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let expiry: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        if now.unix_timestamp() >= expiry {
            return Err(TokenError::Expired);
        }
        Reference::parse(reference).map_err(|_| TokenError::Malformed)
    }
}

/// The quote's "Pay now" link: the pay page with the order's reference and pay token.
#[derive(Clone, Debug)]
pub struct PayLinks {
    pub tokens: PayTokens,
    pub page: super::notify::PayPage,
}

impl PayLinks {
    /// `…/pay?ref=ORD-10042&t=<pay token>` (the token is URL-safe base64 and a dot).
    pub fn link_for(&self, order: &Order) -> String {
        format!(
            "{}&t={}",
            self.page.link_for(&order.reference),
            self.tokens.issue(order)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AccessTokens;

    #[test]
    fn a_pay_token_opens_its_order_until_the_quote_expires_and_nothing_else() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let tokens = PayTokens::new(secret);
        let mut order = crate::domain::order::tests::sample_order("ORD-10042");
        let now = order.created_at;
        order.expires_at = Some(now + Duration::days(10));
        let token = tokens.issue(&order);
        assert_eq!(token, tokens.issue(&order), "the same link every time");
        assert!(token.len() > 60, "high entropy: a 256-bit signature");
        assert_eq!(
            tokens.verify(&token, now).map(|r| r.to_string()),
            Ok("ORD-10042".into())
        );
        assert_eq!(
            tokens.verify(&token, now + Duration::days(10)),
            Err(TokenError::Expired)
        );
        let forged = PayTokens::new(b"another secret, 32 bytes long!!!");
        assert_eq!(forged.verify(&token, now), Err(TokenError::BadSignature));
        // An access token is not a pay token, nor the other way round.
        let (access, _) = AccessTokens::new(secret).issue(&order.reference, now);
        assert_eq!(tokens.verify(&access, now), Err(TokenError::Malformed));
        assert!(AccessTokens::new(secret)
            .verify(&token, &order.reference, now)
            .is_err());
        order.expires_at = None;
        assert_eq!(
            PayTokens::valid_until(&order),
            order.created_at + DEFAULT_PAY_LINK_LIFETIME
        );
    }
}
