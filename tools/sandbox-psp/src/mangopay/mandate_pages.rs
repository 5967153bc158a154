//! The mandate's public pages (outside the API, like the 3-D Secure page): the confirmation
//! page at the mandate's `RedirectURL`, where the user confirms (`SUBMITTED`) or cancels
//! (`FAILED`, 001805) and is sent back to its `ReturnURL`, and the mandate text at
//! `DocumentURL`. Only the IBAN's last four characters are shown.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::api::body_str;
use super::handle::MangopaySandbox;
use super::mandates::{self, USER_CANCELLED};
use super::state::State as Psp;
use crate::iban::masked;
use crate::stripe::pages::{escape, not_found, page, redirect};

/// Who collects under MangoPay's SEPA mandates.
const CREDITOR: &str = "MANGOPAY SA (sandbox)";

/// The mandate text: creditor, reference, the debtor's name and masked account.
fn mandate_text(st: &Psp, mandate: &Value) -> String {
    let account = st
        .bank_accounts
        .get(body_str(mandate, "BankAccountId"))
        .cloned()
        .unwrap_or_default();
    format!(
        "<dl>\n<dt>Creditor</dt><dd>{}</dd>\n<dt>Mandate reference</dt>\
         <dd data-bank-reference>{}</dd>\n<dt>Account holder</dt><dd>{}</dd>\n\
         <dt>Account (IBAN)</dt><dd data-iban>{}</dd>\n</dl>\n\
         <p>By confirming this mandate, you authorise the creditor to send instructions to \
         your bank to debit your account, and your bank to debit your account in accordance \
         with those instructions (SEPA Direct Debit, Core scheme). You are entitled to a refund \
         from your bank under the terms of your agreement with it, claimed within eight weeks \
         of the date your account was debited.</p>\n",
        escape(CREDITOR),
        escape(body_str(mandate, "BankReference")),
        escape(body_str(&account, "OwnerName")),
        escape(&masked(body_str(&account, "IBAN"))),
    )
}

fn form(id: &str, action: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/sandbox-psp/mangopay/mandates/{}/confirmation\">\n\
         <input type=\"hidden\" name=\"action\" value=\"{action}\">\n\
         <button type=\"submit\">{label}</button>\n</form>\n",
        escape(id)
    )
}

/// `GET /mandates/{id}/confirmation`.
pub async fn confirmation_page(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
) -> Response {
    let mut st = psp.lock();
    let Some(mandate) = mandates::current(&mut st, &id) else {
        return not_found();
    };
    let text = mandate_text(&st, &mandate);
    let status = body_str(&mandate, "Status");
    if status != "CREATED" {
        let body = format!(
            "<h1>This mandate is {}</h1>\n<p>There is nothing left to confirm.</p>\n{text}\
             <p><a href=\"{}\">Back to the shop</a></p>\n",
            escape(&status.to_lowercase()),
            escape(body_str(&mandate, "ReturnURL"))
        );
        return page(StatusCode::OK, "SEPA mandate", &body);
    }
    let body = format!(
        "<h1>SEPA Direct Debit mandate</h1>\n{text}{}{}",
        form(&id, "confirm", "Confirm the mandate"),
        form(&id, "cancel", "Cancel"),
    );
    page(StatusCode::OK, "SEPA mandate", &body)
}

/// `POST /mandates/{id}/confirmation` `action=confirm|cancel`: back to the `ReturnURL` (303),
/// which names the mandate. A mandate no longer `CREATED` is left as it is.
pub async fn confirmation_submit(
    State(psp): State<MangopaySandbox>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).unwrap_or_default();
    let action = pairs
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.as_str());
    let mut st = psp.lock();
    let Some(mandate) = mandates::current(&mut st, &id) else {
        return not_found();
    };
    if mandate["Status"] == "CREATED" {
        match action {
            Some("confirm") => mandates::submit(&mut st, &id),
            Some("cancel") => mandates::fail(&mut st, &id, USER_CANCELLED),
            _ => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "SEPA mandate",
                    "<h1>Unknown action</h1><p>Confirm or cancel the mandate.</p>",
                )
            }
        }
    }
    redirect(body_str(&mandate, "ReturnURL"))
}

/// `GET /mandates/{id}/document`: the mandate text as a page.
pub async fn document(State(psp): State<MangopaySandbox>, Path(id): Path<String>) -> Response {
    let mut st = psp.lock();
    let Some(mandate) = mandates::current(&mut st, &id) else {
        return not_found();
    };
    let body = format!(
        "<h1>SEPA Direct Debit mandate</h1>\n<p>Status: {}</p>\n{}",
        escape(body_str(&mandate, "Status")),
        mandate_text(&st, &mandate)
    );
    page(StatusCode::OK, "SEPA mandate", &body)
}
