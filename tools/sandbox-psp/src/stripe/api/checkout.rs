//! `/v1/checkout/sessions`: create, retrieve, expire. The PaymentIntent is created when the
//! shopper submits a card on the hosted page (Stripe's behaviour since API 2022-08-01), so
//! `payment_intent` is null until then.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::{Extension, Json};
use serde_json::Value;

use super::params::{currency, expansions, positive, url_param};
use crate::ids::{new_id, now};
use crate::stripe::errors::ApiError;
use crate::stripe::fixed::SessionFixed;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::sessions::{expire_session, refresh_session};
use crate::stripe::state::{to_json, CheckoutSession, IntentTemplate, ReqCtx, State as Psp};

/// What a session's retrieve, create and expire can expand.
const EXPANDABLE: &[&str] = &["payment_intent", "setup_intent"];

/// Stripe's bounds on `expires_at`: 30 minutes to 24 hours after creation.
const MIN_EXPIRY_S: i64 = 30 * 60;
const MAX_EXPIRY_S: i64 = 24 * 60 * 60;
/// Tolerance for the caller's clock being a little ahead or behind ours.
const CLOCK_SLACK_S: i64 = 10;

pub(super) const CREATE_PARAMS: &[&str] = &[
    "mode",
    "success_url",
    "cancel_url",
    "customer",
    "customer_email",
    "client_reference_id",
    "line_items[#][price_data][currency]",
    "line_items[#][price_data][unit_amount]",
    "line_items[#][price_data][product_data][name]",
    "line_items[#][quantity]",
    "payment_intent_data[capture_method]",
    "payment_intent_data[setup_future_usage]",
    "payment_intent_data[metadata][*]",
    "setup_intent_data[metadata][*]",
    "payment_method_options[card][request_multicapture]",
    "payment_method_options[card][request_three_d_secure]",
    "payment_method_types[#]",
    "ui_mode",
    "return_url",
    "metadata[*]",
    "expires_at",
    "expand[#]",
];

/// The line items: total amount, currency and a description for the hosted page.
fn line_items(form: &Form) -> Result<(i64, String, String), ApiError> {
    let indices = form.indices("line_items");
    if indices.is_empty() {
        return Err(ApiError::missing("line_items"));
    }
    let (mut total, mut cur, mut names) = (0i64, None::<String>, Vec::new());
    for i in indices {
        let p = |k: &str| format!("line_items[{i}][{k}]");
        let c = currency(form, &p("price_data][currency"))?;
        let unit = positive(form, &p("price_data][unit_amount"), 0)?;
        let qty = positive(form, &p("quantity"), 1)?;
        let name = form.required(&p("price_data][product_data][name"))?;
        if cur.as_ref().is_some_and(|prev| *prev != c) {
            return Err(ApiError::invalid(
                Some(&p("price_data][currency")),
                "All line items must use the same currency.",
            ));
        }
        cur = Some(c);
        total = unit
            .checked_mul(qty)
            .and_then(|v| v.checked_add(total))
            .filter(|v| *v <= 99_999_999)
            .ok_or_else(|| {
                ApiError::invalid(Some("line_items"), "Amount must be no more than 99999999")
            })?;
        names.push(if qty > 1 {
            format!("{name} × {qty}")
        } else {
            name.to_owned()
        });
    }
    Ok((total, cur.unwrap_or_default(), names.join(", ")))
}

/// `expires_at`, within Stripe's bounds (default: 24 hours after `created`).
pub(super) fn expires_at(form: &Form, created: i64) -> Result<i64, ApiError> {
    Ok(match form.int("expires_at")? {
        None => created + MAX_EXPIRY_S,
        // Exactly Stripe's minimum: a caller that computes its expiry early, or truncates
        // it, is refused here as it would be there.
        Some(t) if t < created + MIN_EXPIRY_S => {
            return Err(ApiError::invalid(
                Some("expires_at"),
                "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            ))
        }
        Some(t) if t > created + MAX_EXPIRY_S + CLOCK_SLACK_S => {
            return Err(ApiError::invalid(
                Some("expires_at"),
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            ))
        }
        Some(t) => t,
    })
}

pub async fn create(
    State(psp): State<StripeSandbox>,
    Extension(_ctx): Extension<ReqCtx>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(CREATE_PARAMS)?;
    let expand = expansions(&form, EXPANDABLE)?;
    match form.required("mode")? {
        "payment" => {}
        "setup" => return super::checkout_setup::create(&psp, &form, &expand),
        _ => {
            return Err(ApiError::invalid(
                Some("mode"),
                "The sandbox supports mode=payment and mode=setup only.",
            ))
        }
    }
    if let Some(key) = form.keys_under("setup_intent_data").first() {
        return Err(ApiError::invalid(
            Some(key),
            "You can not pass `setup_intent_data` in `payment` mode.",
        ));
    }
    let method_type: &'static str = match form
        .one_of("payment_method_types[0]", &["card", "paypal", "alipay"])?
        .as_deref()
    {
        Some("paypal") => "paypal",
        Some("alipay") => "alipay",
        _ => "card",
    };
    if form.get("payment_method_types[1]").is_some() {
        return Err(ApiError::invalid(
            Some("payment_method_types"),
            "The sandbox takes one payment method type per session.",
        ));
    }
    let embedded = form
        .one_of("ui_mode", &["hosted", "embedded"])?
        .is_some_and(|m| m == "embedded");
    let (success_url, cancel_url) = if embedded {
        for not_allowed in ["success_url", "cancel_url"] {
            if form.get(not_allowed).is_some() {
                return Err(ApiError::invalid(
                    Some(not_allowed),
                    &format!("{not_allowed} is not allowed if ui_mode is `embedded`."),
                ));
            }
        }
        let back = url_param(&form, "return_url")?.ok_or_else(|| {
            ApiError::invalid(
                Some("return_url"),
                "return_url is required if ui_mode is `embedded`.",
            )
        })?;
        (back, None)
    } else {
        if form.get("return_url").is_some() {
            return Err(ApiError::invalid(
                Some("return_url"),
                "return_url is only allowed if ui_mode is `embedded`.",
            ));
        }
        let success_url =
            url_param(&form, "success_url")?.ok_or_else(|| ApiError::missing("success_url"))?;
        (success_url, url_param(&form, "cancel_url")?)
    };
    let (amount_total, currency, description) = line_items(&form)?;
    let capture_method = form
        .one_of(
            "payment_intent_data[capture_method]",
            &["automatic", "automatic_async", "manual"],
        )?
        .unwrap_or_else(|| "automatic".into());
    // Alipay has no separate authorisation: it is captured at once.
    if method_type == "alipay" && capture_method == "manual" {
        return Err(ApiError::invalid(
            Some("payment_intent_data[capture_method]"),
            "The payment method type `alipay` does not support manual capture.",
        ));
    }
    let setup_future_usage = form.one_of(
        "payment_intent_data[setup_future_usage]",
        &["off_session", "on_session"],
    )?;
    let multicapture = form
        .one_of(
            "payment_method_options[card][request_multicapture]",
            &["if_available", "never"],
        )?
        .is_some_and(|v| v == "if_available");
    let three_d_secure = form
        .one_of(
            "payment_method_options[card][request_three_d_secure]",
            &["any", "automatic", "challenge"],
        )?
        .unwrap_or_else(|| "automatic".into());
    let created = now();
    let expires_at = expires_at(&form, created)?;
    let customer = form.get("customer").map(str::to_owned);
    let customer_email = form.get("customer_email").map(str::to_owned);
    if customer.is_some() && customer_email.is_some() {
        return Err(ApiError::invalid(
            Some("customer_email"),
            "You may only specify one of these parameters: customer, customer_email.",
        ));
    }
    let mut st = psp.lock();
    if let Some(c) = customer
        .as_deref()
        .filter(|c| !st.customers.contains_key(*c))
    {
        return Err(ApiError::not_found("customer", c, "customer"));
    }
    let id = new_id("cs_test_");
    let session = CheckoutSession {
        url: Some(format!("{}/sandbox-psp/checkout/{id}", psp.base())),
        id: id.clone(),
        object: "checkout.session",
        mode: "payment",
        status: "open",
        payment_status: "unpaid",
        payment_intent: None,
        amount_subtotal: amount_total,
        amount_total,
        currency,
        customer_creation: customer.is_none().then_some("if_required"),
        customer,
        customer_details: None,
        customer_email,
        client_reference_id: form.get("client_reference_id").map(str::to_owned),
        success_url,
        cancel_url,
        expires_at,
        metadata: form.map("metadata"),
        created,
        livemode: false,
        fixed: SessionFixed::default(),
        description,
        intent: IntentTemplate {
            capture_method,
            setup_future_usage,
            metadata: form.map("payment_intent_data[metadata]"),
            multicapture,
            three_d_secure,
        },
        method_type,
        setup_intent: None,
        embedded: embedded.then(|| crate::stripe::state::EmbeddedSession {
            client_secret: format!("{id}_secret_{}", &new_id("")[..24]),
        }),
    };
    st.sessions.insert(id.clone(), session);
    Ok(Json(session_json(&st, &id, &expand)))
}

pub fn session_json(st: &Psp, id: &str, expand: &[String]) -> Value {
    let mut json = st.session_json(id);
    if expand.iter().any(|e| e == "payment_intent") {
        if let Some(pi) = json["payment_intent"].as_str().map(str::to_owned) {
            json["payment_intent"] = st.intent_json(&pi);
        }
    }
    if expand.iter().any(|e| e == "setup_intent") {
        if let Some(seti) = json["setup_intent"].as_str().map(str::to_owned) {
            json["setup_intent"] = st.setup_intents.get(&seti).map(to_json).unwrap_or_default();
        }
    }
    json
}

pub async fn retrieve(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let form = Form::from_query(query.as_deref())?;
    form.allow_only(&["expand[#]"])?;
    let expand = expansions(&form, EXPANDABLE)?;
    let mut st = psp.lock();
    if !st.sessions.contains_key(&id) {
        return Err(ApiError::not_found("checkout.session", &id, "session"));
    }
    refresh_session(&mut st, &id);
    Ok(Json(session_json(&st, &id, &expand)))
}

pub async fn expire(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["expand[#]"])?;
    let expand = expansions(&form, EXPANDABLE)?;
    let mut st = psp.lock();
    refresh_session(&mut st, &id);
    expire_session(&mut st, &id, &ctx)?;
    Ok(Json(session_json(&st, &id, &expand)))
}
