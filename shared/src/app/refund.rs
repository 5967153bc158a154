//! Back office: refund part or all of what was captured, back to the card. Idempotent on the
//! caller's Idempotency-Key; the refund is confirmed (and the order moved) from the PSP's state.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::apply_psp_state::{apply_psp_state, Context};
use super::idempotency::{completion, run_once, Refusal};
use super::refund_local::{refund_locally, RefundAsk, RefundTo};
use super::validate::optional_text;
use crate::domain::{FieldError, Money, Reference};
use crate::ports::{
    Clock, IdempotencyKey, ProviderError, ProviderRegistry, Store, StoreError, StoredResponse,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundCommand {
    pub amount: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// `original` (default), `tenders` or `credit_balance` (`refund_local::RefundTo`).
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("order not found")]
    NotFound,
    #[error("nothing captured to refund")]
    NothingToRefund,
    /// What is captured is disputed (a chargeback not won): the bank, not the seller, decides.
    #[error("the captured payment is disputed")]
    Disputed,
    #[error("a request with this Idempotency-Key is still running")]
    InProgress,
    #[error("this Idempotency-Key was used with another body")]
    KeyReused,
    #[error("payment provider: {0}")]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The PSP's Idempotency-Key for this refund. Stripe accepts at most 255 characters and ours
/// may be 255 on their own: a longer one is replaced by its SHA-256 (same key, same digest).
fn psp_idempotency_key(reference: &Reference, key: &str) -> String {
    let plain = format!("refund-{reference}-{key}");
    if plain.len() <= 255 {
        return plain;
    }
    format!(
        "refund-{reference}-sha256-{:x}",
        Sha256::digest(key.as_bytes())
    )
}

pub struct RefundPayment {
    store: Arc<dyn Store>,
    providers: Arc<ProviderRegistry>,
    clock: Arc<dyn Clock>,
}

impl RefundPayment {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<ProviderRegistry>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
        }
    }

    pub async fn refund(
        &self,
        reference: &Reference,
        idempotency_key: &str,
        body: &[u8],
        command: RefundCommand,
        in_progress_until: OffsetDateTime,
    ) -> Result<StoredResponse, RefundError> {
        let reason = optional_text("reason", command.reason.as_deref(), 500)?;
        let to = RefundTo::parse(command.to.as_deref())?;
        let now = self.clock.now();
        let key = IdempotencyKey {
            scope: format!("refunds#{reference}"),
            key: idempotency_key.to_string(),
        };
        let request_hash = format!("{:x}", Sha256::digest(body));
        run_once(
            self.store.as_ref(),
            &key,
            &request_hash,
            in_progress_until,
            now,
            |refusal| match refusal {
                Refusal::InProgress => RefundError::InProgress,
                Refusal::Mismatch => RefundError::KeyReused,
            },
            || {
                self.refund_claimed(
                    reference,
                    &key,
                    &request_hash,
                    &command.amount,
                    RefundAsk { to, reason },
                    now,
                )
            },
        )
        .await
    }

    async fn refund_claimed(
        &self,
        reference: &Reference,
        key: &IdempotencyKey,
        request_hash: &str,
        amount: &str,
        ask: RefundAsk,
        now: OffsetDateTime,
    ) -> Result<StoredResponse, RefundError> {
        let RefundAsk { to, reason } = ask;
        let snapshot = self
            .store
            .get_order_with_payments(reference)
            .await?
            .ok_or(RefundError::NotFound)?;
        // No PSP for the tenders or the credit balance; nor for `original` when no PSP was
        // ever paid for the order (its tenders are what it came from). Whether one was does
        // not change with time (captures never go back), so a retry takes the same path.
        let psp_paid = snapshot.payments.iter().any(|p| {
            p.value.captured_amount > Decimal::ZERO && p.value.provider_payment().is_some()
        });
        if to != RefundTo::Original || !psp_paid {
            let amount = snapshot
                .order
                .value
                .currency
                .parse_amount(amount)
                .map_err(|e| RefundError::Invalid(FieldError::new("amount", e.to_string())))?;
            return refund_locally(
                self.store.as_ref(),
                snapshot,
                RefundAsk { to, reason },
                amount,
                key,
                request_hash,
                now,
            )
            .await;
        }
        // The newest payment with something captured takes the refund. A retry whose first
        // attempt went to another payment (a newer one was captured since) finds it: the PSP
        // says the key belongs to another payment (no money moves), and the next candidate
        // that replays it is the one.
        let candidates: Vec<&crate::domain::Payment> = snapshot
            .payments
            .iter()
            .rev()
            .map(|p| &p.value)
            // A PSP's money: a voucher, the credit or on account is not refunded at a PSP
            // (`to: tenders` gives them back).
            .filter(|p| p.captured_amount > Decimal::ZERO && p.provider_payment().is_some())
            .collect();
        if candidates.is_empty() {
            return Err(RefundError::NothingToRefund);
        }
        let candidates: Vec<&crate::domain::Payment> = candidates
            .into_iter()
            .filter(|p| !p.dispute.as_ref().is_some_and(|d| d.blocks_refund()))
            .collect();
        let newest = *candidates.first().ok_or(RefundError::Disputed)?;
        let amount = newest.parse_amount_field(amount)?;
        let mut outcome = Err(refusal(newest, amount));
        for payment in &candidates {
            match self.refund_on(payment, amount, reference, key).await {
                // Not this payment's key, or more than it ever captured: maybe an older one.
                Err(e @ RefundError::Provider(ProviderError::IdempotencyConflict)) => {
                    outcome = Err(e)
                }
                // Charged back before its webhook reached us: the same answer as once it has.
                Err(RefundError::Provider(ProviderError::Disputed(_))) => {
                    outcome = Err(RefundError::Disputed);
                    break;
                }
                Err(_) if amount > payment.captured_amount => {}
                other => {
                    outcome = other.map(|done| (*payment, done));
                    break;
                }
            }
        }
        let (payment, (refund, provider)) = outcome?;
        let provider_id = payment
            .provider_payment()
            .map(str::to_owned)
            .ok_or(RefundError::NothingToRefund)?;
        // The reason is the seller's free text: never logged, only whether one was given.
        tracing::info!(refund = %refund.id, payment = %payment.id, reason_given = reason.is_some(), "refund requested");
        let fresh = provider.fetch_payment(&provider_id).await?;
        let state = match refund.state {
            crate::ports::RefundState::Pending => "pending",
            crate::ports::RefundState::Succeeded => "succeeded",
            crate::ports::RefundState::Failed => "failed",
            crate::ports::RefundState::Canceled => "canceled",
        };
        let response = StoredResponse {
            status: 201,
            body: serde_json::json!({
                "refund": {
                    "id": refund.id,
                    "payment_id": payment.id,
                    "amount": payment.currency.format(amount),
                    "currency": payment.currency.code(),
                    "status": state,
                    "to": "original",
                    "reason": reason,
                }
            })
            .to_string(),
        };
        let completion = || vec![completion(key, request_hash, &response, now)];
        apply_psp_state(
            self.store.as_ref(),
            Some(snapshot.clone()),
            reference,
            &payment.id,
            &fresh,
            Context::default(),
            now,
            &completion,
        )
        .await?;
        Ok(response)
    }
}

/// Why `amount` cannot be refunded on `payment`: nothing left, or more than is left.
fn refusal(payment: &crate::domain::Payment, amount: Decimal) -> RefundError {
    // What went to the credit balance instead is not the PSP's to refund again.
    let refundable = payment.refundable();
    if refundable <= Decimal::ZERO && amount > Decimal::ZERO {
        return RefundError::NothingToRefund;
    }
    payment
        .amount_out_of_bounds(refundable, "refundable")
        .into()
}

impl RefundPayment {
    /// Asks the payment's PSP for the refund under the request's key.
    async fn refund_on(
        &self,
        payment: &crate::domain::Payment,
        amount: Decimal,
        reference: &Reference,
        key: &IdempotencyKey,
    ) -> Result<
        (
            crate::ports::ProviderRefund,
            std::sync::Arc<dyn crate::ports::PaymentProvider>,
        ),
        RefundError,
    > {
        let refundable = payment.refundable();
        if amount <= Decimal::ZERO || amount > payment.captured_amount - payment.credited_amount {
            return Err(refusal(payment, amount));
        }
        // Above what is left here, the request can only be the retry of a refund that went
        // through at the PSP (its answer lost, a webhook recorded it since): the PSP replays
        // it under the same key, or refuses a new one, since it never refunds more than was
        // captured.
        // What was credited to the balance is not the PSP's to know of: past what is left,
        // nothing is sent to it when part of this payment went to the credit balance.
        if payment.credited_amount > Decimal::ZERO && amount > refundable {
            return Err(refusal(payment, amount));
        }
        let maybe_done = amount > refundable;
        let provider_id = payment
            .provider_payment()
            .ok_or(RefundError::NothingToRefund)?;
        let money = Money::new(amount, payment.currency)
            .map_err(|e| StoreError::Corrupt(format!("refund amount: {e}")))?;
        let provider = self
            .providers
            .for_payment(payment)
            .map_err(ProviderError::from)?
            .clone();
        match provider
            .refund(
                provider_id,
                money,
                &psp_idempotency_key(reference, &key.key),
            )
            .await
        {
            Err(ProviderError::InvalidRequest(_)) if maybe_done => Err(refusal(payment, amount)),
            Ok(refund) => Ok((refund, provider)),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psp_keys_stay_within_stripes_limit_and_stable() {
        let reference = Reference::parse("ORD-10043").unwrap();
        assert_eq!(
            psp_idempotency_key(&reference, "r-1"),
            "refund-ORD-10043-r-1"
        );
        let long = "k".repeat(255);
        let key = psp_idempotency_key(&reference, &long);
        assert!(key.len() <= 255, "{}", key.len());
        assert_eq!(key, psp_idempotency_key(&reference, &long));
        assert_ne!(key, psp_idempotency_key(&reference, &"k".repeat(254)));
    }
}
