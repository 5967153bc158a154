//! Wallets on the hosted page, as Stripe's test mode shows them: a PayPal or Alipay session
//! gets the test authorisation page ("Authorize test payment" / "Fail test payment"); a card
//! session also offers Apple Pay and Google Pay (a test Visa paid through the wallet, as
//! Stripe's `card.wallet`). Nothing is typed: the wallet's own account is the test one.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::cards::{Behaviour, Decline};
use super::fixed;
use super::pages::{escape, format_amount, page, FormTarget};
use super::state::{Card, CheckoutSession, Metadata, PaymentMethod};
use crate::ids::{new_id, now};

/// What the shopper chose on a wallet page (a form's `wallet` field).
pub(super) enum WalletChoice {
    /// PayPal or Alipay: authorised, or failed.
    Redirect { authorise: bool },
    /// Apple Pay or Google Pay on a card session.
    CardWallet(&'static str),
}

pub(super) fn wallet_choice(body: &[u8]) -> Option<WalletChoice> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let wallet = pairs.iter().find(|(k, _)| k == "wallet")?.1.as_str();
    Some(match wallet {
        "authorize" => WalletChoice::Redirect { authorise: true },
        "fail" => WalletChoice::Redirect { authorise: false },
        "apple_pay" => WalletChoice::CardWallet("apple_pay"),
        "google_pay" => WalletChoice::CardWallet("google_pay"),
        _ => return None,
    })
}

fn label(kind: &str) -> &'static str {
    match kind {
        "paypal" => "PayPal",
        "alipay" => "Alipay",
        "apple_pay" => "Apple Pay",
        _ => "Google Pay",
    }
}

fn hidden(target: &FormTarget<'_>) -> String {
    target
        .client_secret
        .map(|s| {
            format!(
                "<input type=\"hidden\" name=\"client_secret\" value=\"{}\">",
                escape(s)
            )
        })
        .unwrap_or_default()
}

fn button(target: &FormTarget<'_>, value: &str, text: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">{}<input type=\"hidden\" name=\"wallet\" \
         value=\"{value}\"><button type=\"submit\">{}</button></form>\n",
        escape(&target.action),
        hidden(target),
        escape(text)
    )
}

/// The test authorisation page of a PayPal or Alipay session.
pub(super) fn wallet_page(
    cs: &CheckoutSession,
    decline: Option<&str>,
    status: StatusCode,
    target: &FormTarget<'_>,
) -> Response {
    let amount = format_amount(cs.amount_total, &cs.currency);
    let name = label(cs.method_type);
    let mut body = format!(
        "<h1>Pay {} with {name}</h1>\n<p>{}</p>\n<p>Test mode: {name} asks nothing; choose the \
         outcome.</p>\n",
        escape(&amount),
        escape(&cs.description)
    );
    if let Some(msg) = decline {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"error\"><p>{}</p></div>\n",
            escape(msg)
        ));
    }
    body.push_str(&button(target, "authorize", "Authorize test payment"));
    body.push_str(&button(target, "fail", "Fail test payment"));
    if let Some(cancel) = cs
        .cancel_url
        .as_deref()
        .filter(|_| target.client_secret.is_none())
    {
        body.push_str(&format!(
            "<p><a href=\"{}\">Cancel and return to the shop</a></p>\n",
            escape(cancel)
        ));
    }
    page(status, &format!("Pay {amount} with {name}"), &body)
}

/// The Apple Pay and Google Pay buttons of a card session's page.
pub(super) fn card_wallet_buttons(target: &FormTarget<'_>) -> String {
    let mut html = String::from("<h2>Or pay with a wallet</h2>\n");
    for kind in ["apple_pay", "google_pay"] {
        html.push_str(&button(target, kind, &format!("{} (test)", label(kind))));
    }
    html
}

/// The PaymentMethod a wallet choice stands for.
pub(super) fn wallet_method(cs: &CheckoutSession, choice: &WalletChoice) -> PaymentMethod {
    let (kind, card, details, behaviour): (&'static str, Option<Card>, Value, Behaviour) =
        match *choice {
            WalletChoice::CardWallet(wallet) => (
                "card",
                Some(Card {
                    brand: "visa".into(),
                    last4: "4242".into(),
                    exp_month: 12,
                    exp_year: time::OffsetDateTime::now_utc().year() + 3,
                    wallet: Some(json!({ "type": wallet, wallet: {}, "dynamic_last4": "4242" })),
                }),
                Value::Null,
                Behaviour::Authorise,
            ),
            WalletChoice::Redirect { authorise } => {
                let details = match cs.method_type {
                    "paypal" => json!({
                        "payer_email": "buyer@example.com",
                        "payer_id": "SANDBOXPAYER1",
                        "payer_name": "Sandbox Buyer",
                        "seller_protection": { "dispute_categories": ["product_not_received"], "status": "eligible" },
                        "transaction_id": null,
                    }),
                    _ => {
                        json!({ "buyer_id": "2088000000000000", "fingerprint": null, "transaction_id": null })
                    }
                };
                let behaviour = if authorise {
                    Behaviour::Authorise
                } else {
                    Behaviour::Decline(Decline::Generic)
                };
                (cs.method_type, None, details, behaviour)
            }
        };
    let mut own = serde_json::Map::new();
    if kind != "card" {
        own.insert(kind.to_owned(), details);
    }
    PaymentMethod {
        id: new_id("pm_"),
        object: "payment_method",
        kind,
        customer: None,
        card,
        details: own,
        billing_details: fixed::billing_details(None),
        metadata: Metadata::new(),
        created: now(),
        livemode: false,
        behaviour,
        sepa: None,
    }
}
