//! `POST /v1/payment_methods/{id}` (a saved card's expiry and holder name) and
//! `POST /v1/payment_methods/{id}/detach` (taken off its customer; a SEPA method's mandate
//! becomes inactive), with Stripe's refusals.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::Value;

use super::params::expansions;
use crate::ids::now;
use crate::stripe::errors::ApiError;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::state::{to_json, ReqCtx};

fn current_year() -> i64 {
    i64::from(
        time::OffsetDateTime::from_unix_timestamp(now())
            .map(|t| t.year())
            .unwrap_or(2026),
    )
}

pub async fn update(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&[
        "card[exp_month]",
        "card[exp_year]",
        "billing_details[name]",
        "metadata[*]",
        "expand[#]",
    ])?;
    expansions(&form, &[])?;
    let month = form.int("card[exp_month]")?;
    if month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(ApiError::invalid_code(
            "card[exp_month]",
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
        ));
    }
    let year = form.int("card[exp_year]")?;
    if year.is_some_and(|y| y < current_year() || y > current_year() + 50) {
        return Err(ApiError::invalid_code(
            "card[exp_year]",
            "invalid_expiry_year",
            "Your card's expiration year is invalid.",
        ));
    }
    let mut st = psp.lock();
    let pm = st
        .payment_method_mut(&id)
        .ok_or_else(|| ApiError::not_found("payment_method", &id, "payment_method"))?;
    if pm.customer.is_none() {
        return Err(ApiError::invalid(
            None,
            "You must save this PaymentMethod to a customer before you can update it.",
        ));
    }
    let Some(card) = pm.card.as_mut() else {
        return Err(ApiError::invalid(
            Some("card"),
            "Only a card PaymentMethod has an expiry to update.",
        ));
    };
    if let Some(m) = month.and_then(|m| u32::try_from(m).ok()) {
        card.exp_month = m;
    }
    if let Some(y) = year.and_then(|y| i32::try_from(y).ok()) {
        card.exp_year = y;
    }
    if let Some(name) = form.get("billing_details[name]") {
        pm.billing_details["name"] = if name.is_empty() {
            Value::Null
        } else {
            Value::String(name.to_owned())
        };
    }
    for (key, value) in form.map("metadata") {
        if value.is_empty() {
            pm.metadata.remove(&key);
        } else {
            pm.metadata.insert(key, value);
        }
    }
    let json = to_json(&*pm);
    st.emit("payment_method.updated", json.clone(), &ctx);
    Ok(Json(json))
}

pub async fn detach(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["expand[#]"])?;
    expansions(&form, &[])?;
    let mut st = psp.lock();
    let pm = st
        .payment_method_mut(&id)
        .ok_or_else(|| ApiError::not_found("payment_method", &id, "payment_method"))?;
    if pm.customer.is_none() {
        return Err(ApiError::invalid(
            None,
            "The payment method you provided is not attached to a customer so detachment is \
             impossible.",
        ));
    }
    pm.customer = None;
    let json = to_json(&*pm);
    st.emit("payment_method.detached", json.clone(), &ctx);
    // A detached SEPA method cannot be debited any more: Stripe deactivates its mandate.
    crate::stripe::sepa_setup::deactivate_mandates(&mut st, &id, &ctx);
    Ok(Json(json))
}
