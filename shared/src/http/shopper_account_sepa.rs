//! The account's SEPA routes: `GET`/`POST /v1/me/mandates`, `DELETE /v1/me/mandates/{id}`,
//! `GET /v1/me/sepa`. A child of `http::shopper_account` (its session check and headers).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::{private, session, Api};
use crate::http::json_body::StrictJson;
use crate::http::Problem;

#[derive(Debug, Serialize)]
struct MandateView {
    id: String,
    status: &'static str,
    iban_last4: Option<String>,
    bank_country: Option<String>,
    /// The mandate reference (UMR) the bank statement shows.
    reference: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    accepted_at: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

impl From<crate::domain::sepa::Mandate> for MandateView {
    fn from(m: crate::domain::sepa::Mandate) -> Self {
        Self {
            id: m.id,
            status: m.status.as_str(),
            iban_last4: m.iban_last4,
            bank_country: m.bank_country,
            reference: m.reference,
            accepted_at: m.accepted_at,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
struct MandatesAnswer {
    mandates: Vec<MandateView>,
}

pub(super) async fn mandates(
    State(api): State<Api>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let mandates = api.mandates(&session).await?;
    let body = MandatesAnswer {
        mandates: mandates.into_iter().map(MandateView::from).collect(),
    };
    Ok(private(Json(body).into_response()))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewMandateInput {
    return_url: String,
    /// Where the PSP sets the mandate up on an account we pass on (MangoPay).
    #[serde(default)]
    bank_account: Option<crate::app::shopper_account::bank_account::BankAccountInput>,
}

#[derive(Debug, Serialize)]
struct NewMandateAnswer {
    mandate: MandateView,
    /// The PSP's page where the shopper gives their IBAN and accepts the mandate (Stripe), or
    /// confirms the mandate on the IBAN given here (MangoPay).
    url: String,
}

pub(super) async fn add_mandate(
    State(api): State<Api>,
    headers: HeaderMap,
    StrictJson(input): StrictJson<NewMandateInput>,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let setup = api
        .add_mandate(&session, &input.return_url, input.bank_account.as_ref())
        .await?;
    let body = NewMandateAnswer {
        mandate: setup.mandate.into(),
        url: setup.url,
    };
    Ok(private((StatusCode::CREATED, Json(body)).into_response()))
}

pub(super) async fn revoke_mandate(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let session = session(&api, &headers).await?;
    let mandate = api.revoke_mandate(&session, &id).await?;
    Ok(private(Json(MandateView::from(mandate)).into_response()))
}

#[derive(Debug, Serialize)]
struct DebitMonthView {
    month: String,
    status: &'static str,
    total: String,
    purchases: usize,
    collection_on: Option<String>,
    failure_code: Option<String>,
}

#[derive(Debug, Serialize)]
struct SepaAnswer {
    state: &'static str,
    suspension_reason: Option<&'static str>,
    cap: String,
    month: String,
    used: String,
    remaining: String,
    next_collection: String,
    months: Vec<DebitMonthView>,
    /// How a new mandate is added: `provider_page` (the IBAN typed on the PSP's page) or
    /// `bank_details` (given in `POST /v1/me/mandates`, confirmed on the PSP's page).
    mandate_setup: &'static str,
}

pub(super) async fn standing(
    State(api): State<Api>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    use crate::domain::sepa::SepaState;
    let session = session(&api, &headers).await?;
    let overview = api.sepa_overview(&session).await?;
    let eur = |amount| crate::domain::Currency::EUR.format(amount);
    let (state, reason) = match overview.account.state {
        SepaState::Active => ("active", None),
        SepaState::Suspended { reason } => ("suspended", Some(reason.as_str())),
    };
    let body = SepaAnswer {
        state,
        suspension_reason: reason,
        cap: eur(overview.account.cap),
        month: overview.month.to_string(),
        used: eur(overview.used),
        remaining: eur(overview.remaining),
        next_collection: overview.next_collection.to_string(),
        mandate_setup: match overview.bank_details_here {
            true => "bank_details",
            false => "provider_page",
        },
        months: overview
            .months
            .into_iter()
            .map(|m| DebitMonthView {
                month: m.month.to_string(),
                status: m.status.as_str(),
                total: eur(m.total),
                purchases: m.lines.len(),
                collection_on: m.collection_on.map(|d| d.to_string()),
                failure_code: m.failure_code,
            })
            .collect(),
    };
    Ok(private(Json(body).into_response()))
}
