//! Money after authorisation: capture (incl. multicapture), cancel and refunds, with Stripe's
//! state and amount rules.

use super::disputes;
use super::errors::ApiError;
use super::fixed::RefundFixed;
use super::payments::{intent, unexpected_state};
use super::state::{to_json, Metadata, Refund, ReqCtx, State};
use crate::ids::{new_id, now};

pub fn capture(
    st: &mut State,
    pi_id: &str,
    amount_to_capture: Option<i64>,
    final_capture: Option<bool>,
    metadata: Metadata,
    req: &ReqCtx,
) -> Result<(), ApiError> {
    let pi = intent(st, pi_id, "intent")?;
    if pi.status != "requires_capture" {
        return Err(unexpected_state("captur", pi.status, "requires_capture"));
    }
    let amount = amount_to_capture.unwrap_or(pi.amount_capturable);
    if amount <= 0 {
        return Err(ApiError::invalid(
            Some("amount_to_capture"),
            "Invalid positive integer",
        ));
    }
    if amount > pi.amount_capturable {
        return Err(ApiError::state(
            Some("amount_to_capture"),
            "amount_too_large",
            &format!(
                "The amount to capture ({amount}) is greater than the amount capturable ({}).",
                pi.amount_capturable
            ),
        ));
    }
    if final_capture == Some(false) && !pi.multicapture {
        return Err(ApiError::invalid(
            Some("final_capture"),
            "final_capture=false is only allowed on a PaymentIntent created with \
             payment_method_options[card][request_multicapture]=if_available.",
        ));
    }
    // Without multicapture on the card (only known once authorised, as at Stripe), the first
    // capture is the last: the rest of the authorisation is released.
    let charge_id = pi.latest_charge.clone();
    let multicapture_available = charge_id
        .as_deref()
        .and_then(|id| st.charges.get(id))
        .is_some_and(|ch| ch.multicapture_available);
    let pi = intent(st, pi_id, "intent")?;
    let is_final =
        final_capture != Some(false) || amount == pi.amount_capturable || !multicapture_available;
    pi.amount_received += amount;
    // As at Stripe, the capture's metadata is merged into the PaymentIntent's; an empty value
    // unsets its key.
    for (key, value) in metadata {
        if value.is_empty() {
            pi.metadata.remove(&key);
        } else {
            pi.metadata.insert(key, value);
        }
    }
    let kind = if is_final {
        // A final capture releases whatever was not captured, as Stripe does.
        pi.amount_capturable = 0;
        pi.status = "succeeded";
        "payment_intent.succeeded"
    } else {
        pi.amount_capturable -= amount;
        "payment_intent.amount_capturable_updated"
    };
    let json = to_json(&*pi);
    if let Some(ch) = charge_id.as_deref().and_then(|id| st.charges.get_mut(id)) {
        ch.amount_captured += amount;
        ch.captured = true;
    }
    st.emit(kind, json, req);
    if let Some(charge) = charge_id {
        disputes::open_after_capture(st, &charge, req);
    }
    Ok(())
}

/// What Stripe does to an authorisation left uncaptured for 7 days: the PaymentIntent is
/// cancelled with `cancellation_reason: automatic` (`payment_intent.canceled`). The sandbox
/// does it on request, `POST /sandbox-psp/_expire_authorisation/{id}`.
pub fn expire_authorisation(st: &mut State, pi_id: &str) -> Result<(), ApiError> {
    let pi = intent(st, pi_id, "intent")?;
    if pi.status != "requires_capture" {
        return Err(ApiError::state(
            None,
            "payment_intent_unexpected_state",
            &format!(
                "Only a PaymentIntent with a status of requires_capture holds an authorisation \
                 that can expire; this one has a status of {}.",
                pi.status
            ),
        ));
    }
    cancel_unchecked(st, pi_id, Some("automatic".into()), &ReqCtx::default())
}

pub fn cancel(
    st: &mut State,
    pi_id: &str,
    reason: Option<String>,
    req: &ReqCtx,
) -> Result<(), ApiError> {
    let pi = st
        .intents
        .get(pi_id)
        .ok_or_else(|| ApiError::not_found("payment_intent", pi_id, "intent"))?;
    let open_session = pi
        .checkout_session
        .as_deref()
        .and_then(|cs| st.sessions.get(cs))
        .is_some_and(|cs| cs.status == "open");
    if open_session {
        return Err(ApiError::state(
            None,
            "payment_intent_unexpected_state",
            "You cannot cancel this PaymentIntent because its Checkout Session is still open. \
             Expire the Checkout Session instead.",
        ));
    }
    cancel_unchecked(st, pi_id, reason, req)
}

pub(super) fn cancel_unchecked(
    st: &mut State,
    pi_id: &str,
    reason: Option<String>,
    req: &ReqCtx,
) -> Result<(), ApiError> {
    let pi = intent(st, pi_id, "intent")?;
    if !matches!(
        pi.status,
        "requires_payment_method"
            | "requires_capture"
            | "requires_confirmation"
            | "requires_action"
    ) {
        return Err(unexpected_state(
            "cancel",
            pi.status,
            "requires_payment_method, requires_capture, requires_confirmation, requires_action",
        ));
    }
    pi.status = "canceled";
    pi.amount_capturable = 0;
    pi.cancellation_reason = reason;
    pi.canceled_at = Some(now());
    pi.next_action = None;
    pi.challenge = None;
    let json = to_json(&*pi);
    st.emit("payment_intent.canceled", json, req);
    Ok(())
}

/// Refunds part of what was captured. `pending` keeps the refund pending until settled.
pub fn refund(
    st: &mut State,
    pi_id: &str,
    amount: Option<i64>,
    metadata: Metadata,
    reason: Option<String>,
    pending: bool,
    req: &ReqCtx,
) -> Result<String, ApiError> {
    let pi = st
        .intents
        .get(pi_id)
        .ok_or_else(|| ApiError::not_found("payment_intent", pi_id, "payment_intent"))?;
    if let Some(charge) = pi.latest_charge.as_deref() {
        disputes::refuse_refund_if_charged_back(st, charge)?;
    }
    let charge = pi
        .latest_charge
        .as_deref()
        .and_then(|id| st.charges.get_mut(id))
        .filter(|ch| ch.amount_captured > 0)
        .ok_or_else(|| {
            ApiError::state(
                Some("payment_intent"),
                "charge_not_refundable",
                &format!(
                    "This PaymentIntent ({pi_id}) does not have a successful charge to refund."
                ),
            )
        })?;
    let refundable = charge.amount_captured - charge.amount_refunded;
    if refundable <= 0 {
        return Err(ApiError::state(
            Some("payment_intent"),
            "charge_already_refunded",
            &format!("Charge {} has already been refunded.", charge.id),
        ));
    }
    let amount = amount.unwrap_or(refundable);
    if amount <= 0 {
        return Err(ApiError::invalid(
            Some("amount"),
            "Invalid positive integer",
        ));
    }
    if amount > refundable {
        return Err(ApiError::state(
            Some("amount"),
            "amount_too_large",
            &format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({refundable})"
            ),
        ));
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded == charge.amount_captured;
    let refund = Refund {
        id: new_id("re_"),
        object: "refund",
        amount,
        currency: charge.currency.clone(),
        charge: charge.id.clone(),
        payment_intent: pi_id.to_owned(),
        status: if pending { "pending" } else { "succeeded" },
        reason,
        metadata,
        created: now(),
        fixed: RefundFixed::default(),
    };
    let charge_json = to_json(&*charge);
    let id = refund.id.clone();
    st.refunds.insert(id.clone(), refund);
    st.emit("charge.refunded", charge_json, req);
    Ok(id)
}

/// A pending refund reaches `succeeded` (the bank's answer, simulated).
pub fn settle_refund(st: &mut State, re_id: &str) {
    let Some(re) = st.refunds.get_mut(re_id).filter(|r| r.status == "pending") else {
        return;
    };
    re.status = "succeeded";
    let json = to_json(&*re);
    st.emit("refund.updated", json, &ReqCtx::default());
}
