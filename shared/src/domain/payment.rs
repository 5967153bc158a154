//! A payment attempt on an order: what the shopper started, what the PSP says of it, and how
//! much of it was captured and refunded.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Currency, FieldError, Reference};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A card on the PSP's hosted page.
    Card,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Opened at the PSP; the shopper has not finished yet.
    Created,
    /// 3-D Secure or another shopper step is pending.
    RequiresAction,
    Authorised,
    PartiallyCaptured,
    Captured,
    Failed,
    Cancelled,
    Expired,
    PartiallyRefunded,
    Refunded,
}

impl PaymentStatus {
    /// Still waiting for the shopper: can be resumed or deleted.
    pub fn is_unfinished(self) -> bool {
        matches!(self, PaymentStatus::Created | PaymentStatus::RequiresAction)
    }

    pub fn as_str(self) -> &'static str {
        use PaymentStatus::*;
        match self {
            Created => "created",
            RequiresAction => "requires_action",
            Authorised => "authorised",
            PartiallyCaptured => "partially_captured",
            Captured => "captured",
            Failed => "failed",
            Cancelled => "cancelled",
            Expired => "expired",
            PartiallyRefunded => "partially_refunded",
            Refunded => "refunded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Ours: `pay_<32 hex>`.
    pub id: String,
    pub order_reference: Reference,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub amount: Decimal,
    pub currency: Currency,
    /// "stripe".
    pub provider: String,
    /// The PSP's payment id (Stripe PaymentIntent), once there is one.
    pub provider_reference: Option<String>,
    /// The PSP's hosted page (Stripe Checkout Session) the shopper is sent to.
    pub hosted_session: Option<String>,
    pub captured_amount: Decimal,
    pub refunded_amount: Decimal,
    /// The PSP's reason for the last failure (`card_declined`, `insufficient_funds`, …).
    pub failure_code: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When an unfinished attempt stops being payable.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When we learned of the authorisation: the capture window runs from here.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub authorised_at: Option<OffsetDateTime>,
}

impl Payment {
    pub fn new_id() -> String {
        format!("pay_{}", uuid::Uuid::new_v4().simple())
    }

    /// A request's `amount` (capture, refund) in this payment's currency.
    pub fn parse_amount_field(&self, text: &str) -> Result<Decimal, FieldError> {
        self.currency
            .parse_amount(text)
            .map_err(|e| FieldError::new("amount", e.to_string()))
    }

    /// The refusal of an `amount` outside (0, `limit`], `limit` being what is still `what`
    /// ("authorised", "refundable").
    pub fn amount_out_of_bounds(&self, limit: Decimal, what: &str) -> FieldError {
        FieldError::new(
            "amount",
            format!(
                "must be above 0 and at most the {} still {what}",
                self.currency.format(limit.max(Decimal::ZERO))
            ),
        )
    }
}
