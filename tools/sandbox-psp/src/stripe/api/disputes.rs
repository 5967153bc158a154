//! `/v1/disputes`: list (by charge or PaymentIntent), retrieve, update (evidence, submit),
//! close (accept).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::{Extension, Json};
use serde_json::Value;

use super::params::expansions;
use crate::stripe::disputes;
use crate::stripe::errors::ApiError;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::state::{to_json, ReqCtx};

pub async fn list(
    State(psp): State<StripeSandbox>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let form = Form::from_query(query.as_deref())?;
    form.allow_only(&["charge", "payment_intent", "limit", "expand[#]"])?;
    expansions(&form, &[])?;
    let limit = form.int("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            Some("limit"),
            "This value must be greater than or equal to 1 and less than or equal to 100.",
        ));
    }
    let found = disputes::list(&psp.lock(), form.get("charge"), form.get("payment_intent"));
    let has_more = found.len() > limit as usize;
    let data: Vec<Value> = found.into_iter().take(limit as usize).collect();
    Ok(Json(serde_json::json!({
        "object": "list",
        "data": data,
        "has_more": has_more,
        "url": "/v1/disputes",
    })))
}

pub async fn retrieve(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    psp.lock()
        .disputes
        .get(&id)
        .map(|d| Json(to_json(d)))
        .ok_or_else(|| ApiError::not_found("dispute", &id, "dispute"))
}

pub async fn update(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["evidence[*]", "metadata[*]", "submit", "expand[#]"])?;
    expansions(&form, &[])?;
    let submit = form.bool("submit")?.unwrap_or(true);
    let mut st = psp.lock();
    disputes::update(
        &mut st,
        &id,
        form.map("evidence"),
        form.map("metadata"),
        submit,
        &ctx,
    )?;
    Ok(Json(
        st.disputes.get(&id).map(to_json).unwrap_or(Value::Null),
    ))
}

pub async fn close(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["expand[#]"])?;
    expansions(&form, &[])?;
    let mut st = psp.lock();
    disputes::close(&mut st, &id, &ctx)?;
    Ok(Json(
        st.disputes.get(&id).map(to_json).unwrap_or(Value::Null),
    ))
}
