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
use crate::app::validate::whole_number;
use crate::domain::FieldError;
use crate::ports::BrowserDetails;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFormBody {
    token_data: String,
    browser: BrowserBody,
}

/// Whole numbers as JSON Schema reads them (`24.0` is 24).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrowserBody {
    accept_header: String,
    user_agent: String,
    language: String,
    #[serde(deserialize_with = "whole_number::exact")]
    color_depth: u8,
    #[serde(deserialize_with = "whole_number::exact")]
    screen_height: u32,
    #[serde(deserialize_with = "whole_number::exact")]
    screen_width: u32,
    #[serde(deserialize_with = "signed_whole_number")]
    time_zone_offset: i32,
    java_enabled: bool,
    javascript_enabled: bool,
}

/// A signed whole number, `-60` or `-60.0`; a fraction or out of `i32` is refused.
fn signed_whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(d)?;
    let whole = match (number.as_i64(), number.as_f64()) {
        (Some(n), _) => Some(n),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() <= f64::from(i32::MAX) => Some(f as i64),
        _ => None,
    };
    whole
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| D::Error::custom("expected a whole number"))
}

/// The colour depths EMV 3-D Secure takes.
const COLOR_DEPTHS: [u8; 8] = [1, 4, 8, 15, 16, 24, 32, 48];

fn text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    // Characters, as JSON Schema's maxLength counts them (not bytes).
    let ok =
        !value.is_empty() && value.chars().count() <= max && value.chars().all(|c| !c.is_control());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(browser: serde_json::Value, token: &str) -> Result<CardFormAnswer, String> {
        let raw = json!({"token_data": token, "browser": browser});
        let parsed: CardFormBody = serde_json::from_value(raw).map_err(|e| e.to_string())?;
        answer(parsed, "203.0.113.7".into()).map_err(|e| e.field)
    }

    fn browser() -> serde_json::Value {
        json!({"accept_header": "text/html", "user_agent": "Firefox", "language": "fr-FR",
               "color_depth": 24.0, "screen_height": 1080, "screen_width": 1920.0,
               "time_zone_offset": -60.0, "java_enabled": false, "javascript_enabled": true})
    }

    #[test]
    fn whole_numbers_as_json_schema_reads_them_are_taken() {
        let read = body(browser(), "data=abc").unwrap();
        assert_eq!(
            (read.browser.color_depth, read.browser.screen_width),
            (24, 1920)
        );
        assert_eq!(read.browser.time_zone_offset, -60);
        assert_eq!(read.client_ip, "203.0.113.7");
    }

    #[test]
    fn each_wrong_value_is_named() {
        let with = |field: &str, value: serde_json::Value| {
            let mut b = browser();
            b[field] = value;
            b
        };
        assert_eq!(body(browser(), "data=a b"), Err("token_data".into()));
        assert_eq!(body(browser(), ""), Err("token_data".into()));
        assert_eq!(
            body(with("color_depth", json!(3)), "d"),
            Err("browser.color_depth".into())
        );
        assert_eq!(
            body(with("screen_height", json!(0)), "d"),
            Err("browser.screen_height".into())
        );
        assert_eq!(
            body(with("time_zone_offset", json!(901)), "d"),
            Err("browser.time_zone_offset".into())
        );
        assert_eq!(
            body(with("language", json!("fr\u{7}")), "d"),
            Err("browser.language".into())
        );
        assert!(body(with("time_zone_offset", json!(-60.5)), "d").is_err());
        assert!(body(with("color_depth", json!(24.5)), "d").is_err());
        // 35 characters of two bytes each: within the limit.
        assert!(body(with("language", json!("é".repeat(35))), "d").is_ok());
        assert_eq!(
            body(with("language", json!("é".repeat(36))), "d"),
            Err("browser.language".into())
        );
    }
}
