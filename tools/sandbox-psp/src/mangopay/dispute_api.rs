//! The `/v2.01` dispute calls: `GET /disputes/{id}`, `PUT /disputes/{id}/submit`,
//! `GET /repudiations/{id}`, and the lists `GET /users/{id}/disputes` and
//! `GET /payins/{id}/disputes` (docs.mangopay.com/api-reference/disputes/list-disputes-user and
//! list-disputes-payin), with `page`/`per_page`/`Sort` and the `Status`/`DisputeType` filters.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::api::{body_str, Api, Body};
use super::disputes::{lapse_due, AWAITING_CLIENT};
use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::state::{amount_of, State as Psp};

/// MangoPay's pagination: `per_page` 10 by default, at most 100.
const PER_PAGE: (usize, usize) = (10, 100);

pub async fn get(State(psp): State<MangopaySandbox>, Path((_, id)): Path<(String, String)>) -> Api {
    let mut st = psp.lock();
    lapse_due(&mut st);
    st.disputes
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("Dispute", &id))
}

pub async fn get_repudiation(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    psp.lock()
        .repudiations
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("Repudiation", &id))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Submission {
    contested_funds: Option<Value>,
}

/// `PUT /disputes/{id}/submit` `{ContestedFunds}`: contested, `SUBMITTED`, hook
/// `DISPUTE_SUBMITTED`; the errors submit-dispute documents (required, above the disputed
/// funds, the deadline passed).
pub async fn submit(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
    Body(body): Body<Submission>,
) -> Api {
    let mut st = psp.lock();
    let now = st.now();
    let dispute = st
        .disputes
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Dispute", &id))?;
    let awaiting = AWAITING_CLIENT.contains(&body_str(&dispute, "Status"));
    if awaiting
        && dispute["ContestDeadlineDate"]
            .as_i64()
            .is_some_and(|t| t < now)
    {
        lapse_due(&mut st);
        return Err(ApiError::contest_deadline_passed());
    }
    if !awaiting {
        return Err(ApiError::refused(&format!(
            "The Dispute cannot be submitted: its Status is {}.",
            body_str(&dispute, "Status")
        )));
    }
    let contested = body
        .contested_funds
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::param("ContestedFunds", "This field is required"))?;
    let disputed = &dispute["DisputedFunds"];
    if contested["Currency"] != disputed["Currency"] || amount_of(&contested) <= 0 {
        return Err(ApiError::param(
            "ContestedFunds",
            "The ContestedFunds must be a positive amount in the DisputedFunds currency",
        ));
    }
    if amount_of(&contested) > amount_of(disputed) {
        return Err(ApiError::param(
            "ContestedFunds",
            "The ContestedFunds amount must be less than or equal to the DisputedFunds amount",
        ));
    }
    let answer = {
        let d = st.disputes.get_mut(&id).expect("read above");
        d["ContestedFunds"] =
            super::state::funds(body_str(&contested, "Currency"), amount_of(&contested));
        d["Status"] = "SUBMITTED".into();
        d.clone()
    };
    st.hook("DISPUTE_SUBMITTED", &id);
    Ok(Json(answer))
}

/// `GET /users/{id}/disputes`: the disputes on pay-ins the user made or was credited by.
pub async fn list_for_user(
    State(psp): State<MangopaySandbox>,
    Path((_, user)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Api {
    let mut st = psp.lock();
    if !st.users.contains_key(&user) {
        return Err(ApiError::not_found("User", &user));
    }
    lapse_due(&mut st);
    let involves = |st: &Psp, d: &Value| {
        st.payins
            .get(body_str(d, "InitialTransactionId"))
            .is_some_and(|p| p["AuthorId"] == user.as_str() || p["CreditedUserId"] == user.as_str())
    };
    let mine: Vec<Value> = st
        .disputes
        .values()
        .filter(|d| involves(&st, d))
        .cloned()
        .collect();
    page(mine, &query).map(Json)
}

/// `GET /payins/{id}/disputes`.
pub async fn list_for_payin(
    State(psp): State<MangopaySandbox>,
    Path((_, payin)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Api {
    let mut st = psp.lock();
    if !st.payins.contains_key(&payin) {
        return Err(ApiError::not_found("PayIn", &payin));
    }
    lapse_due(&mut st);
    let its: Vec<Value> = st
        .disputes
        .values()
        .filter(|d| d["InitialTransactionId"] == payin.as_str())
        .cloned()
        .collect();
    page(its, &query).map(Json)
}

/// Filters (`Status`, `DisputeType`: comma-separated values), sorts (`Sort=CreationDate:ASC`
/// or `:DESC`; oldest first by default, as the dialect's other lists) and cuts one page.
fn page(mut items: Vec<Value>, query: &HashMap<String, String>) -> Result<Value, ApiError> {
    for field in ["Status", "DisputeType"] {
        if let Some(wanted) = query.get(field) {
            let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
            items.retain(|d| wanted.contains(&body_str(d, field)));
        }
    }
    let number =
        |name: &str, default: usize| match query.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                ApiError::param(name, &format!("The {name} must be a number from 1."))
            }),
        };
    let per_page = number("per_page", PER_PAGE.0)?;
    if per_page > PER_PAGE.1 {
        return Err(ApiError::param("per_page", "The per_page is at most 100."));
    }
    let page = number("page", 1)?;
    let descending = match query.get("Sort").map(String::as_str) {
        None | Some("CreationDate:ASC") => false,
        Some("CreationDate:DESC") => true,
        Some(_) => {
            return Err(ApiError::param(
                "Sort",
                "The Sort is CreationDate:ASC or CreationDate:DESC.",
            ))
        }
    };
    items.sort_by_key(|d| (d["CreationDate"].as_i64(), body_str(d, "Id").to_owned()));
    if descending {
        items.reverse();
    }
    let items = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    Ok(Value::Array(items))
}
