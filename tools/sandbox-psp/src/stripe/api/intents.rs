//! `/v1/payment_intents`: create, retrieve, confirm, capture, cancel.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::{Extension, Json};
use serde_json::Value;

use super::params::{currency, expansions, url_param};
use crate::stripe::captures;
use crate::stripe::errors::ApiError;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::payments;
use crate::stripe::sessions::{self, NewIntent};
use crate::stripe::state::{ReqCtx, State as Psp};

/// Stripe's minimum charge amounts for the usual currencies (minor units); others accept 1.
fn minimum_amount(currency: &str) -> i64 {
    match currency {
        "eur" | "usd" | "chf" | "cad" | "aud" | "nzd" | "sgd" => 50,
        "gbp" => 30,
        _ => 1,
    }
}

/// Created with `require_cvc_recollection`: only the shopper confirms it, with the card's
/// security code on the PSP's side (Stripe.js; the sandbox's `/confirm/{id}` page).
fn needs_cvc(pi: &crate::stripe::state::PaymentIntent) -> bool {
    pi.payment_method_options["card"]["require_cvc_recollection"] == true
}

fn cvc_needed() -> ApiError {
    ApiError::invalid(
        Some("payment_method_options[card][cvc_token]"),
        "This PaymentIntent requires the card's security code again: the customer confirms it \
         with the code, on session.",
    )
}

fn intent_json(st: &Psp, id: &str, expand: &[String]) -> Value {
    let mut json = st.intent_json(id);
    if expand.iter().any(|e| e == "latest_charge") {
        if let Some(ch) = json["latest_charge"].as_str().map(str::to_owned) {
            json["latest_charge"] = st.charge_json(&ch);
        }
    }
    json
}

pub async fn create(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&[
        "amount",
        "currency",
        "capture_method",
        "customer",
        "payment_method",
        "confirm",
        "off_session",
        "return_url",
        "description",
        "setup_future_usage",
        "metadata[*]",
        "payment_method_options[card][request_multicapture]",
        "payment_method_options[card][request_three_d_secure]",
        "payment_method_options[card][require_cvc_recollection]",
        "payment_method_types[#]",
        "mandate",
        "expand[#]",
    ])?;
    let expand = expansions(&form, &["latest_charge"])?;
    let currency = currency(&form, "currency")?;
    let amount = form
        .int("amount")?
        .ok_or_else(|| ApiError::missing("amount"))?;
    let min = minimum_amount(&currency);
    if amount < min {
        return Err(ApiError::invalid_code(
            "amount",
            "amount_too_small",
            &format!("Amount must be at least {min} {currency} (minor units)."),
        ));
    }
    if amount > 99_999_999 {
        return Err(ApiError::invalid_code(
            "amount",
            "amount_too_large",
            "Amount must be no more than 99999999",
        ));
    }
    let sepa = form
        .one_of("payment_method_types[0]", &["card", "sepa_debit"])?
        .is_some_and(|t| t == "sepa_debit");
    if sepa {
        let id = super::sepa::create_debit(&psp, &ctx, &form, amount, currency)?;
        return Ok(Json(intent_json(&psp.lock(), &id, &expand)));
    }
    if form.get("mandate").is_some() {
        return Err(ApiError::invalid(
            Some("mandate"),
            "A mandate is only used with payment_method_types[0]=sepa_debit.",
        ));
    }
    let capture_method = form
        .one_of(
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        )?
        .unwrap_or_else(|| "automatic".into());
    let setup_future_usage = form.one_of("setup_future_usage", &["off_session", "on_session"])?;
    let multicapture = form
        .one_of(
            "payment_method_options[card][request_multicapture]",
            &["if_available", "never"],
        )?
        .is_some_and(|v| v == "if_available");
    let three_d_secure = form
        .one_of(
            "payment_method_options[card][request_three_d_secure]",
            &["automatic", "any", "challenge"],
        )?
        .unwrap_or_else(|| "automatic".into());
    let recollect_cvc = form
        .bool("payment_method_options[card][require_cvc_recollection]")?
        .unwrap_or(false);
    let confirm = form.bool("confirm")?.unwrap_or(false);
    if confirm && recollect_cvc {
        return Err(cvc_needed());
    }
    let off_session = form.bool("off_session")?.unwrap_or(false);
    if off_session && !confirm {
        return Err(ApiError::invalid(
            Some("off_session"),
            "off_session can only be used when confirm=true.",
        ));
    }
    let customer = form.get("customer").map(str::to_owned);
    let return_url = url_param(&form, "return_url")?;
    let mut st = psp.lock();
    if let Some(c) = customer
        .as_deref()
        .filter(|c| !st.customers.contains_key(*c))
    {
        return Err(ApiError::not_found("customer", c, "customer"));
    }
    let payment_method = match form.get("payment_method") {
        Some(pm) => Some(payments::resolve_payment_method(&mut st, pm)?),
        None => None,
    };
    let mut pi = sessions::new_intent(NewIntent {
        amount,
        currency,
        capture_method,
        customer,
        description: form.get("description").map(str::to_owned),
        setup_future_usage,
        metadata: form.map("metadata"),
        multicapture,
        three_d_secure,
    });
    if recollect_cvc {
        pi.payment_method_options["card"]["require_cvc_recollection"] = true.into();
    }
    if payment_method.is_some() {
        pi.status = "requires_confirmation";
    }
    pi.payment_method = payment_method;
    pi.return_url = return_url;
    let id = pi.id.clone();
    st.intents.insert(id.clone(), pi);
    if confirm {
        payments::confirm(&mut st, psp.base(), &id, None, off_session, None, &ctx)?;
    }
    Ok(Json(intent_json(&st, &id, &expand)))
}

pub async fn retrieve(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let form = Form::from_query(query.as_deref())?;
    form.allow_only(&["expand[#]", "client_secret"])?;
    let expand = expansions(&form, &["latest_charge"])?;
    let st = psp.lock();
    if !st.intents.contains_key(&id) {
        return Err(ApiError::not_found("payment_intent", &id, "intent"));
    }
    Ok(Json(intent_json(&st, &id, &expand)))
}

pub async fn confirm(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["payment_method", "return_url", "off_session", "expand[#]"])?;
    let expand = expansions(&form, &["latest_charge"])?;
    let off_session = form.bool("off_session")?.unwrap_or(false);
    let return_url = url_param(&form, "return_url")?;
    let mut st = psp.lock();
    if st.intents.get(&id).is_some_and(needs_cvc) {
        return Err(cvc_needed());
    }
    payments::confirm(
        &mut st,
        psp.base(),
        &id,
        form.get("payment_method"),
        off_session,
        return_url,
        &ctx,
    )?;
    Ok(Json(intent_json(&st, &id, &expand)))
}

pub async fn capture(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&[
        "amount_to_capture",
        "final_capture",
        "metadata[*]",
        "expand[#]",
    ])?;
    let expand = expansions(&form, &["latest_charge"])?;
    let amount = form.int("amount_to_capture")?;
    let final_capture = form.bool("final_capture")?;
    let metadata = form.map("metadata");
    let mut st = psp.lock();
    captures::capture(&mut st, &id, amount, final_capture, metadata, &ctx)?;
    Ok(Json(intent_json(&st, &id, &expand)))
}

pub async fn cancel(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["cancellation_reason", "expand[#]"])?;
    let expand = expansions(&form, &["latest_charge"])?;
    let reason = form.one_of(
        "cancellation_reason",
        &[
            "duplicate",
            "fraudulent",
            "requested_by_customer",
            "abandoned",
        ],
    )?;
    let mut st = psp.lock();
    captures::cancel(&mut st, &id, reason, &ctx)?;
    Ok(Json(intent_json(&st, &id, &expand)))
}
