//! An authorisation older than the capture window is never captured blindly (issuers may refuse
//! or downgrade it). It is renewed off-session on the card the shopper saved; when there is no
//! saved card, or the issuer wants the shopper present, it is released and the order moves to
//! `requires_reauthorisation` with an email carrying a pay link for what remains.
//!
//! Every PSP call here has a key derived from the lapsed payment, so a retry after a failed
//! commit replays the same charge and the same release instead of making new ones.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::capture_error::CaptureError;
use super::reconcile::reconcile;
use super::settle::{settle, PaymentChange};
use crate::domain::{
    Money, Payment, PaymentMethod, PaymentStatus, PspLink, Release, ReleaseReason,
};
use crate::ports::{
    OrderWithPayments, PaymentProvider, ProviderError, ProviderPayment, ProviderPaymentStatus,
    SavedCardCharge, StoreError, Transactions, Versioned,
};

pub enum Renewal {
    /// A fresh authorisation for what remained, on the saved card: capture from it.
    Renewed(Box<Payment>),
    /// Released; the shopper was asked to pay again.
    ShopperMustPay,
}

pub async fn renew_lapsed_authorisation(
    store: &dyn Transactions,
    provider: &dyn PaymentProvider,
    snapshot: &OrderWithPayments,
    lapsed: &Versioned<Payment>,
    now: OffsetDateTime,
    extra: Vec<crate::ports::Write>,
) -> Result<Renewal, CaptureError> {
    let payment = &lapsed.value;
    let psp_id = payment
        .provider_payment()
        .ok_or(CaptureError::NothingToCapture)?;
    let old = provider.fetch_payment(psp_id).await?;
    // What the PSP no longer holds for us: the rest of a lapsed, cancelled or finally
    // (partially) captured authorisation.
    let remaining = payment.amount - old.amount_received.amount().max(payment.captured_amount);
    let still_ours = match old.status {
        ProviderPaymentStatus::RequiresCapture | ProviderPaymentStatus::Canceled => true,
        ProviderPaymentStatus::Succeeded => remaining > Decimal::ZERO,
        _ => false,
    };
    if !still_ours || remaining <= Decimal::ZERO {
        // Captured or changed elsewhere: nothing of ours to renew.
        return Err(CaptureError::NothingToCapture);
    }
    let remaining_money = Money::new(remaining, payment.currency)
        .map_err(|e| StoreError::Corrupt(format!("remaining authorisation: {e}")))?;

    // Only where the PSP charges saved cards off-session (not MangoPay here).
    let saved = match provider.capabilities().saved_cards {
        true => saved_card_of(provider, &old).await?,
        false => None,
    };
    let renewed = match saved {
        Some((customer, payment_method)) => {
            let charge = SavedCardCharge {
                capture_at_once: false,
                order_reference: payment.order_reference.clone(),
                payment_id: payment.replacement_id(),
                amount: remaining_money,
                customer,
                payment_method,
                off_session: true,
                return_url: None,
                shopper_confirms: false,
                three_d_secure: crate::domain::three_d_secure::ThreeDSecureRequest::Automatic,
                idempotency_key: format!("renew-{}", payment.id),
            };
            match provider.charge_saved_card(&charge).await {
                Ok(fresh) if fresh.status == ProviderPaymentStatus::RequiresCapture => Some(fresh),
                Ok(fresh) => {
                    // Waiting for the shopper (3-D Secure): nobody will come; close it.
                    provider
                        .cancel(&fresh.id, &format!("renew-close-{}", payment.id))
                        .await?;
                    None
                }
                Err(ProviderError::Declined(_) | ProviderError::AuthenticationRequired(_)) => None,
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };

    let released = if old.status == ProviderPaymentStatus::RequiresCapture {
        provider
            .cancel(psp_id, &format!("release-{}", payment.id))
            .await?
    } else {
        old
    };
    let reason = if renewed.is_some() {
        ReleaseReason::Replaced
    } else {
        ReleaseReason::Lapsed
    };
    let mut closed = reconcile(payment, &released, now).unwrap_or_else(|| payment.clone());
    closed.released = Some(Release {
        amount: remaining,
        reason,
    });
    closed.updated_at = now;
    let mut changes = vec![PaymentChange {
        payment: closed,
        expected_version: Some(lapsed.version),
    }];
    let renewal = match renewed {
        Some(fresh) => {
            let replacement = Payment {
                id: payment.replacement_id(),
                method: PaymentMethod::SavedCard {
                    payment_method: fresh.payment_method.clone().unwrap_or_default(),
                },
                status: PaymentStatus::Authorised,
                amount: remaining,
                psp: Some(PspLink {
                    provider: provider.name().to_string(),
                    payment: Some(fresh.id.clone()),
                    hosted_session: None,
                    multicapture: fresh.multicapture,
                    card_form: None,
                }),
                captured_amount: Decimal::ZERO,
                refunded_amount: Decimal::ZERO,
                shipped_amount: Decimal::ZERO,
                shipped_at: None,
                released: None,
                failure_code: None,
                created_at: now,
                updated_at: now,
                expires_at: now,
                authorised_at: Some(now),
                dispute: None,
                review: None,
                capture: Default::default(),
                due_on: None,
                ..payment.clone()
            };
            changes.push(PaymentChange {
                payment: replacement.clone(),
                expected_version: None,
            });
            tracing::info!(
                lapsed = %payment.id, renewal = %replacement.id,
                "authorisation renewed off-session on the saved card"
            );
            Renewal::Renewed(Box::new(replacement))
        }
        None => {
            tracing::warn!(
                order = %payment.order_reference, lapsed = %payment.id,
                "authorisation lapsed and could not be renewed; shopper asked to pay again"
            );
            Renewal::ShopperMustPay
        }
    };
    let settled = settle(snapshot, &snapshot.order.value, changes, now);
    let mut writes = settled.into_writes(snapshot.order.version, false);
    writes.extend(extra);
    match store.transact(writes).await {
        Ok(()) => Ok(renewal),
        // A retry replays the same PSP calls (same keys) and commits from a fresh read.
        Err(StoreError::AlreadyExists(_) | StoreError::VersionConflict(_)) => {
            Err(CaptureError::InProgress)
        }
        Err(e) => Err(e.into()),
    }
}

/// The card the lapsed payment was made with, if the shopper let us keep it.
async fn saved_card_of(
    provider: &dyn PaymentProvider,
    old: &ProviderPayment,
) -> Result<Option<(String, String)>, CaptureError> {
    let (Some(customer), Some(method)) = (&old.customer, &old.payment_method) else {
        return Ok(None);
    };
    let saved = provider.list_saved_cards(customer).await?;
    Ok(saved
        .iter()
        .any(|card| &card.payment_method == method)
        .then(|| (customer.clone(), method.clone())))
}
