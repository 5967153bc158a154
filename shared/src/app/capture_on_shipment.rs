//! Capture when the parcel is handed to the carrier (an SQS message from the warehouse, or the
//! back-office call): partial and multiple captures up to what was authorised, each shipment
//! captured at most once however often its message arrives.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::apply_psp_state::{apply_psp_state, Context};
pub use super::capture_error::CaptureError;
use super::idempotency::{completion, run_once, Refusal};
use super::reauthorise::{renew_lapsed_authorisation, Renewal};
use crate::domain::{FieldError, Money, Reference, ReleaseReason};
use crate::ports::{
    AfterCapture, Clock, IdempotencyKey, ProviderError, ProviderPaymentStatus, ProviderRegistry,
    Store, StoreError, StoredResponse, Write,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentCommand {
    pub shipment_id: String,
    /// What this parcel is worth; None captures everything still authorised.
    #[serde(default)]
    pub amount: Option<String>,
    /// The order ships no more: capture `amount` and release the rest, which is then not owed
    /// (a short fulfilment). Ignored without an amount (all that is left is captured anyway).
    #[serde(default)]
    pub last_parcel: bool,
}

/// The SQS form: the same body plus the order reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentMessage {
    pub reference: String,
    pub shipment_id: String,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub last_parcel: bool,
}

pub struct CaptureOnShipment {
    store: Arc<dyn Store>,
    providers: Arc<ProviderRegistry>,
    clock: Arc<dyn Clock>,
}

fn shipment_field(shipment_id: &str) -> Result<String, FieldError> {
    let id = shipment_id.trim();
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            "shipment_id",
            "must be 1 to 128 visible ASCII characters",
        ));
    }
    Ok(id.to_string())
}

impl CaptureOnShipment {
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

    pub async fn capture_message(
        &self,
        message: ShipmentMessage,
    ) -> Result<StoredResponse, CaptureError> {
        let reference = Reference::parse(&message.reference)?;
        self.capture(
            &reference,
            ShipmentCommand {
                shipment_id: message.shipment_id,
                amount: message.amount,
                last_parcel: message.last_parcel,
            },
            self.clock.now() + Duration::seconds(30),
        )
        .await
    }

    /// Returns the response to give (202 with the payment), the same for a repeated shipment.
    pub async fn capture(
        &self,
        reference: &Reference,
        command: ShipmentCommand,
        in_progress_until: OffsetDateTime,
    ) -> Result<StoredResponse, CaptureError> {
        let shipment_id = shipment_field(&command.shipment_id)?;
        let now = self.clock.now();
        let key = IdempotencyKey {
            scope: format!("shipment#{reference}"),
            key: shipment_id.clone(),
        };
        // The last-parcel flag is part of the request: the same shipment sent again with
        // another answer to "is it the last?" is another request (409 shipment-reused).
        let last = command.last_parcel && command.amount.is_some();
        let request_hash = format!(
            "{:x}",
            Sha256::digest(
                format!(
                    "{}{}",
                    command.amount.as_deref().unwrap_or("*"),
                    if last { "#last" } else { "" }
                )
                .as_bytes()
            )
        );
        run_once(
            self.store.as_ref(),
            &key,
            &request_hash,
            in_progress_until,
            now,
            |refusal| match refusal {
                Refusal::InProgress => CaptureError::InProgress,
                Refusal::Mismatch => CaptureError::ShipmentReused,
            },
            || {
                self.capture_claimed(
                    reference,
                    &key,
                    &request_hash,
                    command.amount.as_deref(),
                    last,
                    now,
                )
            },
        )
        .await
    }

    async fn capture_claimed(
        &self,
        reference: &Reference,
        key: &IdempotencyKey,
        request_hash: &str,
        amount: Option<&str>,
        last_parcel: bool,
        now: OffsetDateTime,
    ) -> Result<StoredResponse, CaptureError> {
        let snapshot = self
            .store
            .get_order_with_payments(reference)
            .await?
            .ok_or(CaptureError::NotFound)?;
        // The seller's fraud review decides first: nothing is taken before it is approved.
        if snapshot.order.value.status == crate::domain::OrderStatus::UnderReview {
            return Err(CaptureError::UnderReview);
        }
        // A capturable payment; else the last one that captured anything (since captured in
        // full, or refunded), in case this is a retry of a capture the PSP made and its
        // webhook already recorded (the PSP will tell).
        let stored = snapshot
            .payments
            .iter()
            .rev()
            .find(|p| p.value.status.is_live_authorisation())
            .or_else(|| {
                snapshot
                    .payments
                    .iter()
                    .rev()
                    .find(|p| p.value.captured_amount > Decimal::ZERO && p.value.psp.is_some())
            });
        let Some(stored) = stored else {
            return self
                .ship_paid_by_tenders(&snapshot, key, request_hash, now)
                .await;
        };
        let mut payment = &stored.value;
        // A SEPA purchase is collected with its customer's month: the parcel goes, nothing is
        // taken now (the month's one debit takes it).
        if matches!(
            payment.method,
            crate::domain::PaymentMethod::SepaDebit { .. }
        ) && payment.psp.is_none()
        {
            let response = StoredResponse {
                status: 202,
                body: serde_json::json!({
                    "shipment_id": key.key,
                    "payment_id": payment.id,
                    "captured": payment.currency.format(Decimal::ZERO),
                    "captured_total": payment.currency.format(payment.captured_amount),
                    "currency": payment.currency.code(),
                    "collected_by": "sepa_monthly_debit",
                })
                .to_string(),
            };
            // The delivery its month summary gives (the last parcel's day).
            let mut shipped = payment.clone();
            shipped.shipped_at = Some(now);
            shipped.updated_at = now;
            self.store
                .transact(vec![
                    Write::PutPayment {
                        payment: shipped,
                        expected_version: Some(stored.version),
                    },
                    completion(key, request_hash, &response, now),
                ])
                .await?;
            return Ok(response);
        }
        // Nothing is left on a closed payment (captured in full, or its rest released).
        let remaining = payment.capturable();
        // What we ask the PSP depends only on the shipment, never on our current state, so a
        // retry (same key) is replayed by the PSP instead of refused: a given amount is a
        // partial capture that keeps the rest (the PSP settles the payment when nothing is
        // left); no amount captures everything still authorised.
        let requested = match amount {
            None => None,
            Some(text) => Some(payment.parse_amount_field(text)?),
        };
        let too_much =
            || -> CaptureError { payment.amount_out_of_bounds(remaining, "authorised").into() };
        if requested.is_some_and(|a| a <= Decimal::ZERO) {
            return Err(too_much());
        }
        // Beyond what we know is left: either a mistake, or this shipment's own capture already
        // recorded. Only the PSP's replay can tell; if it refuses, so do we.
        let refusal = match requested {
            None if remaining <= Decimal::ZERO => Some(CaptureError::NothingToCapture),
            Some(a) if a > remaining => Some(too_much()),
            _ => None,
        };
        let renewed;
        let mut renewed_now = false;
        // Past the connector's capture window a capture may be refused or downgraded, so it
        // is not attempted blindly.
        let mut provider = self
            .providers
            .for_payment(payment)
            .map_err(ProviderError::from)?
            .clone();
        let capabilities = provider.capabilities().clone();
        if refusal.is_none()
            && payment
                .authorised_at
                .is_some_and(|at| now - at > capabilities.capture_window)
        {
            match renew_lapsed_authorisation(
                self.store.as_ref(),
                provider.as_ref(),
                &snapshot,
                stored,
                now,
                Vec::new(),
            )
            .await?
            {
                Renewal::Renewed(replacement) => {
                    renewed = *replacement;
                    payment = &renewed;
                    renewed_now = true;
                }
                Renewal::ShopperMustPay => return Err(CaptureError::RequiresReauthorisation),
            }
        }
        let mut provider_id = payment
            .provider_payment()
            .map(str::to_owned)
            .ok_or(CaptureError::NothingToCapture)?;
        let money = requested
            .map(|a| Money::new(a, payment.currency))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("capture amount: {e}")))?;
        // A part of an authorisation that cannot be captured twice: capture it as final (the
        // PSP releases the rest), then the rest is taken over below, never captured in full.
        let single_capture = requested.is_some()
            && !last_parcel
            && !capabilities.can_capture_twice(payment.psp.as_ref().and_then(|l| l.multicapture));
        // Why the rest goes travels with the capture, so the webhook, if it records the
        // capture first, records it too. A single-capture card's rest is taken over (renewed on
        // the saved card, or paid again by a pay link): `Replaced` until that is decided below.
        let after = if last_parcel {
            AfterCapture::ReleaseRest(Some(ReleaseReason::LastParcel))
        } else if single_capture {
            AfterCapture::ReleaseRest(Some(ReleaseReason::Replaced))
        } else if requested.is_none() {
            AfterCapture::FINAL
        } else {
            AfterCapture::KeepRest
        };
        let key_for_psp = format!("capture-{reference}-{}", key.key);
        let mut captured = provider
            .capture(&provider_id, money, after, &key_for_psp)
            .await;
        let earlier;
        let mut single_capture = single_capture;
        if matches!(captured, Err(ProviderError::IdempotencyConflict)) {
            // This shipment's key went to another payment of the order first (one replaced
            // since). That payment's PSP replays the first answer: captured there, the
            // shipment is recorded there; refused there, it is captured here under a key of
            // this payment. Probes with other parameters move no money (the PSP refuses them).
            match self
                .earlier_attempt(&snapshot, &payment.id, money, last_parcel, &key_for_psp)
                .await?
            {
                Some((found, replayed)) => {
                    earlier = found;
                    payment = &earlier;
                    provider_id = replayed.id.clone();
                    provider = self
                        .providers
                        .for_payment(payment)
                        .map_err(ProviderError::from)?
                        .clone();
                    single_capture = false;
                    captured = Ok(replayed);
                }
                None => {
                    captured = provider
                        .capture(
                            &provider_id,
                            money,
                            after,
                            &format!("{key_for_psp}-{}", payment.id),
                        )
                        .await
                }
            }
        }
        let mut fresh = match (captured, refusal) {
            (Ok(fresh), _) => fresh,
            // No answer: whether it was a replay is still unknown, try again later.
            (Err(e @ (ProviderError::Unavailable(_) | ProviderError::RateLimited)), _) => {
                return Err(e.into())
            }
            (Err(_), Some(refusal)) => return Err(refusal),
            (Err(e), None) => return Err(e.into()),
        };
        if fresh.status == ProviderPaymentStatus::RequiresCapture
            && fresh.amount_capturable.amount() <= Decimal::ZERO
        {
            // Everything captured through partial captures: close the authorisation so the
            // payment settles (and the invoice follows), as a final capture would.
            fresh = provider
                .cancel(&provider_id, &format!("settle-{}", payment.id))
                .await?;
        }
        // "The rest" took what was captured beyond our record of the payment (a capture of
        // another shipment already recorded, answered or not, is not this one's) and beyond
        // what the shipments answered so far: after its own webhook, our record holds it.
        let this_capture = requested.unwrap_or_else(|| {
            let total = fresh.amount_received.amount();
            let recorded = Some(payment.captured_amount).filter(|c| *c < total);
            total
                - recorded
                    .unwrap_or(Decimal::ZERO)
                    .max(payment.shipped_amount)
        });
        let response = StoredResponse {
            status: 202,
            body: serde_json::json!({
                "shipment_id": key.key,
                "payment_id": payment.id,
                "captured": payment.currency.format(this_capture),
                "captured_total": payment.currency.format(fresh.amount_received.amount()),
                "currency": payment.currency.code(),
            })
            .to_string(),
        };
        let completion = || vec![completion(key, request_hash, &response, now)];
        let rest_released = fresh.status != ProviderPaymentStatus::RequiresCapture
            && fresh.amount_received.amount() < payment.amount;
        if single_capture && rest_released {
            // The rest is renewed on the saved card, or released with a pay link; the capture
            // and the idempotency completion commit with it. After a renewal just now the
            // read is stale (the renewal is not in it): read again.
            let current = match renewed_now {
                false => snapshot.clone(),
                true => self
                    .store
                    .get_order_with_payments(reference)
                    .await?
                    .ok_or(CaptureError::NotFound)?,
            };
            let lapsed = current
                .payments
                .iter()
                .find(|p| p.value.id == payment.id)
                .ok_or(CaptureError::NothingToCapture)?;
            renew_lapsed_authorisation(
                self.store.as_ref(),
                provider.as_ref(),
                &current,
                lapsed,
                now,
                completion(),
            )
            .await?;
            return Ok(response);
        }
        // After a renewal the read is stale (new payment): let the step read again.
        let known = (!renewed_now).then(|| snapshot.clone());
        let context = Context {
            release: after.release_reason(),
            shipped: Some(this_capture),
            review: None,
        };
        apply_psp_state(
            self.store.as_ref(),
            known,
            reference,
            &payment.id,
            &fresh,
            context,
            now,
            &completion,
        )
        .await?;
        Ok(response)
    }
}

impl CaptureOnShipment {
    /// The payment of this order on which `key` was first used, with the PSP's replayed
    /// answer when that first attempt captured; None when it did not (or no other payment
    /// knows the key).
    /// An order its tenders (vouchers, credit, on account) paid whole: the parcel goes,
    /// nothing is taken at a PSP (the tenders were taken at checkout).
    async fn ship_paid_by_tenders(
        &self,
        snapshot: &crate::ports::OrderWithPayments,
        key: &IdempotencyKey,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<StoredResponse, CaptureError> {
        let taken: Vec<&crate::domain::Payment> = snapshot
            .payments
            .iter()
            .map(|p| &p.value)
            .filter(|p| {
                crate::domain::tenders::tender_of(p).is_some() && p.captured_amount > Decimal::ZERO
            })
            .collect();
        let order = &snapshot.order.value;
        if taken.is_empty() || order.amount_due() > Decimal::ZERO {
            return Err(CaptureError::NothingToCapture);
        }
        let total: Decimal = taken.iter().map(|p| p.captured_amount).sum();
        let response = StoredResponse {
            status: 202,
            body: serde_json::json!({
                "shipment_id": key.key,
                "payment_id": taken[0].id,
                "captured": order.currency.format(Decimal::ZERO),
                "captured_total": order.currency.format(total),
                "currency": order.currency.code(),
                "collected_by": "tenders",
            })
            .to_string(),
        };
        self.store
            .transact(vec![completion(key, request_hash, &response, now)])
            .await?;
        Ok(response)
    }

    async fn earlier_attempt(
        &self,
        snapshot: &crate::ports::OrderWithPayments,
        target: &str,
        amount: Option<Money>,
        last_parcel: bool,
        key: &str,
    ) -> Result<Option<(crate::domain::Payment, crate::ports::ProviderPayment)>, CaptureError> {
        // The first attempt's `after` depended on what was known of that payment then (could
        // it capture twice?): each possibility is tried, the PSP answers only the one it saw.
        let candidates: &[AfterCapture] = match (amount, last_parcel) {
            (_, true) => &[AfterCapture::ReleaseRest(Some(ReleaseReason::LastParcel))],
            (None, false) => &[AfterCapture::FINAL],
            (Some(_), false) => &[
                AfterCapture::ReleaseRest(Some(ReleaseReason::Replaced)),
                AfterCapture::KeepRest,
            ],
        };
        for other in snapshot.payments.iter().rev().map(|p| &p.value) {
            let Some(psp_id) = other.provider_payment().filter(|_| other.id != target) else {
                continue;
            };
            let provider = self
                .providers
                .for_payment(other)
                .map_err(ProviderError::from)?;
            for after in candidates {
                match provider.capture(psp_id, amount, *after, key).await {
                    Ok(replayed) => return Ok(Some((other.clone(), replayed))),
                    Err(ProviderError::IdempotencyConflict) => continue,
                    Err(e @ (ProviderError::Unavailable(_) | ProviderError::RateLimited)) => {
                        return Err(e.into())
                    }
                    // The first attempt's own refusal, replayed: nothing was captured there.
                    Err(_) => return Ok(None),
                }
            }
        }
        Ok(None)
    }
}
