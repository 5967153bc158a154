//! Hosted pages, server-rendered and usable without JavaScript: the Checkout page (card form)
//! here, the 3-D Secure challenge in pages_3ds.rs. Card numbers and CVCs are read, checked and dropped: only
//! brand, last4 and expiry are kept, and the form never echoes them back.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::cards::{behaviour_of_number, brand_of_number, luhn_valid, TEST_CARDS};
use super::handle::StripeSandbox;
use super::payments;
use super::sessions;
use super::state::{Card, CheckoutSession, ReqCtx, State as Psp};

/// HTML escaping, the same as the emails'.
pub use encaisse::domain::emails::escape_html as escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;\
padding:0 1rem;color:#1a1a1a}label{display:block;margin-top:1rem;font-weight:600}\
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;margin-top:.25rem}\
button{margin-top:1.5rem;padding:.75rem 1.5rem;font-size:1rem}\
.error{color:#a30000}.banner{background:#fff3cd;padding:.5rem}.amount{font-size:1.5rem}";

pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} – Sandbox PSP</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <p class=\"banner\">Sandbox PSP — test mode, no real money moves.</p>\n{body}\n</main>\n\
         </body>\n</html>\n",
        escape(title)
    );
    let mut resp = (status, Html(html)).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp
}

pub(crate) fn redirect(to: &str) -> Response {
    match header::HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect",
            "<p>Invalid redirect URL.</p>",
        ),
    }
}

/// `1234` `eur` → `12.34 EUR`; zero-decimal currencies have no fraction.
pub fn format_amount(amount: i64, currency: &str) -> String {
    let code = currency.to_uppercase();
    let zero_decimal = matches!(
        currency,
        "jpy" | "krw" | "vnd" | "clp" | "pyg" | "xaf" | "xof" | "ugx"
    );
    if zero_decimal {
        return format!("{amount} {code}");
    }
    let sign = if amount < 0 { "-" } else { "" };
    let a = amount.unsigned_abs();
    format!("{sign}{}.{:02} {code}", a / 100, a % 100)
}

pub(crate) fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<h1>Payment page not found</h1><p>This link is not valid.</p>",
    )
}

/// What the shopper typed, kept only to re-fill the form (never the number or CVC).
#[derive(Default)]
struct CardForm {
    name: String,
    exp: String,
    errors: Vec<(&'static str, String)>,
    decline: Option<String>,
}

fn field(
    id: &str,
    label: &str,
    autocomplete: &str,
    value: &str,
    extra: &str,
    f: &CardForm,
) -> String {
    let error = f
        .errors
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, m)| m.as_str());
    let (aria, msg) = match error {
        Some(m) => (
            format!(" aria-invalid=\"true\" aria-describedby=\"{id}-error\""),
            format!(
                "<span id=\"{id}-error\" class=\"error\">{}</span>",
                escape(m)
            ),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "<label for=\"{id}\">{label}</label>\n<input id=\"{id}\" name=\"{id}\" \
         autocomplete=\"{autocomplete}\" value=\"{}\" required{extra}{aria}>\n{msg}\n",
        escape(value)
    )
}

/// Where the card form posts: the hosted page's own URL, or the embedded page's (with the
/// session's client secret).
pub(super) struct FormTarget<'a> {
    pub action: String,
    pub client_secret: Option<&'a str>,
}

impl FormTarget<'_> {
    pub(super) fn hosted(cs_id: &str) -> Self {
        FormTarget {
            action: format!("/sandbox-psp/checkout/{cs_id}"),
            client_secret: None,
        }
    }
}

fn checkout_form(
    cs: &CheckoutSession,
    f: &CardForm,
    status: StatusCode,
    target: &FormTarget<'_>,
) -> Response {
    if cs.method_type != "card" {
        return super::pages_wallet::wallet_page(cs, f.decline.as_deref(), status, target);
    }
    let amount = format_amount(cs.amount_total, &cs.currency);
    let mut body = format!(
        "<h1>Pay {}</h1>\n<p>{}</p>\n<p class=\"amount\">{}</p>\n",
        escape(&amount),
        escape(&cs.description),
        escape(&amount)
    );
    if let Some(msg) = &f.decline {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"error\"><p>{} Please try another card.</p></div>\n",
            escape(msg)
        ));
    }
    if !f.errors.is_empty() {
        body.push_str(
            "<div role=\"alert\" class=\"error\"><p>Please correct the card details:</p><ul>",
        );
        for (id, m) in &f.errors {
            body.push_str(&format!("<li><a href=\"#{id}\">{}</a></li>", escape(m)));
        }
        body.push_str("</ul></div>\n");
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">\n",
        escape(&target.action)
    ));
    if let Some(secret) = target.client_secret {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"client_secret\" value=\"{}\">\n",
            escape(secret)
        ));
    }
    body.push_str(&field("name", "Name on card", "cc-name", &f.name, "", f));
    body.push_str(&field(
        "number",
        "Card number",
        "cc-number",
        "",
        " inputmode=\"numeric\"",
        f,
    ));
    body.push_str(&field(
        "exp",
        "Expiry date (MM/YY)",
        "cc-exp",
        &f.exp,
        " placeholder=\"MM/YY\"",
        f,
    ));
    body.push_str(&field(
        "cvc",
        "Security code (CVC)",
        "cc-csc",
        "",
        " inputmode=\"numeric\" maxlength=\"4\"",
        f,
    ));
    body.push_str(&format!(
        "<button type=\"submit\">Pay {}</button>\n</form>\n",
        escape(&amount)
    ));
    body.push_str(&super::pages_wallet::card_wallet_buttons(target));
    if let Some(cancel) = &cs.cancel_url {
        body.push_str(&format!(
            "<p><a href=\"{}\">Cancel and return to the shop</a></p>\n",
            escape(cancel)
        ));
    }
    body.push_str("<h2>Test cards</h2>\n<ul>\n");
    for (number, what) in TEST_CARDS {
        body.push_str(&format!(
            "<li><code>{number}</code>: {}</li>\n",
            escape(what)
        ));
    }
    body.push_str("</ul>\n<p>Any future expiry date and any 3-digit CVC.</p>\n");
    page(status, &format!("Pay {amount}"), &body)
}

/// Pages for sessions that no longer take a card.
fn closed_session(cs: &CheckoutSession) -> Option<Response> {
    match cs.status {
        "expired" => Some(page(
            StatusCode::GONE,
            "Checkout expired",
            "<h1>This checkout has expired</h1><p>Nothing was charged. Please return to the shop to start again.</p>",
        )),
        "complete" => Some(page(
            StatusCode::OK,
            "Payment complete",
            &format!(
                "<h1>This payment is already complete</h1><p><a href=\"{}\">Return to the shop</a></p>",
                escape(&success_url(cs))
            ),
        )),
        _ => None,
    }
}

/// Stripe replaces the literal `{CHECKOUT_SESSION_ID}` in success_url.
pub(super) fn success_url(cs: &CheckoutSession) -> String {
    cs.success_url.replace("{CHECKOUT_SESSION_ID}", &cs.id)
}

fn pending_challenge(st: &Psp, cs: &CheckoutSession) -> Option<String> {
    let pi = st.intents.get(cs.payment_intent.as_deref()?)?;
    (pi.status == "requires_action").then(|| format!("/sandbox-psp/3ds/{}", pi.id))
}

pub async fn checkout_page(State(psp): State<StripeSandbox>, Path(id): Path<String>) -> Response {
    let mut st = psp.lock();
    if super::pages_sepa::is_setup(&st, &id) {
        return super::pages_sepa::show(&mut st, &id);
    }
    match show_card_form(&mut st, &id, &FormTarget::hosted(&id)) {
        Shown::Form(page) | Shown::Elsewhere(page) => page,
    }
}

/// What a session's card page shows.
pub(super) enum Shown {
    /// The card form.
    Form(Response),
    /// Where the shopper must be instead: a closed session's page, or the pending 3-D Secure
    /// challenge (a redirect).
    Elsewhere(Response),
}

/// The card form of session `id`, or where the shopper must be instead.
pub(super) fn show_card_form(st: &mut Psp, id: &str, target: &FormTarget<'_>) -> Shown {
    sessions::refresh_session(st, id);
    let Some(cs) = st.sessions.get(id) else {
        return Shown::Elsewhere(not_found());
    };
    if let Some(resp) = closed_session(cs) {
        return Shown::Elsewhere(resp);
    }
    if let Some(url) = pending_challenge(st, cs) {
        return Shown::Elsewhere(redirect(&url));
    }
    // Back from a failed challenge: say why the last attempt failed.
    let decline = cs
        .payment_intent
        .as_deref()
        .and_then(|pi| st.intents.get(pi))
        .and_then(|pi| pi.last_payment_error.as_ref())
        .map(|e| e.message.clone());
    Shown::Form(checkout_form(
        cs,
        &CardForm {
            decline,
            ..CardForm::default()
        },
        StatusCode::OK,
        target,
    ))
}

/// `MM/YY`, `MM / YYYY`, `MMYY` → (month, four-digit year).
fn parse_expiry(s: &str) -> Option<(u32, i32)> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let (m, y) = match (s.split_once('/'), digits.len()) {
        (Some((m, y)), _) => (m.trim().parse().ok()?, y.trim().parse::<i32>().ok()?),
        (None, 4) | (None, 6) => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    let year = if y < 100 { 2000 + y } else { y };
    ((1..=12).contains(&m) && (2000..=2100).contains(&year)).then_some((m, year))
}

struct Submitted {
    name: String,
    number: String,
    exp: String,
    cvc: String,
}

fn read_card_form(body: &[u8]) -> Submitted {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    Submitted {
        name: get("name"),
        number: get("number"),
        exp: get("exp"),
        cvc: get("cvc"),
    }
}

/// Checks the form: Ok((card, digits)) or the form to show again with its errors.
fn validate(s: &Submitted) -> Result<(Card, String), CardForm> {
    let mut form = CardForm {
        name: s.name.clone(),
        exp: s.exp.clone(),
        ..CardForm::default()
    };
    if s.name.is_empty() {
        form.errors
            .push(("name", "Enter the name on the card.".into()));
    }
    let digits: String = s
        .number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if !luhn_valid(&digits) {
        form.errors
            .push(("number", "Your card number is invalid.".into()));
    }
    let today = time::OffsetDateTime::now_utc();
    let expiry = parse_expiry(&s.exp);
    match expiry {
        None => form
            .errors
            .push(("exp", "Enter the expiry date as MM/YY.".into())),
        Some((m, y)) if (y, m) < (today.year(), u32::from(u8::from(today.month()))) => form
            .errors
            .push(("exp", "Your card's expiration date is in the past.".into())),
        Some(_) => {}
    }
    let cvc_len = if brand_of_number(&digits) == "amex" {
        4
    } else {
        3
    };
    if s.cvc.len() != cvc_len || !s.cvc.bytes().all(|b| b.is_ascii_digit()) {
        form.errors
            .push(("cvc", "Your card's security code is incomplete.".into()));
    }
    match expiry {
        Some((exp_month, exp_year)) if form.errors.is_empty() => Ok((
            Card {
                brand: brand_of_number(&digits).into(),
                last4: digits[digits.len() - 4..].to_owned(),
                exp_month,
                exp_year,
                wallet: None,
            },
            digits,
        )),
        _ => Err(form),
    }
}

pub async fn checkout_submit(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Bytes,
) -> Response {
    if super::pages_sepa::is_setup(&psp.lock(), &id) {
        return super::pages_sepa::submit(&psp, &id, &body, &headers, peer);
    }
    let mut st = psp.lock();
    match take_card(&mut st, psp.base(), &id, &body, &FormTarget::hosted(&id)) {
        Taken::Next(next) => redirect(&next),
        Taken::Page(page) => page,
    }
}

/// What a submitted card led to.
pub(super) enum Taken {
    /// Where the shopper goes next: the challenge, or the shop's success URL.
    Next(String),
    /// The page to show: the form again with its errors or the decline, or a closed session's.
    Page(Response),
}

/// Reads the card typed on session `id`'s form and confirms its payment with it.
pub(super) fn take_card(
    st: &mut Psp,
    base: &str,
    id: &str,
    body: &[u8],
    target: &FormTarget<'_>,
) -> Taken {
    let submitted = read_card_form(body);
    sessions::refresh_session(st, id);
    let Some(cs) = st.sessions.get(id) else {
        return Taken::Page(not_found());
    };
    if let Some(resp) = closed_session(cs) {
        return Taken::Page(resp);
    }
    let choice = super::pages_wallet::wallet_choice(body);
    let card_session = cs.method_type == "card";
    let pm = match &choice {
        // A wallet of this session's kind: PayPal / Alipay, or Apple Pay / Google Pay on a card.
        Some(c)
            if card_session == matches!(c, super::pages_wallet::WalletChoice::CardWallet(_)) =>
        {
            super::pages_wallet::wallet_method(cs, c)
        }
        _ if !card_session => {
            return Taken::Page(checkout_form(
                cs,
                &CardForm::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                target,
            ))
        }
        _ => {
            let (card, digits) = match validate(&submitted) {
                Ok(ok) => ok,
                Err(form) => {
                    return Taken::Page(checkout_form(
                        cs,
                        &form,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        target,
                    ))
                }
            };
            let behaviour = behaviour_of_number(&digits);
            drop(digits);
            payments::new_payment_method(card, behaviour, Some(&submitted.name))
        }
    };
    let pm_id = pm.id.clone();
    st.payment_methods.push(pm);
    let Some(pi_id) = sessions::checkout_intent(st, id) else {
        return Taken::Page(not_found());
    };
    let result = payments::confirm(
        st,
        base,
        &pi_id,
        Some(&pm_id),
        false,
        None,
        &ReqCtx::default(),
    );
    let Some(cs) = st.sessions.get(id) else {
        return Taken::Page(not_found());
    };
    match result {
        Err(e) => {
            let form = CardForm {
                name: submitted.name,
                exp: submitted.exp,
                decline: Some(e.body.message),
                ..CardForm::default()
            };
            Taken::Page(checkout_form(cs, &form, StatusCode::OK, target))
        }
        Ok(()) => Taken::Next(pending_challenge(st, cs).unwrap_or_else(|| success_url(cs))),
    }
}
