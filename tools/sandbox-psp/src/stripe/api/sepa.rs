//! SEPA Direct Debit's endpoints: `GET /v1/setup_intents/{id}`, `GET /v1/mandates/{id}`,
//! `GET /v1/payment_methods/{id}` (any type), and the debit itself, a
//! `POST /v1/payment_intents` with `payment_method_types[0]=sepa_debit` (intents.rs hands it
//! over once the amount and currency are read).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::Value;

use super::params::expansions;
use crate::stripe::errors::ApiError;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::sepa_debits::{self, NewDebit};
use crate::stripe::state::{to_json, ReqCtx};

fn no_params(query: Option<&str>) -> Result<(), ApiError> {
    let form = Form::from_query(query)?;
    form.allow_only(&["expand[#]"])?;
    expansions(&form, &[])?;
    Ok(())
}

pub async fn setup_intent(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    no_params(query.as_deref())?;
    psp.lock()
        .setup_intents
        .get(&id)
        .map(|s| Json(to_json(s)))
        .ok_or_else(|| ApiError::not_found("setup_intent", &id, "intent"))
}

pub async fn mandate(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    no_params(query.as_deref())?;
    psp.lock()
        .mandates
        .get(&id)
        .map(|m| Json(to_json(m)))
        .ok_or_else(|| ApiError::not_found("mandate", &id, "mandate"))
}

pub async fn payment_method(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    no_params(query.as_deref())?;
    psp.lock()
        .payment_method(&id)
        .map(|p| Json(to_json(p)))
        .ok_or_else(|| ApiError::not_found("payment_method", &id, "payment_method"))
}

/// The SEPA part of `POST /v1/payment_intents`: confirmed at once, off session, on a mandate.
pub fn create_debit(
    psp: &StripeSandbox,
    ctx: &ReqCtx,
    form: &Form,
    amount: i64,
    currency: String,
) -> Result<String, ApiError> {
    if form.bool("confirm")? != Some(true) {
        return Err(ApiError::invalid(
            Some("confirm"),
            "The sandbox confirms sepa_debit PaymentIntents when they are created: pass \
             confirm=true (and off_session=true, payment_method and mandate).",
        ));
    }
    if let Some(card_only) = form.keys_under("payment_method_options").first() {
        return Err(ApiError::invalid_code(
            card_only,
            "parameter_unknown",
            &format!("Received unknown parameter: {card_only}"),
        ));
    }
    if let Some(m) = form.one_of(
        "capture_method",
        &["automatic", "automatic_async", "manual"],
    )? {
        if m == "manual" {
            return Err(ApiError::invalid(
                Some("capture_method"),
                "The payment method type `sepa_debit` does not support manual capture.",
            ));
        }
    }
    let payment_method = form.required("payment_method")?.to_owned();
    let customer = form.get("customer").map(str::to_owned);
    let mut st = psp.lock();
    if let Some(c) = customer
        .as_deref()
        .filter(|c| !st.customers.contains_key(*c))
    {
        return Err(ApiError::not_found("customer", c, "customer"));
    }
    sepa_debits::create(
        &mut st,
        NewDebit {
            amount,
            currency,
            customer,
            payment_method,
            mandate: form.get("mandate").map(str::to_owned),
            description: form.get("description").map(str::to_owned),
            metadata: form.map("metadata"),
        },
        ctx,
    )
}
