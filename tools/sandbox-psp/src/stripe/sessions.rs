//! Checkout Sessions and the PaymentIntents they create: a new PaymentIntent from
//! `payment_intent_data`, expiry (explicit or past `expires_at`).

use super::captures::cancel_unchecked;
use super::errors::ApiError;
use super::fixed::{CustomerFixed, IntentFixed};
use super::state::{Customer, Metadata, PaymentIntent, ReqCtx, State};
use crate::ids::{new_id, now};

/// The PaymentIntent a hosted-page card submission confirms: the session's open one, or a new
/// one from `payment_intent_data`. Saving a card needs a customer, so one is created from
/// `customer_email` when the session has none, as Checkout does.
pub fn checkout_intent(st: &mut State, cs_id: &str) -> Option<String> {
    let cs = st.sessions.get(cs_id).filter(|cs| cs.status == "open")?;
    if let Some(pi) = cs
        .payment_intent
        .as_deref()
        .and_then(|id| st.intents.get(id))
    {
        if pi.status != "canceled" {
            return Some(pi.id.clone());
        }
    }
    let cs = cs.clone();
    let mut customer = cs.customer.clone();
    if customer.is_none() && cs.intent.setup_future_usage.is_some() {
        let c = Customer {
            id: new_id("cus_"),
            object: "customer",
            email: cs.customer_email.clone(),
            name: None,
            metadata: Metadata::new(),
            created: now(),
            livemode: false,
            fixed: CustomerFixed::default(),
        };
        customer = Some(c.id.clone());
        st.customers.insert(c.id.clone(), c);
    }
    let pi = new_intent(NewIntent {
        amount: cs.amount_total,
        currency: cs.currency.clone(),
        capture_method: cs.intent.capture_method.clone(),
        customer: customer.clone(),
        description: Some(cs.description.clone()),
        setup_future_usage: cs.intent.setup_future_usage.clone(),
        metadata: cs.intent.metadata.clone(),
        multicapture: cs.intent.multicapture,
        three_d_secure: cs.intent.three_d_secure.clone(),
    });
    let pi_id = pi.id.clone();
    let mut pi = pi;
    pi.checkout_session = Some(cs_id.to_owned());
    pi.payment_method_types = vec![cs.method_type];
    st.intents.insert(pi_id.clone(), pi);
    if let Some(cs) = st.sessions.get_mut(cs_id) {
        cs.payment_intent = Some(pi_id.clone());
        cs.customer = customer;
    }
    Some(pi_id)
}

pub struct NewIntent {
    pub amount: i64,
    pub currency: String,
    pub capture_method: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub setup_future_usage: Option<String>,
    pub metadata: Metadata,
    pub multicapture: bool,
    /// `any`, `automatic` (Stripe's default) or `challenge`.
    pub three_d_secure: String,
}

pub fn new_intent(n: NewIntent) -> PaymentIntent {
    let id = new_id("pi_");
    PaymentIntent {
        client_secret: format!("{id}_secret_{}", &new_id("")[..16]),
        id,
        object: "payment_intent",
        amount: n.amount,
        amount_capturable: 0,
        amount_received: 0,
        currency: n.currency,
        status: "requires_payment_method",
        capture_method: n.capture_method,
        customer: n.customer,
        description: n.description,
        payment_method: None,
        payment_method_types: vec!["card"],
        payment_method_options: serde_json::json!({
            "card": {
                "installments": null,
                "mandate_options": null,
                "network": null,
                "request_multicapture": if n.multicapture { "if_available" } else { "never" },
                "request_three_d_secure": n.three_d_secure,
                "require_cvc_recollection": false,
            }
        }),
        setup_future_usage: n.setup_future_usage,
        last_payment_error: None,
        next_action: None,
        latest_charge: None,
        cancellation_reason: None,
        canceled_at: None,
        metadata: n.metadata,
        created: now(),
        livemode: false,
        fixed: IntentFixed::default(),
        multicapture: n.multicapture,
        return_url: None,
        checkout_session: None,
        challenge: None,
    }
}

/// Expires an open session, and cancels its unpaid PaymentIntent as Stripe does.
pub fn expire_session(st: &mut State, cs_id: &str, req: &ReqCtx) -> Result<(), ApiError> {
    let cs = st
        .sessions
        .get_mut(cs_id)
        .ok_or_else(|| ApiError::not_found("checkout.session", cs_id, "session"))?;
    if cs.status != "open" {
        return Err(ApiError::state(
            None,
            "checkout_session_unexpected_state",
            &format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This session \
                 has a status of {}.",
                cs.status
            ),
        ));
    }
    cs.status = "expired";
    cs.url = None;
    let (pi_id, seti_id) = (cs.payment_intent.clone(), cs.setup_intent.clone());
    let json = st.session_json(cs_id);
    if let Some(pi_id) = pi_id {
        // Nothing to cancel when the PaymentIntent already left the cancellable states.
        let _ = cancel_unchecked(st, &pi_id, Some("abandoned".into()), req);
    }
    if let Some(seti_id) = seti_id {
        super::sepa_setup::cancel_setup_intent(st, &seti_id, req);
    }
    st.emit("checkout.session.expired", json, req);
    Ok(())
}

/// Sessions past `expires_at` expire when next looked at (no timer).
pub fn refresh_session(st: &mut State, cs_id: &str) {
    let due = st
        .sessions
        .get(cs_id)
        .is_some_and(|cs| cs.status == "open" && now() >= cs.expires_at);
    if due {
        let _ = expire_session(st, cs_id, &ReqCtx::default());
    }
}
