//! Charging one scheduled instalment on its due date, off-session on the card its plan's first
//! instalment was paid with, taken at once. The outcome is committed through `settle`, so a
//! refusal schedules its retry and emails the shopper by the plan's own rules (the same as when
//! the PSP's webhook records it first).
//!
//! The PSP call's key is derived from the instalment, so a run that dies after the charge and
//! runs again gets the same PaymentIntent back instead of charging twice.

use time::OffsetDateTime;

use super::reconcile::reconcile;
use super::settle::{settle, PaymentChange};
use crate::domain::{Money, Payment, PaymentStatus};
use crate::ports::{
    OrderWithPayments, PaymentProvider, PaymentWrites, ProviderError, ProviderPaymentStatus,
    ProviderRegistry, SavedCardCharge, StoreError,
};

/// What became of one due instalment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collected {
    /// Charged (or accepted and processing).
    Charged,
    /// The bank refused it: retried later if retries are left; the shopper was emailed.
    Refused,
    /// The bank wants the shopper present: the shopper was emailed a pay link.
    NeedsShopper,
    /// Not owed any more (order cancelled, plan abandoned, paid otherwise): cancelled here,
    /// nothing charged.
    Cancelled,
    /// Already handled (another run, or the webhook recorded it first).
    AlreadyDone,
    /// The PSP or the store could not answer now: left on the list for the next run.
    Deferred,
}

const ATTEMPTS: u32 = 3;

/// Collects `due` (as listed), re-reading its order first: the list is only a hint.
pub async fn collect_instalment(
    store: &dyn PaymentWrites,
    providers: &ProviderRegistry,
    due: &Payment,
    now: OffsetDateTime,
) -> Collected {
    match try_collect(store, providers, due, now).await {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::warn!(
                payment = %due.id, error = %error,
                "instalment not collected now; the next run tries again"
            );
            Collected::Deferred
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum CollectError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("payment provider: {0}")]
    Provider(#[from] ProviderError),
}

async fn try_collect(
    store: &dyn PaymentWrites,
    providers: &ProviderRegistry,
    due: &Payment,
    now: OffsetDateTime,
) -> Result<Collected, CollectError> {
    let Some(snapshot) = store.get_order_with_payments(&due.order_reference).await? else {
        return Ok(Collected::AlreadyDone);
    };
    let Some(stored) = find(&snapshot, &due.id) else {
        return Ok(Collected::AlreadyDone);
    };
    if stored.status != PaymentStatus::Scheduled {
        return Ok(Collected::AlreadyDone);
    }
    let outcome = match still_owed(&snapshot, &stored) {
        Owed::No => {
            let mut cancelled = stored.clone();
            cancelled.status = PaymentStatus::Cancelled;
            cancelled.updated_at = now;
            (cancelled, Collected::Cancelled)
        }
        Owed::NotYet => return Ok(Collected::AlreadyDone),
        Owed::Yes => {
            let provider = providers
                .for_payment(&stored)
                .map_err(ProviderError::from)?
                .as_ref();
            charge(provider, &snapshot, &stored, now).await?
        }
    };
    commit(store, snapshot, outcome.0, now).await?;
    Ok(outcome.1)
}

fn find(snapshot: &OrderWithPayments, id: &str) -> Option<Payment> {
    snapshot
        .payments
        .iter()
        .find(|p| p.value.id == id)
        .map(|p| p.value.clone())
}

enum Owed {
    Yes,
    /// Its plan's first is still open on the PSP's page: not decided yet.
    NotYet,
    No,
}

fn still_owed(snapshot: &OrderWithPayments, instalment: &Payment) -> Owed {
    let order = &snapshot.order.value;
    let Some((plan, _, _, retry)) = instalment.instalment() else {
        return Owed::No;
    };
    let Some(first) = find(snapshot, plan) else {
        return Owed::No;
    };
    if order.closure.is_some() {
        return Owed::No;
    }
    if first.status.is_unfinished() {
        return Owed::NotYet;
    }
    if !first.status.was_authorised() {
        return Owed::No;
    }
    // A retry does not cover the order: it is owed only while the order still owes as much
    // (the shopper may have paid with the pay link meanwhile).
    if retry > 0 && order.amount_due() < instalment.amount {
        return Owed::No;
    }
    Owed::Yes
}

/// Charges the instalment; the payment as it stands after, and what became of it.
async fn charge(
    provider: &dyn PaymentProvider,
    snapshot: &OrderWithPayments,
    instalment: &Payment,
    now: OffsetDateTime,
) -> Result<(Payment, Collected), CollectError> {
    let card = match instalment
        .instalment()
        .and_then(|(plan, ..)| find(snapshot, plan))
    {
        Some(first) => card_of(provider, &first).await?,
        None => None,
    };
    let Some((customer, payment_method)) = card else {
        // The plan's card is gone (removed from the account): only the shopper can pay now.
        return Ok((
            failed(instalment, "authentication_required", now),
            Collected::NeedsShopper,
        ));
    };
    let amount = Money::new(instalment.amount, instalment.currency)
        .map_err(|e| StoreError::Corrupt(format!("instalment amount: {e}")))?;
    let request = SavedCardCharge {
        order_reference: instalment.order_reference.clone(),
        payment_id: instalment.id.clone(),
        amount,
        customer,
        payment_method,
        off_session: true,
        return_url: None,
        shopper_confirms: false,
        three_d_secure: crate::domain::three_d_secure::ThreeDSecureRequest::Automatic,
        capture_at_once: true,
        idempotency_key: format!("instalment-{}", instalment.id),
    };
    match provider.charge_saved_card(&request).await {
        Ok(fresh)
            if matches!(
                fresh.status,
                ProviderPaymentStatus::RequiresAction | ProviderPaymentStatus::RequiresConfirmation
            ) =>
        {
            // Waiting for a shopper who is not there: close it, the pay link is the way.
            provider
                .cancel(&fresh.id, &format!("instalment-close-{}", instalment.id))
                .await?;
            let mut closed = failed(instalment, "authentication_required", now);
            if let Some(link) = closed.psp.as_mut() {
                link.payment = Some(fresh.id);
            }
            Ok((closed, Collected::NeedsShopper))
        }
        Ok(fresh) => {
            let charged = reconcile(instalment, &fresh, now).unwrap_or_else(|| instalment.clone());
            let outcome = match charged.status {
                PaymentStatus::Failed => Collected::Refused,
                _ => Collected::Charged,
            };
            Ok((charged, outcome))
        }
        Err(ProviderError::AuthenticationRequired(_)) => Ok((
            failed(instalment, "authentication_required", now),
            Collected::NeedsShopper,
        )),
        Err(ProviderError::Declined(failure)) => {
            let code = failure.decline_code.unwrap_or(failure.code);
            Ok((failed(instalment, &code, now), Collected::Refused))
        }
        Err(ProviderError::NotFound(reason) | ProviderError::InvalidRequest(reason)) => {
            // The card cannot be charged any more (detached from the customer, expired):
            // retrying will not help, the shopper must pay.
            tracing::warn!(
                payment = %instalment.id, %reason,
                "the plan's card was refused as unusable; the shopper is sent the pay link"
            );
            Ok((
                failed(instalment, "authentication_required", now),
                Collected::NeedsShopper,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn failed(instalment: &Payment, code: &str, now: OffsetDateTime) -> Payment {
    let mut failed = instalment.clone();
    failed.status = PaymentStatus::Failed;
    failed.failure_code = Some(code.to_owned());
    failed.updated_at = now;
    failed
}

/// The customer and card the plan's first instalment was paid with, from its PSP payment.
async fn card_of(
    provider: &dyn PaymentProvider,
    first: &Payment,
) -> Result<Option<(String, String)>, CollectError> {
    let Some(id) = first.provider_payment() else {
        return Ok(None);
    };
    let paid = provider.fetch_payment(id).await?;
    Ok(paid.customer.zip(paid.payment_method))
}

/// Commits the instalment's new state; on a concurrent change, re-reads and applies it again
/// while the instalment is still scheduled (a webhook that recorded it first wins).
async fn commit(
    store: &dyn PaymentWrites,
    snapshot: OrderWithPayments,
    outcome: Payment,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut snapshot = snapshot;
    for _ in 0..ATTEMPTS {
        let Some(stored) = snapshot.payments.iter().find(|p| p.value.id == outcome.id) else {
            return Ok(());
        };
        if stored.value.status != PaymentStatus::Scheduled {
            return Ok(());
        }
        let change = PaymentChange {
            payment: outcome.clone(),
            expected_version: Some(stored.version),
        };
        let settled = settle(&snapshot, &snapshot.order.value, vec![change], now);
        match store
            .transact(settled.into_writes(snapshot.order.version, false))
            .await
        {
            Ok(()) => {
                crate::telemetry::payment_moved(PaymentStatus::Scheduled, outcome.status);
                return Ok(());
            }
            Err(
                StoreError::VersionConflict(_)
                | StoreError::AlreadyExists(_)
                | StoreError::Contention,
            ) => {
                match store
                    .get_order_with_payments(&outcome.order_reference)
                    .await?
                {
                    Some(fresh) => snapshot = fresh,
                    None => return Ok(()),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Unavailable(format!(
        "instalment {} kept changing under the collection run",
        outcome.id
    )))
}
