//! The 3-D Secure challenge page: the PaymentIntent's fixed one-time code is shown as a test
//! hint; three wrong codes fail the payment.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::handle::StripeSandbox;
use super::pages::{escape, format_amount, not_found, page, redirect, success_url};
use super::payments::{self, ChallengeAnswer, CHALLENGE_TRIES};
use super::state::State as Psp;

fn challenge_form(
    amount: &str,
    pi_id: &str,
    code: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut body = format!(
        "<h1>Confirm your payment</h1>\n<p>Your bank asks you to confirm a payment of \
         <strong>{}</strong> to Sandbox merchant.</p>\n",
        escape(amount)
    );
    if let Some(e) = error {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"error\"><p>{}</p></div>\n",
            escape(e)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/sandbox-psp/3ds/{pi}\">\n\
         <label for=\"code\">One-time code sent to your phone</label>\n\
         <input id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" \
         required aria-describedby=\"hint\">\n\
         <p id=\"hint\">Test mode: the code is <strong data-test-code>{code}</strong>.</p>\n\
         <button type=\"submit\">Confirm</button>\n</form>\n",
        pi = escape(pi_id),
        code = escape(code),
    ));
    page(status, "Confirm your payment", &body)
}

pub async fn challenge_page(State(psp): State<StripeSandbox>, Path(id): Path<String>) -> Response {
    let st = psp.lock();
    let Some(pi) = st.intents.get(&id) else {
        return not_found();
    };
    match &pi.challenge {
        Some(ch) if pi.status == "requires_action" => {
            let left = CHALLENGE_TRIES - ch.failures;
            let note =
                (ch.failures > 0).then(|| format!("Incorrect code. {left} attempt(s) left."));
            challenge_form(
                &format_amount(pi.amount, &pi.currency),
                &pi.id,
                &ch.code,
                note.as_deref(),
                StatusCode::OK,
            )
        }
        _ => page(
            StatusCode::OK,
            "Nothing to confirm",
            "<h1>Nothing to confirm</h1><p>This payment does not need authentication now.</p>",
        ),
    }
}

/// Where to send the shopper after the challenge: the session's pages for Checkout, else
/// `return_url` with Stripe's query parameters.
fn after_challenge(st: &Psp, pi_id: &str, succeeded: bool) -> Option<String> {
    let pi = st.intents.get(pi_id)?;
    if let Some(cs) = pi
        .checkout_session
        .as_deref()
        .and_then(|cs| st.sessions.get(cs))
    {
        return Some(if succeeded {
            success_url(cs)
        } else {
            format!("/sandbox-psp/checkout/{}", cs.id)
        });
    }
    let url = pi.return_url.as_deref()?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!(
        "{url}{sep}payment_intent={}&payment_intent_client_secret={}&redirect_status={}",
        pi.id,
        pi.client_secret,
        if succeeded { "succeeded" } else { "failed" }
    ))
}

pub async fn challenge_submit(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let code = pairs
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let mut st = psp.lock();
    let Some(pi) = st.intents.get(&id) else {
        return not_found();
    };
    let amount = format_amount(pi.amount, &pi.currency);
    match payments::answer_challenge(&mut st, &id, code) {
        ChallengeAnswer::Passed => match after_challenge(&st, &id, true) {
            Some(url) => redirect(&url),
            None => page(
                StatusCode::OK,
                "Payment confirmed",
                "<h1>Payment confirmed</h1><p>You can close this window.</p>",
            ),
        },
        ChallengeAnswer::Retry { tries_left } => challenge_form(
            &amount,
            &id,
            &payments::challenge_code(&id),
            Some(&format!("Incorrect code. {tries_left} attempt(s) left.")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ChallengeAnswer::Failed => {
            let link = match after_challenge(&st, &id, false) {
                Some(url) => format!("<p><a href=\"{}\">Try another card</a></p>", escape(&url)),
                None => String::new(),
            };
            page(
                StatusCode::OK,
                "Authentication failed",
                &format!(
                    "<h1>Authentication failed</h1><div role=\"alert\"><p>The code was wrong \
                     {CHALLENGE_TRIES} times, so the payment of {} was not made.</p></div>{link}",
                    escape(&amount)
                ),
            )
        }
        ChallengeAnswer::NotPending => page(
            StatusCode::CONFLICT,
            "Nothing to confirm",
            "<h1>Nothing to confirm</h1><p>This payment does not need authentication now.</p>",
        ),
    }
}
