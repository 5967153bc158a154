//! SEPA Direct Debits on a saved mandate: a confirmed PaymentIntent answers `processing` with a
//! pending charge, and the outcome comes later, as the PaymentMethod's test scenario says:
//! a couple of seconds later (the background tick, or at once when `/_clock` moves), or once
//! the sandbox clock passes creation + 3 minutes for the delayed scenarios. A succeeded debit
//! can still come back later (`/_sepa/{pi}/return`): Stripe reports such a late failure as a
//! dispute on the charge.

use serde_json::json;

use super::disputes;
use super::errors::ApiError;
use super::fixed::ChargeFixed;
use super::iban::{Failure, Scenario};
use super::sepa_objects::PendingDebit;
use super::sepa_setup::active_mandate;
use super::sessions::{new_intent, NewIntent};
use super::state::{to_json, Charge, LastPaymentError, Metadata, ReqCtx, State};
use crate::ids::new_id;

/// A `POST /v1/payment_intents` with `payment_method_types[0]=sepa_debit`, checked.
pub struct NewDebit {
    pub amount: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub payment_method: String,
    pub mandate: Option<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
}

/// Stripe's answer to a mandate that cannot be used for this debit.
fn mandate_invalid(message: &str) -> ApiError {
    ApiError::state(Some("mandate"), "payment_intent_mandate_invalid", message)
}

/// The mandate to debit under: the one given (it must be the PaymentMethod's and active), or
/// the PaymentMethod's active one.
fn mandate_for(st: &State, pm_id: &str, given: Option<&str>) -> Result<String, ApiError> {
    let Some(id) = given else {
        return active_mandate(st, pm_id).ok_or_else(|| {
            mandate_invalid("This PaymentMethod has no active mandate: collect a new one.")
        });
    };
    let mandate = st
        .mandates
        .get(id)
        .ok_or_else(|| ApiError::not_found("mandate", id, "mandate"))?;
    if mandate.payment_method != pm_id {
        return Err(mandate_invalid(&format!(
            "The mandate {id} does not belong to the PaymentMethod {pm_id}."
        )));
    }
    if mandate.status != "active" {
        return Err(mandate_invalid(&format!(
            "The mandate {id} is {}: it cannot be used for new payments.",
            mandate.status
        )));
    }
    Ok(id.to_owned())
}

/// Creates and confirms the debit: `processing`, a pending charge, `charge.pending` and
/// `payment_intent.processing`. Returns the PaymentIntent's id.
pub fn create(st: &mut State, n: NewDebit, req: &ReqCtx) -> Result<String, ApiError> {
    if n.currency != "eur" {
        return Err(ApiError::invalid(
            Some("currency"),
            &format!(
                "The currency provided ({}) is invalid. Payments with sepa_debit support the \
                 following currencies: eur.",
                n.currency
            ),
        ));
    }
    let pm = st
        .payment_method(&n.payment_method)
        .ok_or_else(|| ApiError::not_found("PaymentMethod", &n.payment_method, "payment_method"))?
        .clone();
    let Some(scenario) = pm.sepa.filter(|_| pm.kind == "sepa_debit") else {
        return Err(ApiError::invalid(
            Some("payment_method"),
            &format!(
                "The PaymentMethod provided ({}) is not allowed for this PaymentIntent. Please \
                 attach a payment method of one of the following types: sepa_debit.",
                pm.kind
            ),
        ));
    };
    let mandate = mandate_for(st, &pm.id, n.mandate.as_deref())?;
    if pm.customer.is_none() || pm.customer != n.customer {
        return Err(ApiError::invalid(
            Some("payment_method"),
            "The provided PaymentMethod must be attached to the Customer of the PaymentIntent.",
        ));
    }
    let mut pi = new_intent(NewIntent {
        amount: n.amount,
        currency: n.currency,
        capture_method: "automatic".into(),
        customer: n.customer,
        description: n.description,
        setup_future_usage: None,
        metadata: n.metadata,
        multicapture: false,
        three_d_secure: "automatic".into(),
    });
    pi.created = st.now();
    pi.payment_method_types = vec!["sepa_debit"];
    pi.payment_method_options = json!({ "sepa_debit": {} });
    pi.payment_method = Some(pm.id.clone());
    pi.status = "processing";
    let mut details = pm.details.get("sepa_debit").cloned().unwrap_or_default();
    if let Some(d) = details.as_object_mut() {
        d.remove("generated_from");
        d.insert("mandate".into(), mandate.into());
    }
    let charge = Charge {
        // Stripe's SEPA payments are `py_` objects (charges of a non-card method).
        id: new_id("py_"),
        object: "charge",
        amount: pi.amount,
        amount_captured: pi.amount,
        amount_refunded: 0,
        captured: true,
        refunded: false,
        disputed: false,
        paid: false,
        status: "pending",
        currency: pi.currency.clone(),
        customer: pi.customer.clone(),
        payment_intent: pi.id.clone(),
        payment_method: pm.id.clone(),
        payment_method_details: json!({ "type": "sepa_debit", "sepa_debit": details }),
        billing_details: pm.billing_details.clone(),
        description: pi.description.clone(),
        metadata: pi.metadata.clone(),
        created: pi.created,
        livemode: false,
        fixed: ChargeFixed::default(),
        multicapture_available: false,
    };
    pi.latest_charge = Some(charge.id.clone());
    let (pi_id, charge_id) = (pi.id.clone(), charge.id.clone());
    let wait = scenario.wait_ms();
    st.pending_debits.push(PendingDebit {
        payment_intent: pi_id.clone(),
        scenario,
        due_ms: st.now_ms() + wait,
    });
    st.intents.insert(pi_id.clone(), pi);
    st.charges.insert(charge_id.clone(), charge);
    let charge_json = st.charge_json(&charge_id);
    st.emit("charge.pending", charge_json, req);
    let pi_json = st.intent_json(&pi_id);
    st.emit("payment_intent.processing", pi_json, req);
    Ok(pi_id)
}

/// Settles every debit whose moment has come; `clock_moved` (a `POST /_clock`) also settles
/// the immediate ones at once. Their events carry no request, as Stripe's automatic changes.
pub fn settle_due(st: &mut State, clock_moved: bool) {
    let now = st.now_ms();
    let (due, waiting): (Vec<PendingDebit>, Vec<PendingDebit>) =
        std::mem::take(&mut st.pending_debits)
            .into_iter()
            .partition(|d| d.due_ms <= now || (clock_moved && !d.scenario.delayed()));
    st.pending_debits = waiting;
    for debit in due {
        settle(st, &debit.payment_intent, debit.scenario);
    }
}

fn settle(st: &mut State, pi_id: &str, scenario: Scenario) {
    let req = ReqCtx::default();
    match (scenario.failure(), scenario) {
        (Some(failure), _) => fail(st, pi_id, failure, &req),
        (None, Scenario::SucceedsThenDisputed) => {
            if let Some(charge) = succeed(st, pi_id, &req) {
                disputes::open_sepa(st, &charge, "general", &req);
            }
        }
        (None, _) => {
            succeed(st, pi_id, &req);
        }
    }
}

/// The money arrived: `payment_intent.succeeded`, `charge.succeeded`. Returns the charge.
fn succeed(st: &mut State, pi_id: &str, req: &ReqCtx) -> Option<String> {
    let pi = st
        .intents
        .get_mut(pi_id)
        .filter(|pi| pi.status == "processing")?;
    pi.status = "succeeded";
    pi.amount_received = pi.amount;
    let charge_id = pi.latest_charge.clone()?;
    let pi_json = to_json(&*pi);
    st.emit("payment_intent.succeeded", pi_json, req);
    let charge = st.charges.get_mut(&charge_id)?;
    charge.status = "succeeded";
    charge.paid = true;
    let charge_json = to_json(&*charge);
    st.emit("charge.succeeded", charge_json, req);
    Some(charge_id)
}

/// The bank refused the debit: the charge fails (`charge.failed`) and the PaymentIntent goes
/// back to `requires_payment_method` with Stripe's SEPA error (`payment_intent.payment_failed`).
fn fail(st: &mut State, pi_id: &str, failure: Failure, req: &ReqCtx) {
    let Some(pi) = st.intents.get(pi_id).filter(|pi| pi.status == "processing") else {
        return;
    };
    let pm = pi
        .payment_method
        .as_deref()
        .and_then(|id| st.payment_method(id))
        .cloned();
    let Some(charge_id) = pi.latest_charge.clone() else {
        return;
    };
    if let Some(charge) = st.charges.get_mut(&charge_id) {
        charge.status = "failed";
        charge.captured = false;
        charge.amount_captured = 0;
        charge.fixed.fail(failure.code(), failure.message());
        let json = to_json(&*charge);
        st.emit("charge.failed", json, req);
    }
    let Some(pi) = st.intents.get_mut(pi_id) else {
        return;
    };
    pi.status = "requires_payment_method";
    pi.payment_method = None;
    pi.last_payment_error = Some(LastPaymentError {
        // What Stripe sends for a failed SEPA debit (a bank's refusal is a "card_error").
        kind: "card_error",
        code: failure.error_code().map(str::to_owned),
        decline_code: Some(failure.code().to_owned()),
        message: failure.message().to_owned(),
        payment_method: pm,
    });
    let json = to_json(&*pi);
    st.emit("payment_intent.payment_failed", json, req);
}

/// `POST /_sepa/{pi}/return`: the debtor's bank takes a succeeded debit back (an R-transaction
/// within 8 weeks, or 13 months if unauthorised): a final dispute with `reason`.
pub fn return_debit(st: &mut State, pi_id: &str, reason: &str) -> Result<String, ApiError> {
    if !disputes::SEPA_REASONS.contains(&reason) {
        return Err(ApiError::invalid(
            Some("reason"),
            &format!(
                "Invalid reason: must be one of {}. Received: {reason}",
                disputes::SEPA_REASONS.join(", ")
            ),
        ));
    }
    let pi = st
        .intents
        .get(pi_id)
        .ok_or_else(|| ApiError::not_found("payment_intent", pi_id, "intent"))?;
    if pi.payment_method_types != ["sepa_debit"] || pi.status != "succeeded" {
        return Err(ApiError::state(
            None,
            "payment_intent_unexpected_state",
            &format!(
                "Only a succeeded sepa_debit PaymentIntent can be returned; this one is {} ({}).",
                pi.status,
                pi.payment_method_types.join(", ")
            ),
        ));
    }
    let charge = pi.latest_charge.clone().unwrap_or_default();
    disputes::open_sepa(st, &charge, reason, &ReqCtx::default()).ok_or_else(|| {
        ApiError::state(
            Some("charge"),
            "charge_disputed",
            &format!("Charge {charge} is already disputed."),
        )
    })
}
