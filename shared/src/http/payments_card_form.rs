//! `POST /v1/orders/{reference}/payments/{payment_id}/card-form`: our card form's answer (the
//! tokenisation server's text and the browser's details for 3-D Secure), read strictly.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::client_ip::ClientIp;
use super::json_body::{parse_json, RawJson};
use super::payments::{provider_problem, PaymentsApi};
use super::{bearer_token, Problem};
use crate::app::payment_view::PaymentView;
use crate::app::submit_card_form::{CardFormAnswer, CardFormError};
use crate::domain::FieldError;
use crate::ports::BrowserDetails;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFormBody {
    token_data: String,
    browser: BrowserBody,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrowserBody {
    accept_header: String,
    user_agent: String,
    language: String,
    color_depth: u8,
    screen_height: u32,
    screen_width: u32,
    time_zone_offset: i32,
    java_enabled: bool,
    javascript_enabled: bool,
}

/// The colour depths EMV 3-D Secure takes.
const COLOR_DEPTHS: [u8; 8] = [1, 4, 8, 15, 16, 24, 32, 48];

fn text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    let ok = !value.is_empty() && value.len() <= max && value.chars().all(|c| !c.is_control());
    match ok {
        true => Ok(()),
        false => Err(FieldError::new(
            field,
            format!("must be 1 to {max} characters, without control characters"),
        )),
    }
}

fn answer(body: CardFormBody, client_ip: String) -> Result<CardFormAnswer, FieldError> {
    let token = &body.token_data;
    if token.is_empty() || token.len() > 4096 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            "token_data",
            "must be the tokenisation server's answer: 1 to 4096 visible ASCII characters",
        ));
    }
    let b = body.browser;
    text("browser.accept_header", &b.accept_header, 2048)?;
    text("browser.user_agent", &b.user_agent, 2048)?;
    text("browser.language", &b.language, 35)?;
    if !COLOR_DEPTHS.contains(&b.color_depth) {
        return Err(FieldError::new(
            "browser.color_depth",
            "must be one of 1, 4, 8, 15, 16, 24, 32, 48",
        ));
    }
    for (field, value) in [
        ("browser.screen_height", b.screen_height),
        ("browser.screen_width", b.screen_width),
    ] {
        if !(1..=100_000).contains(&value) {
            return Err(FieldError::new(field, "must be 1 to 100000 pixels"));
        }
    }
    if !(-900..=900).contains(&b.time_zone_offset) {
        return Err(FieldError::new(
            "browser.time_zone_offset",
            "must be -900 to 900 minutes",
        ));
    }
    Ok(CardFormAnswer {
        token_data: body.token_data,
        browser: BrowserDetails {
            accept_header: b.accept_header,
            user_agent: b.user_agent,
            language: b.language,
            color_depth: b.color_depth,
            screen_height: b.screen_height,
            screen_width: b.screen_width,
            time_zone_offset: b.time_zone_offset,
            java_enabled: b.java_enabled,
            javascript_enabled: b.javascript_enabled,
        },
        client_ip,
    })
}

impl From<CardFormError> for Problem {
    fn from(error: CardFormError) -> Self {
        match error {
            CardFormError::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "payment-not-found",
                "Payment not found",
                "This order has no payment on a card form with this id.",
            ),
            CardFormError::NotOpen(status) => Problem::new(
                StatusCode::CONFLICT,
                "payment-not-open",
                "Payment not open",
                format!(
                    "The payment is {}: start a new payment to pay by card.",
                    status.as_str()
                ),
            ),
            CardFormError::Refused(failure) => Problem::new(
                StatusCode::PAYMENT_REQUIRED,
                "card-refused",
                "Card refused",
                format!(
                    "The card was refused ({}). Start a new payment with another card.",
                    failure.decline_code.unwrap_or(failure.code)
                ),
            ),
            CardFormError::Provider(e) => provider_problem(&e),
            CardFormError::Store(e) => Problem::from_store(&e),
        }
    }
}

pub(super) async fn submit_card_form(
    State(api): State<PaymentsApi>,
    Path((reference, payment_id)): Path<(String, String)>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let reference = api.start.authorize(&reference, bearer_token(&headers))?;
    let body: CardFormBody = parse_json(&body)?;
    let answer = answer(body, client_ip.to_string()).map_err(Problem::invalid_field)?;
    let submitted = api
        .card_forms
        .submit(&reference, &payment_id, &answer)
        .await?;
    let mut response = Json(json!({
        "payment": PaymentView::new(&submitted.payment),
        "next_action": {"type": "redirect", "url": submitted.redirect_to},
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
