//! `POST /v1/checkout/sessions` with `mode=setup`: a hosted page collecting a SEPA Direct Debit
//! mandate for later off-session debits. The session is created with its SetupIntent
//! (`setup_intent_data[metadata]`); nothing is paid, so there are no line items (refused as
//! Stripe refuses them), no amount and no currency.

use axum::Json;
use serde_json::Value;

use super::checkout::{expires_at, session_json};
use super::params::url_param;
use crate::ids::new_id;
use crate::stripe::errors::ApiError;
use crate::stripe::fixed::SessionFixed;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::sepa_setup::new_setup_intent;
use crate::stripe::state::{CheckoutSession, IntentTemplate};

/// Parameter groups of payment mode that setup mode refuses, with Stripe's wording.
const PAYMENT_ONLY: &[&str] = &[
    "line_items",
    "payment_intent_data",
    "payment_method_options",
];

fn refuse_payment_params(form: &Form) -> Result<(), ApiError> {
    for group in PAYMENT_ONLY {
        if let Some(key) = form.keys_under(group).first() {
            return Err(ApiError::invalid(
                Some(key),
                &format!("You can not pass `{group}` in `setup` mode."),
            ));
        }
    }
    if form.get("ui_mode").is_some_and(|m| m != "hosted") || form.get("return_url").is_some() {
        return Err(ApiError::invalid(
            Some("ui_mode"),
            "The sandbox serves setup mode on its hosted page only (ui_mode=hosted).",
        ));
    }
    Ok(())
}

pub fn create(
    psp: &StripeSandbox,
    form: &Form,
    expand: &[String],
) -> Result<Json<Value>, ApiError> {
    refuse_payment_params(form)?;
    match form.list("payment_method_types").as_slice() {
        [only] if only == "sepa_debit" => {}
        _ => {
            return Err(ApiError::invalid(
                Some("payment_method_types"),
                "The sandbox's setup mode collects SEPA Direct Debit mandates only: \
                 payment_method_types[0]=sepa_debit.",
            ))
        }
    }
    // The mandate's PaymentMethod is attached to the customer: the sandbox needs one up front.
    let customer = form.required("customer")?.to_owned();
    let success_url =
        url_param(form, "success_url")?.ok_or_else(|| ApiError::missing("success_url"))?;
    let cancel_url = url_param(form, "cancel_url")?;
    let mut st = psp.lock();
    if !st.customers.contains_key(&customer) {
        return Err(ApiError::not_found("customer", &customer, "customer"));
    }
    // Wall time, as every session's expiry is checked against it.
    let created = crate::ids::now();
    let expires_at = expires_at(form, created)?;
    let id = new_id("cs_test_");
    let seti = new_setup_intent(
        &mut st,
        Some(customer.clone()),
        form.map("setup_intent_data[metadata]"),
        &id,
    );
    let session = CheckoutSession {
        url: Some(format!("{}/sandbox-psp/checkout/{id}", psp.base())),
        id: id.clone(),
        object: "checkout.session",
        mode: "setup",
        status: "open",
        payment_status: "no_payment_required",
        payment_intent: None,
        amount_subtotal: 0,
        amount_total: 0,
        currency: String::new(),
        customer: Some(customer),
        customer_creation: None,
        customer_details: None,
        customer_email: None,
        client_reference_id: form.get("client_reference_id").map(str::to_owned),
        success_url,
        cancel_url,
        expires_at,
        metadata: form.map("metadata"),
        created,
        livemode: false,
        fixed: SessionFixed::default(),
        description: "SEPA Direct Debit mandate".into(),
        intent: IntentTemplate::default(),
        embedded: None,
        method_type: "sepa_debit",
        setup_intent: Some(seti),
    };
    st.sessions.insert(id.clone(), session);
    Ok(Json(session_json(&st, &id, expand)))
}
