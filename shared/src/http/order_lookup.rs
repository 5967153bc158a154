//! Router of the `order-lookup` function: `POST /v1/order-lookups`, `GET /v1/orders/{reference}`,
//! `GET /v1/orders/{reference}/billing`, `GET /v1/orders/{reference}/documents`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::client_ip::ClientIp;
use super::json_body::StrictJson;
use super::views::{Audience, BillingSummary, OrderView};
use super::{bearer_token, Problem};
use crate::app::{LookupError, OrderLookup};
use crate::domain::FieldError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    /// From the quote's "Pay now" link: opens the order without a postcode, never limited.
    /// A string when given: `null` is refused as the schema says, not read as absent.
    #[serde(default, deserialize_with = "present_string")]
    pub pay_token: Option<String>,
}

fn present_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

#[derive(Debug, Serialize)]
pub struct LookupResponse {
    pub order: OrderView,
    pub access_token: String,
    pub expires_at: String,
}

impl From<LookupError> for Problem {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Invalid(e) => Problem::invalid_field(e),
            LookupError::NotFound => Problem::order_not_found(),
            LookupError::TooManyAttempts {
                retry_after_seconds,
            } => Problem::too_many_attempts(retry_after_seconds),
            LookupError::Unauthorized(_) => {
                Problem::unauthorized("A valid order access token is required.")
            }
            LookupError::Store(e) => Problem::from_store(&e),
        }
    }
}

/// Shopper answers carry an access token or personal data: never cache them.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn look_up_order(
    State(lookup): State<OrderLookup>,
    ClientIp(client_ip): ClientIp,
    StrictJson(request): StrictJson<LookupRequest>,
) -> Result<Response, Problem> {
    let granted = match request {
        LookupRequest {
            pay_token: Some(token),
            ..
        } => lookup.open_with_pay_token(&token).await?,
        LookupRequest {
            reference,
            postcode,
            pay_token: None,
        } => {
            let required = |value: Option<String>, field: &str| {
                value.ok_or_else(|| {
                    Problem::invalid_field(FieldError::new(
                        field,
                        "is required (or give the pay_token of the order's link)",
                    ))
                })
            };
            let reference = required(reference, "reference")?;
            let postcode = required(postcode, "postcode")?;
            lookup.lookup(&reference, &postcode, &client_ip).await?
        }
    };
    let body = LookupResponse {
        order: OrderView::new(&granted.order, &granted.payments, Audience::Shopper),
        access_token: granted.access_token,
        expires_at: granted
            .expires_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    };
    Ok(private(Json(body).into_response()))
}

async fn view_order(
    State(lookup): State<OrderLookup>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (order, payments) = lookup.view(&reference, bearer_token(&headers)).await?;
    Ok(private(
        Json(OrderView::new(&order, &payments, Audience::Shopper)).into_response(),
    ))
}

#[derive(Debug, Serialize)]
pub struct BillingOnFileResponse {
    pub billing_on_file: Option<BillingSummary>,
    /// Whether the checkout offers "save this card for future purchases" (the seller's policy).
    pub save_card_offered: bool,
    /// Whether the checkout may offer the signed-in shopper's saved cards (the PSP has a page
    /// where the security code is typed again).
    pub saved_cards_payable: bool,
    /// The wallets the checkout offers (`PAYMENT_WALLETS`), in the seller's order.
    pub wallets_offered: Vec<&'static str>,
    /// The instalment plans open to what the order owes (`INSTALMENT_PLANS`), each with its
    /// schedule.
    pub instalment_plans: Vec<PlanView>,
    /// Bank transfer and cheque, when the seller takes them: where to send what is due and
    /// the reference to quote.
    pub offline_methods: Vec<crate::domain::offline_instructions::PayInstructions>,
    /// The customer's credit balance (`use_credit_balance`), null when there is none.
    pub credit_balance: Option<String>,
    /// What `method: on_account` can still take, null when the seller does not allow it.
    pub on_account_available: Option<String>,
    /// The web channel's payment modes this deployment can serve, in the seller's order,
    /// with their public names: the page offers only these.
    pub payment_modes: Vec<PaymentModeView>,
}

#[derive(Debug, Serialize)]
pub struct PaymentModeView {
    pub code: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: crate::domain::payment_modes::PublicName,
}

#[derive(Debug, Serialize)]
pub struct PlanView {
    pub count: u32,
    pub instalments: Vec<PlannedInstalment>,
}

#[derive(Debug, Serialize)]
pub struct PlannedInstalment {
    pub index: u32,
    /// `YYYY-MM-DD`, the shop's calendar; the first is today.
    pub due_on: String,
    pub amount: String,
}

/// `GET /v1/orders/{reference}/billing`: the billing details on file for the order's customer,
/// redacted, so the checkout page can offer to reuse them (`billing` omitted when paying).
async fn billing_on_file(
    State(lookup): State<OrderLookup>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let offer = lookup
        .checkout_for(&reference, bearer_token(&headers))
        .await?;
    let (billing, currency, offline_methods) = (offer.billing, offer.currency, offer.offline);
    let credit_balance = offer.credit.map(|c| currency.format(c));
    let on_account_available = offer.on_account.map(|a| currency.format(a));
    use crate::domain::payment_modes::ModeKind;
    let modes = lookup.modes();
    let wallets_offered: Vec<&'static str> = match modes.offers(ModeKind::Wallet) {
        true => lookup.wallets().iter().map(|w| w.as_str()).collect(),
        false => Vec::new(),
    };
    let payment_modes = lookup
        .served_modes()
        .map(|m| PaymentModeView {
            code: m.code.clone(),
            kind: m.kind.as_str(),
            name: m.public_name.clone(),
        })
        .collect();
    let body = BillingOnFileResponse {
        billing_on_file: billing.as_ref().map(BillingSummary::new),
        save_card_offered: lookup.card_saving_offered() && modes.offers(ModeKind::Card),
        saved_cards_payable: lookup.saved_card_checkout() && modes.offers(ModeKind::SavedCard),
        wallets_offered,
        instalment_plans: offer
            .plans
            .into_iter()
            .map(|(count, schedule)| PlanView {
                count,
                instalments: schedule
                    .into_iter()
                    .map(|i| PlannedInstalment {
                        index: i.index,
                        due_on: i.due_on.to_string(),
                        amount: currency.format(i.amount),
                    })
                    .collect(),
            })
            .collect(),
        offline_methods,
        credit_balance,
        on_account_available,
        payment_modes,
    };
    Ok(private(Json(body).into_response()))
}

pub fn order_lookup_router(lookup: OrderLookup) -> Router {
    Router::new()
        .route("/v1/order-lookups", post(look_up_order))
        .route("/v1/orders/{reference}", get(view_order))
        .route("/v1/orders/{reference}/billing", get(billing_on_file))
        .route(
            "/v1/orders/{reference}/documents",
            get(super::documents::shopper_documents),
        )
        .with_state(lookup)
}
