//! The saved-card confirmation page: what Stripe.js's CVC element and `confirmCardPayment` do
//! for a PaymentIntent created with `require_cvc_recollection`, as a page of the PSP. The shop
//! sends the shopper here with the PaymentIntent's client secret; the security code is typed
//! here, checked and dropped (it never reaches the shop), then the payment is confirmed on
//! session: authorised, or on to the 3-D Secure challenge, or declined.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::handle::StripeSandbox;
use super::pages::{escape, format_amount, not_found, page, redirect};
use super::payments;
use super::state::{ReqCtx, State as Psp};

/// What the page needs from its query or form: the client secret and where to go back.
#[derive(Default)]
struct Params {
    client_secret: String,
    return_url: String,
    cvc: String,
}

fn params(raw: &[u8]) -> Params {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Params {
        client_secret: get("client_secret"),
        return_url: get("return_url"),
        cvc: get("cvc"),
    }
}

/// The PaymentIntent, when the client secret is its own and it waits for the shopper.
fn waiting<'a>(st: &'a Psp, id: &str, secret: &str) -> Option<&'a super::state::PaymentIntent> {
    let pi = st.intents.get(id)?;
    let same: bool = pi.client_secret.as_bytes().ct_eq(secret.as_bytes()).into();
    same.then_some(pi)
}

fn back_to_shop(return_url: &str, pi: &super::state::PaymentIntent, status: &str) -> String {
    let sep = if return_url.contains('?') { '&' } else { '?' };
    format!(
        "{return_url}{sep}payment_intent={}&payment_intent_client_secret={}&redirect_status={status}",
        pi.id, pi.client_secret
    )
}

fn confirm_form(
    st: &Psp,
    pi: &super::state::PaymentIntent,
    p: &Params,
    error: Option<&str>,
) -> Response {
    let amount = format_amount(pi.amount, &pi.currency);
    let card = pi
        .payment_method
        .as_deref()
        .and_then(|id| st.payment_method(id))
        .and_then(|pm| pm.card.as_ref())
        .map(|card| format!("{} •••• {}", card.brand, card.last4))
        .unwrap_or_else(|| "your saved card".into());
    let mut body = format!(
        "<h1>Pay {}</h1>\n<p>With <strong data-saved-card>{}</strong>. Type its security code \
         to confirm it is yours.</p>\n",
        escape(&amount),
        escape(&card)
    );
    if let Some(e) = error {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"error\"><p>{}</p></div>\n",
            escape(e)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/sandbox-psp/confirm/{id}\">\n\
         <input type=\"hidden\" name=\"client_secret\" value=\"{secret}\">\n\
         <input type=\"hidden\" name=\"return_url\" value=\"{back}\">\n\
         <label for=\"cvc\">Security code (CVC)</label>\n\
         <input id=\"cvc\" name=\"cvc\" autocomplete=\"cc-csc\" inputmode=\"numeric\" \
         maxlength=\"4\" required>\n\
         <button type=\"submit\">Pay {amount}</button>\n</form>\n\
         <p><a href=\"{cancel}\">Cancel and return to the shop</a></p>\n\
         <p>Test mode: any 3-digit code (4 for American Express).</p>\n",
        id = escape(&pi.id),
        secret = escape(&p.client_secret),
        back = escape(&p.return_url),
        amount = escape(&amount),
        cancel = escape(&back_to_shop(&p.return_url, pi, "canceled")),
    ));
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(status, &format!("Pay {amount}"), &body)
}

fn nothing_to_confirm(pi: &super::state::PaymentIntent, return_url: &str) -> Response {
    let status = if matches!(pi.status, "requires_capture" | "succeeded") {
        "succeeded"
    } else {
        "failed"
    };
    let link = if return_url.is_empty() {
        String::new()
    } else {
        format!(
            "<p><a href=\"{}\">Return to the shop</a></p>",
            escape(&back_to_shop(return_url, pi, status))
        )
    };
    page(
        StatusCode::CONFLICT,
        "Nothing to confirm",
        &format!("<h1>Nothing to confirm</h1><p>This payment is not waiting for you.</p>{link}"),
    )
}

fn valid_return_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

pub async fn confirm_page(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.unwrap_or_default().as_bytes());
    let st = psp.lock();
    let Some(pi) = waiting(&st, &id, &p.client_secret) else {
        return not_found();
    };
    if !valid_return_url(&p.return_url) {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "<h1>Invalid link</h1><p>This payment link has no valid return address.</p>",
        );
    }
    if pi.status != "requires_confirmation" {
        return nothing_to_confirm(pi, &p.return_url);
    }
    confirm_form(&st, pi, &p, None)
}

pub async fn confirm_submit(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = params(&body);
    let mut st = psp.lock();
    let Some(pi) = waiting(&st, &id, &p.client_secret) else {
        return not_found();
    };
    if !valid_return_url(&p.return_url) {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "<h1>Invalid link</h1><p>This payment link has no valid return address.</p>",
        );
    }
    if pi.status != "requires_confirmation" {
        return nothing_to_confirm(pi, &p.return_url);
    }
    let amex = pi
        .payment_method
        .as_deref()
        .and_then(|pm| st.payment_method(pm))
        .and_then(|pm| pm.card.as_ref())
        .is_some_and(|card| card.brand == "amex");
    let digits = if amex { 4 } else { 3 };
    let cvc_ok = p.cvc.len() == digits && p.cvc.bytes().all(|b| b.is_ascii_digit());
    if !cvc_ok {
        let pi = pi.clone();
        return confirm_form(
            &st,
            &pi,
            &p,
            Some(&format!(
                "The security code is the {digits} digits on the card."
            )),
        );
    }
    drop(p.cvc);
    let result = payments::confirm(
        &mut st,
        psp.base(),
        &id,
        None,
        false,
        Some(p.return_url.clone()),
        &ReqCtx::default(),
    );
    let Some(pi) = st.intents.get(&id) else {
        return not_found();
    };
    match result {
        Ok(()) => match &pi.next_action {
            Some(action) => redirect(&action.redirect_to_url.url),
            None => redirect(&back_to_shop(&p.return_url, pi, "succeeded")),
        },
        // Declined: the shop hears it from the PaymentIntent (payment_failed) and offers
        // another card; the shopper goes back with the outcome.
        Err(e) => page(
            StatusCode::OK,
            "Payment declined",
            &format!(
                "<h1>Payment declined</h1><div role=\"alert\"><p>{}</p></div>\
                 <p><a href=\"{}\">Return to the shop</a></p>",
                escape(&e.body.message),
                escape(&back_to_shop(&p.return_url, pi, "failed"))
            ),
        ),
    }
}
