//! The hosted page of a setup-mode Checkout Session: a SEPA Direct Debit form (account holder,
//! email, IBAN) under the mandate text naming the creditor, as Stripe's hosted page shows it,
//! and the mandate's own page (`mandate.payment_method_details.sepa_debit.url`). The IBAN is
//! read, checked and dropped: it is never echoed back, kept nor logged.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;

use super::handle::StripeSandbox;
use super::iban::{self, Refused, TEST_IBANS};
use super::pages::{escape, not_found, page, redirect, success_url};
use super::sepa_objects::Acceptance;
use super::sepa_setup::{self, Holder};
use super::state::{CheckoutSession, State as Psp};

/// The creditor the mandate names: the sandbox's test merchant (Stripe's page shows the
/// account's public business name).
pub const CREDITOR: &str = "Sandbox PSP Test Merchant";

/// What the shopper typed, to fill the form again (never the IBAN).
#[derive(Default)]
struct SepaForm {
    name: String,
    email: String,
    error: Option<String>,
}

fn mandate_text() -> String {
    format!(
        "By providing your payment information and confirming this mandate, you authorise (A) \
         {CREDITOR} and Stripe, its payment service provider, to send instructions to your \
         bank to debit your account and (B) your bank to debit your account in accordance with \
         those instructions. As part of your rights, you are entitled to a refund from your \
         bank under the terms and conditions of your agreement with your bank. A refund must be \
         claimed within 8 weeks starting from the date on which your account was debited. Your \
         rights are explained in a statement that you can obtain from your bank."
    )
}

fn input(id: &str, label: &str, autocomplete: &str, value: &str) -> String {
    format!(
        "<label for=\"{id}\">{label}</label>\n<input id=\"{id}\" name=\"{id}\" \
         autocomplete=\"{autocomplete}\" value=\"{}\" required>\n",
        escape(value)
    )
}

fn sepa_form(cs: &CheckoutSession, f: &SepaForm, status: StatusCode) -> Response {
    let mut body = "<h1>Set up SEPA Direct Debit</h1>\n".to_owned();
    if let Some(error) = &f.error {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"error\"><p>{}</p></div>\n",
            escape(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/sandbox-psp/checkout/{}\">\n",
        escape(&cs.id)
    ));
    body.push_str(&input("name", "Account holder name", "name", &f.name));
    body.push_str(&input("email", "Email", "email", &f.email));
    body.push_str(&input("iban", "IBAN", "off", ""));
    body.push_str(&format!(
        "<p id=\"mandate-text\">{}</p>\n<button type=\"submit\">Accept and save</button>\n</form>\n",
        escape(&mandate_text())
    ));
    if let Some(cancel) = &cs.cancel_url {
        body.push_str(&format!(
            "<p><a href=\"{}\">Cancel and return to the shop</a></p>\n",
            escape(cancel)
        ));
    }
    body.push_str("<h2>Test IBANs</h2>\n<ul>\n");
    for (number, _, what) in TEST_IBANS {
        body.push_str(&format!(
            "<li><code>{number}</code>: {}</li>\n",
            escape(what)
        ));
    }
    body.push_str("</ul>\n");
    page(status, "Set up SEPA Direct Debit", &body)
}

/// A setup session's page once it no longer takes a mandate.
fn closed(cs: &CheckoutSession) -> Option<Response> {
    match cs.status {
        "expired" => Some(page(
            StatusCode::GONE,
            "Checkout expired",
            "<h1>This page has expired</h1><p>No mandate was set up. Please return to the shop.</p>",
        )),
        "complete" => Some(page(
            StatusCode::OK,
            "Mandate set up",
            &format!(
                "<h1>Your SEPA Direct Debit mandate is set up</h1><p><a href=\"{}\">Return to the shop</a></p>",
                escape(&success_url(cs))
            ),
        )),
        _ => None,
    }
}

/// Whether session `id` is a setup-mode one (its page is this module's).
pub fn is_setup(st: &Psp, id: &str) -> bool {
    st.sessions.get(id).is_some_and(|cs| cs.mode == "setup")
}

/// `GET /checkout/{id}` of a setup session.
pub fn show(st: &mut Psp, id: &str) -> Response {
    super::sessions::refresh_session(st, id);
    let Some(cs) = st.sessions.get(id) else {
        return not_found();
    };
    closed(cs).unwrap_or_else(|| sepa_form(cs, &SepaForm::default(), StatusCode::OK))
}

fn field(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// `POST /checkout/{id}` of a setup session: the mandate is accepted with a valid IBAN.
pub fn submit(
    psp: &StripeSandbox,
    id: &str,
    body: &[u8],
    headers: &HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut form = SepaForm {
        name: field(&pairs, "name"),
        email: field(&pairs, "email"),
        error: None,
    };
    let account = iban::read(&field(&pairs, "iban"));
    drop(pairs);
    let mut st = psp.lock();
    super::sessions::refresh_session(&mut st, id);
    let Some(cs) = st.sessions.get(id) else {
        return not_found();
    };
    if let Some(resp) = closed(cs) {
        return resp;
    }
    form.error = match (&account, form.name.is_empty(), form.email.contains('@')) {
        (_, true, _) => Some("Enter the account holder's name.".into()),
        (_, _, false) => Some("Enter a valid email address.".into()),
        (Err(Refused::Invalid), _, _) => Some("Your IBAN is invalid.".into()),
        (Err(Refused::Unsupported(code)), _, _) => Some(format!(
            "This bank account cannot be used for SEPA Direct Debit ({code})."
        )),
        (Ok(_), _, _) => None,
    };
    let account = match account {
        Ok(a) if form.error.is_none() => a,
        _ => return sepa_form(cs, &form, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let acceptance = Acceptance {
        accepted_at: st.now(),
        ip_address: peer.map(|Extension(ConnectInfo(addr))| addr.ip().to_string()),
        user_agent: header(header::USER_AGENT),
    };
    let holder = Holder {
        name: form.name,
        email: form.email,
    };
    match sepa_setup::complete(&mut st, psp.base(), id, &account, &holder, acceptance) {
        Some(()) => st
            .sessions
            .get(id)
            .map_or_else(not_found, |cs| redirect(&success_url(cs))),
        None => not_found(),
    }
}

/// `GET /mandates/{id}`: the mandate the customer accepted, as its `url` shows it.
pub async fn mandate_page(State(psp): State<StripeSandbox>, Path(id): Path<String>) -> Response {
    let st = psp.lock();
    let Some(m) = st.mandates.get(&id) else {
        return not_found();
    };
    let pm = st.payment_method(&m.payment_method);
    let last4 = pm
        .and_then(|p| p.details.get("sepa_debit"))
        .and_then(|d| d["last4"].as_str())
        .unwrap_or("????");
    let name = pm
        .and_then(|p| p.billing_details["name"].as_str())
        .unwrap_or_default();
    let body = format!(
        "<h1>SEPA Direct Debit mandate</h1>\n<dl><dt>Reference</dt><dd>{}</dd>\
         <dt>Creditor</dt><dd>{}</dd><dt>Debtor</dt><dd>{}</dd><dt>Account</dt>\
         <dd>IBAN ending in {}</dd><dt>Status</dt><dd>{}</dd><dt>Accepted at</dt><dd>{}</dd></dl>\n\
         <p>{}</p>\n",
        escape(m.reference()),
        escape(CREDITOR),
        escape(name),
        escape(last4),
        escape(m.status),
        m.customer_acceptance["accepted_at"],
        escape(&mandate_text())
    );
    page(StatusCode::OK, "SEPA Direct Debit mandate", &body)
}
