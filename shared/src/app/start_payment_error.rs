//! What starting a payment can answer besides a payment, and the Idempotency-Key check that
//! every money-moving POST shares.

use time::OffsetDateTime;

use super::start_payment::MAX_PAYMENT_ATTEMPTS;
use super::start_payment_method::OpenedAtPsp;
use super::TokenError;
use crate::domain::{FieldError, OrderStatus};
use crate::ports::{ProviderError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartPaymentError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    /// A voucher or promo code is not valid here (counted against the order and the client
    /// address already): the same 422 as `Invalid`.
    #[error("wrong code: {0}")]
    WrongCode(FieldError),
    #[error("missing or invalid access token")]
    Unauthorized(Option<TokenError>),
    #[error("missing or invalid Idempotency-Key")]
    BadIdempotencyKey,
    #[error("a request with this Idempotency-Key is still running")]
    InProgress,
    #[error("this Idempotency-Key was used with another body")]
    KeyReused,
    #[error("order not found")]
    NotFound,
    #[error("the order cannot be paid now ({0:?})")]
    NotPayable(OrderStatus),
    /// The quote is past its `expires_at`.
    #[error("the quote expired at {0}")]
    Expired(OffsetDateTime),
    #[error("this order has had {MAX_PAYMENT_ATTEMPTS} payment attempts already")]
    TooManyAttempts,
    #[error("the order changed while the payment started; retry")]
    Conflict,
    /// Too many wrong voucher codes were tried on this order.
    #[error("too many wrong voucher codes on this order")]
    TooManyCodeAttempts,
    /// Too many wrong codes came from this client address this hour (across orders).
    #[error("too many wrong codes from this client; retry after {retry_after_seconds} s")]
    TooManyCodeAttemptsFromClient { retry_after_seconds: u64 },
    /// A voucher or balance this checkout counted on was spent meanwhile.
    #[error("a voucher or balance changed while the payment started")]
    TendersChanged,
    /// Internal: the commit lost a race after `opened` was opened at the PSP (retried).
    #[error("concurrent change after opening {opened:?}")]
    Raced { opened: OpenedAtPsp },
    /// The shopper finished the old attempt after all (another tab): wait for its outcome.
    #[error("the previous attempt was just completed; its outcome is on its way")]
    AttemptCompleted,
    #[error("no such payment")]
    PaymentNotFound,
    /// SEPA refused for this purchase (mandate, suspension, score or cap).
    #[error("SEPA refused: {0}")]
    Sepa(crate::domain::sepa::PurchaseRefusal),
    #[error(transparent)]
    ScoreUnavailable(crate::ports::ScoreUnavailable),
    #[error("payment provider: {0}")]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// 1–255 visible ASCII characters, as api.md says.
pub fn parse_idempotency_key(raw: Option<&str>) -> Result<String, StartPaymentError> {
    match raw.map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(k.to_string())
        }
        _ => Err(StartPaymentError::BadIdempotencyKey),
    }
}
