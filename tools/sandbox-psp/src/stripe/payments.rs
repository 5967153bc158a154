//! PaymentIntent confirmation shared by the API and the hosted pages: confirm with a card,
//! the 3-D Secure challenge, authorise or fail, and the Checkout Session completion that
//! follows. Every change emits its Stripe event (captures.rs and sessions.rs do the rest).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::cards::{test_payment_method, Behaviour};
use super::errors::ApiError;
use super::fixed::{self, ChargeFixed};
use super::state::{
    to_json, Card, Challenge, Charge, LastPaymentError, Metadata, NextAction, PaymentIntent,
    PaymentMethod, RedirectToUrl, ReqCtx, State,
};
use crate::ids::{new_id, now};

/// Failed one-time codes that fail the payment (the third wrong code).
pub const CHALLENGE_TRIES: u8 = 3;

pub(super) fn unexpected_state(action: &str, status: &str, allowed: &str) -> ApiError {
    ApiError::state(
        None,
        "payment_intent_unexpected_state",
        &format!(
            "You cannot {action} this PaymentIntent because it has a status of {status}. Only a \
             PaymentIntent with one of the following statuses may be {action}ed: {allowed}."
        ),
    )
}

pub fn intent<'a>(
    st: &'a mut State,
    id: &str,
    param: &str,
) -> Result<&'a mut PaymentIntent, ApiError> {
    st.intents
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("payment_intent", id, param))
}

/// The one-time code of a PaymentIntent's challenge: fixed per PaymentIntent so a test (or a
/// person reading the hint) can always answer it.
pub fn challenge_code(pi_id: &str) -> String {
    let digest = Sha256::digest(pi_id.as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000;
    format!("{n:06}")
}

/// A Stripe test id (`pm_card_visa`) becomes a new PaymentMethod as in Stripe; other ids must
/// exist.
pub fn resolve_payment_method(st: &mut State, id: &str) -> Result<String, ApiError> {
    if let Some((brand, last4, behaviour)) = test_payment_method(id) {
        let pm = new_payment_method(
            Card {
                brand: brand.into(),
                last4: last4.into(),
                exp_month: 12,
                exp_year: time::OffsetDateTime::now_utc().year() + 3,
                wallet: None,
            },
            behaviour,
            None,
        );
        let pm_id = pm.id.clone();
        st.payment_methods.push(pm);
        return Ok(pm_id);
    }
    st.payment_method(id)
        .map(|p| p.id.clone())
        .ok_or_else(|| ApiError::not_found("PaymentMethod", id, "payment_method"))
}

/// A card PaymentMethod; `name` is the cardholder's, as the hosted page collects it.
pub fn new_payment_method(card: Card, behaviour: Behaviour, name: Option<&str>) -> PaymentMethod {
    PaymentMethod {
        id: new_id("pm_"),
        object: "payment_method",
        kind: "card",
        customer: None,
        card: Some(card),
        details: serde_json::Map::new(),
        billing_details: fixed::billing_details(name),
        metadata: Metadata::new(),
        created: now(),
        livemode: false,
        behaviour,
        sepa: None,
    }
}

/// Confirms with a payment method. Ok when authorised or waiting for 3-D Secure
/// (`requires_action`); a 402 card error (with the PaymentIntent) when declined.
pub fn confirm(
    st: &mut State,
    base: &str,
    pi_id: &str,
    payment_method: Option<&str>,
    off_session: bool,
    return_url: Option<String>,
    req: &ReqCtx,
) -> Result<(), ApiError> {
    let pi = intent(st, pi_id, "intent")?;
    if !matches!(
        pi.status,
        "requires_payment_method" | "requires_confirmation" | "requires_action"
    ) {
        return Err(unexpected_state(
            "confirm",
            pi.status,
            "requires_payment_method, requires_confirmation, requires_action",
        ));
    }
    let Some(pm_ref) = payment_method
        .map(str::to_owned)
        .or_else(|| pi.payment_method.clone())
    else {
        return Err(ApiError::state(
            Some("payment_method"),
            "payment_intent_unexpected_state",
            "You cannot confirm this PaymentIntent because it's missing a payment method. Update \
             the PaymentIntent with a payment_method and then confirm it again.",
        ));
    };
    let pm_id = resolve_payment_method(st, &pm_ref)?;
    let (pm_customer, behaviour) = match st.payment_method(&pm_id) {
        Some(pm) => (pm.customer.clone(), pm.behaviour),
        None => {
            return Err(ApiError::not_found(
                "PaymentMethod",
                &pm_id,
                "payment_method",
            ))
        }
    };
    let pi = intent(st, pi_id, "intent")?;
    if pm_customer.is_some() && pm_customer != pi.customer {
        return Err(ApiError::invalid(
            Some("payment_method"),
            "The provided PaymentMethod belongs to a different Customer than the PaymentIntent.",
        ));
    }
    pi.payment_method = Some(pm_id.clone());
    if return_url.is_some() {
        pi.return_url = return_url;
    }
    pi.last_payment_error = None;
    pi.next_action = None;
    pi.challenge = None;
    // 3-D Secure asked for (`any`, `challenge`): any card authenticates on session, as Stripe's
    // test cards do when it is requested.
    let requested = matches!(
        pi.payment_method_options["card"]["request_three_d_secure"].as_str(),
        Some("any" | "challenge")
    );
    let behaviour = match behaviour {
        Behaviour::Authorise
        | Behaviour::AuthoriseWithoutMulticapture
        | Behaviour::AuthoriseThenDispute(_)
        | Behaviour::AuthoriseAtRisk(_)
            if requested && !off_session =>
        {
            Behaviour::Authenticate
        }
        Behaviour::DeclineOffSession if off_session => {
            Behaviour::Decline(super::cards::Decline::InsufficientFunds)
        }
        Behaviour::DeclineOffSession => Behaviour::Authorise,
        other => other,
    };
    match behaviour {
        Behaviour::Authorise
        | Behaviour::AuthoriseWithoutMulticapture
        | Behaviour::AuthoriseThenDispute(_)
        | Behaviour::AuthoriseAtRisk(_)
        | Behaviour::DeclineOffSession => {
            authorise(st, pi_id, req);
            Ok(())
        }
        Behaviour::Authenticate if off_session => Err(fail(
            st,
            pi_id,
            "card_error",
            "authentication_required",
            Some("authentication_required"),
            "Your card was declined. This transaction requires authentication.",
            req,
        )),
        Behaviour::Authenticate => {
            pi.status = "requires_action";
            pi.next_action = Some(NextAction {
                kind: "redirect_to_url",
                redirect_to_url: RedirectToUrl {
                    url: format!("{base}/sandbox-psp/3ds/{pi_id}"),
                    return_url: pi.return_url.clone(),
                },
            });
            pi.challenge = Some(Challenge {
                code: challenge_code(pi_id),
                failures: 0,
            });
            let json = to_json(&*pi);
            st.emit("payment_intent.requires_action", json, req);
            Ok(())
        }
        Behaviour::Decline(d) => Err(fail(
            st,
            pi_id,
            "card_error",
            "card_declined",
            Some(d.decline_code()),
            d.message(),
            req,
        )),
    }
}

/// Back to `requires_payment_method` with `last_payment_error`; returns the 402 to answer.
pub fn fail(
    st: &mut State,
    pi_id: &str,
    kind: &'static str,
    code: &str,
    decline_code: Option<&str>,
    message: &str,
    req: &ReqCtx,
) -> ApiError {
    let pm = st
        .intents
        .get(pi_id)
        .and_then(|pi| pi.payment_method.as_deref())
        .and_then(|id| st.payment_method(id))
        .cloned();
    let Some(pi) = st.intents.get_mut(pi_id) else {
        return ApiError::not_found("payment_intent", pi_id, "intent");
    };
    pi.status = "requires_payment_method";
    pi.payment_method = None;
    pi.next_action = None;
    pi.challenge = None;
    pi.last_payment_error = Some(LastPaymentError {
        kind,
        code: Some(code.to_owned()),
        decline_code: decline_code.map(str::to_owned),
        message: message.to_owned(),
        payment_method: pm,
    });
    let json = to_json(&*pi);
    st.emit("payment_intent.payment_failed", json.clone(), req);
    let mut err = ApiError::card(code, decline_code, message, json);
    if kind != "card_error" {
        err.body.kind = kind;
        err.status = axum::http::StatusCode::BAD_REQUEST;
    }
    err
}

/// The card is authorised: a charge, `requires_capture` (manual) or `succeeded`, the card saved
/// for later when asked, and the Checkout Session completed.
pub fn authorise(st: &mut State, pi_id: &str, req: &ReqCtx) {
    let Some(pi) = st.intents.get(pi_id) else {
        return;
    };
    let pm = pi
        .payment_method
        .as_deref()
        .and_then(|id| st.payment_method(id))
        .cloned();
    let manual = pi.capture_method == "manual";
    let created = now();
    // Asked for (`request_multicapture=if_available`): reported on the charge either way.
    let multicapture = pi
        .multicapture
        .then(|| pm.as_ref().is_some_and(|p| p.behaviour.multicapture()));
    let charge = Charge {
        id: new_id("ch_"),
        object: "charge",
        amount: pi.amount,
        amount_captured: if manual { 0 } else { pi.amount },
        amount_refunded: 0,
        captured: !manual,
        refunded: false,
        disputed: false,
        paid: true,
        status: "succeeded",
        currency: pi.currency.clone(),
        customer: pi.customer.clone(),
        payment_intent: pi.id.clone(),
        payment_method: pm.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
        payment_method_details: method_details(
            pm.as_ref(),
            pi.amount,
            manual.then_some(created),
            multicapture,
        ),
        billing_details: pm.as_ref().map_or_else(
            || fixed::billing_details(None),
            |p| p.billing_details.clone(),
        ),
        description: pi.description.clone(),
        metadata: pi.metadata.clone(),
        created,
        livemode: false,
        fixed: ChargeFixed::with_risk_level(
            pm.as_ref().map_or("normal", |p| p.behaviour.risk_level()),
        ),
        multicapture_available: multicapture == Some(true),
    };
    let save_for = pi
        .setup_future_usage
        .is_some()
        .then(|| pi.customer.clone())
        .flatten();
    let charge_id = charge.id.clone();
    st.charges.insert(charge_id.clone(), charge);
    if let (Some(customer), Some(pm)) = (save_for, pm.as_ref()) {
        if let Some(saved) = st.payment_method_mut(&pm.id) {
            saved.customer.get_or_insert(customer);
        }
    }
    let Some(pi) = st.intents.get_mut(pi_id) else {
        return;
    };
    pi.latest_charge = Some(charge_id);
    pi.next_action = None;
    pi.challenge = None;
    pi.last_payment_error = None;
    let kind = if manual {
        pi.status = "requires_capture";
        pi.amount_capturable = pi.amount;
        "payment_intent.amount_capturable_updated"
    } else {
        pi.status = "succeeded";
        pi.amount_received = pi.amount;
        "payment_intent.succeeded"
    };
    let (json, session) = (to_json(&*pi), pi.checkout_session.clone());
    st.emit(kind, json, req);
    if let Some(cs_id) = session {
        let name = pm.as_ref().map(|p| p.billing_details["name"].clone());
        complete_session(st, &cs_id, manual, name.unwrap_or_default(), req);
    }
}

/// How long Stripe keeps an uncaptured card authorisation before cancelling it.
pub const AUTHORISATION_DAYS: i64 = 7;

/// The charge's `payment_method_details`: the card's, or a wallet's own (PayPal, Alipay).
fn method_details(
    pm: Option<&PaymentMethod>,
    amount: i64,
    authorised_at: Option<i64>,
    multicapture: Option<bool>,
) -> serde_json::Value {
    match pm {
        Some(p) if p.kind != "card" => serde_json::json!({
            "type": p.kind,
            p.kind: p.details.get(p.kind).cloned().unwrap_or_default(),
        }),
        _ => serde_json::json!({
            "type": "card",
            "card": pm.and_then(|p| p.card.as_ref()).map(|card| {
                card_details(card, amount, authorised_at, multicapture)
            }),
        }),
    }
}

/// The charge's `payment_method_details.card`; `authorised_at` for a manual capture, which
/// must happen before `capture_before`; `multicapture` when it was asked for.
fn card_details(
    card: &Card,
    amount: i64,
    authorised_at: Option<i64>,
    multicapture: Option<bool>,
) -> serde_json::Value {
    let mut details = serde_json::json!({
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "amount_authorized": amount,
        "authorization_code": null,
        "checks": { "address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass" },
        // Stripe's test cards are US cards.
        "country": "US",
        "funding": "credit",
        "installments": null,
        "mandate": null,
        "network": card.brand,
        "three_d_secure": null,
        "wallet": card.wallet.clone(),
    });
    if let Some(t) = authorised_at {
        details["capture_before"] = (t + AUTHORISATION_DAYS * 24 * 60 * 60).into();
    }
    if let Some(available) = multicapture {
        let status = if available {
            "available"
        } else {
            "unavailable"
        };
        details["multicapture"] = serde_json::json!({ "status": status });
    }
    details
}

/// The session is paid for: `name` is the cardholder's, as Checkout collects it.
fn complete_session(
    st: &mut State,
    cs_id: &str,
    manual: bool,
    name: serde_json::Value,
    req: &ReqCtx,
) {
    let customer_email = st
        .sessions
        .get(cs_id)
        .and_then(|cs| cs.customer.as_deref())
        .and_then(|c| st.customers.get(c))
        .and_then(|c| c.email.clone());
    let Some(cs) = st.sessions.get_mut(cs_id) else {
        return;
    };
    cs.customer_details = Some(serde_json::json!({
        "address": null,
        "email": cs.customer_email.clone().or(customer_email),
        "name": name,
        "phone": null,
        "tax_exempt": "none",
        "tax_ids": [],
    }));
    cs.status = "complete";
    // Manual capture: nothing is paid until captured, so Stripe reports `unpaid`.
    cs.payment_status = if manual { "unpaid" } else { "paid" };
    cs.url = None;
    let json = to_json(&*cs);
    st.emit("checkout.session.completed", json, req);
}

pub enum ChallengeAnswer {
    Passed,
    Retry { tries_left: u8 },
    Failed,
    NotPending,
}

pub fn answer_challenge(st: &mut State, pi_id: &str, code: &str) -> ChallengeAnswer {
    let req = ReqCtx::default();
    let Some(pi) = st.intents.get_mut(pi_id) else {
        return ChallengeAnswer::NotPending;
    };
    let Some(challenge) = pi
        .challenge
        .as_mut()
        .filter(|_| pi.status == "requires_action")
    else {
        return ChallengeAnswer::NotPending;
    };
    if bool::from(challenge.code.as_bytes().ct_eq(code.trim().as_bytes())) {
        authorise(st, pi_id, &req);
        return ChallengeAnswer::Passed;
    }
    challenge.failures += 1;
    if challenge.failures < CHALLENGE_TRIES {
        return ChallengeAnswer::Retry {
            tries_left: CHALLENGE_TRIES - challenge.failures,
        };
    }
    fail(
        st,
        pi_id,
        "invalid_request_error",
        "payment_intent_authentication_failure",
        None,
        "The provided PaymentMethod has failed authentication. You can provide payment_method_data \
         or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
        &req,
    );
    ChallengeAnswer::Failed
}
