//! Why a capture (or the renewal of a lapsed authorisation on its way) did not happen.

use crate::domain::FieldError;
use crate::ports::{ProviderError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("order not found")]
    NotFound,
    #[error("nothing authorised to capture")]
    NothingToCapture,
    #[error("the authorisation lapsed and the saved card could not renew it; the shopper was asked to pay again")]
    RequiresReauthorisation,
    #[error("this shipment is being captured right now")]
    InProgress,
    /// The order waits for the seller's fraud review: approve it first.
    #[error("the order is under fraud review")]
    UnderReview,
    #[error("this shipment id was already used with another amount")]
    ShipmentReused,
    #[error("payment provider: {0}")]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CaptureError {
    /// Worth redelivering the message later (vs a message that will never succeed).
    pub fn is_transient(&self) -> bool {
        match self {
            CaptureError::InProgress => true,
            CaptureError::Provider(e) => {
                matches!(
                    e,
                    ProviderError::Unavailable(_) | ProviderError::RateLimited
                )
            }
            CaptureError::Store(e) => !matches!(e, StoreError::Corrupt(_)),
            _ => false,
        }
    }
}
