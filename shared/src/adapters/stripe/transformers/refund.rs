//! Refunds: `POST /v1/refunds`, `GET /v1/refunds/{id}`.

use serde::Deserialize;

use super::{currency, field, money, wire_amount, Expandable, Form, ObjectId, WireError};
use crate::domain::Money;
use crate::ports::{ProviderError, ProviderRefund, RefundState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    /// Some payment methods need the customer to act; still in progress for us.
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
    /// Anything newer is treated as in progress: the refund gets re-fetched later.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    /// Null for refunds of charges made without a PaymentIntent (never ours).
    #[serde(default)]
    pub payment_intent: Option<Expandable<ObjectId>>,
    #[serde(default)]
    pub status: Option<RefundStatus>,
}

impl Refund {
    pub fn into_refund(self) -> Result<ProviderRefund, WireError> {
        let payment = self
            .payment_intent
            .map(|p| p.id().to_owned())
            .ok_or_else(|| WireError(format!("refund {} has no payment intent", self.id)))?;
        let state = match self.status {
            Some(RefundStatus::Succeeded) => RefundState::Succeeded,
            Some(RefundStatus::Failed) => RefundState::Failed,
            Some(RefundStatus::Canceled) => RefundState::Canceled,
            Some(RefundStatus::Pending | RefundStatus::RequiresAction | RefundStatus::Unknown)
            | None => RefundState::Pending,
        };
        Ok(ProviderRefund {
            amount: money(self.amount, currency(&self.currency)?)?,
            id: self.id,
            payment,
            state,
        })
    }
}

pub fn refund_form(payment_intent: &str, amount: &Money) -> Result<Form, ProviderError> {
    let (amount, _) = wire_amount(amount)?;
    Ok(vec![
        field("payment_intent", payment_intent),
        field("amount", amount),
    ])
}
