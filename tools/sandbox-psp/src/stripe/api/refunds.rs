//! `/v1/refunds`: create (whole or part of what was captured), retrieve.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::Value;

use super::params::expansions;
use crate::stripe::captures;
use crate::stripe::errors::ApiError;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::state::{to_json, ReqCtx};

/// How long a refund stays `pending` with the `pending_refunds` fault switch.
const PENDING_REFUND: Duration = Duration::from_millis(300);

pub async fn create(
    State(psp): State<StripeSandbox>,
    Extension(ctx): Extension<ReqCtx>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&[
        "payment_intent",
        "amount",
        "reason",
        "metadata[*]",
        "expand[#]",
    ])?;
    expansions(&form, &[])?;
    let pi = form.required("payment_intent")?;
    let amount = form.int("amount")?;
    let reason = form.one_of(
        "reason",
        &["duplicate", "fraudulent", "requested_by_customer"],
    )?;
    let pending = psp.faults().pending_refunds;
    let (id, json) = {
        let mut st = psp.lock();
        let id = captures::refund(
            &mut st,
            pi,
            amount,
            form.map("metadata"),
            reason,
            pending,
            &ctx,
        )?;
        let json = st.refunds.get(&id).map(to_json).unwrap_or(Value::Null);
        (id, json)
    };
    if pending {
        let psp = psp.clone();
        tokio::spawn(async move {
            tokio::time::sleep(PENDING_REFUND).await;
            captures::settle_refund(&mut psp.lock(), &id);
        });
    }
    Ok(Json(json))
}

pub async fn retrieve(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    psp.lock()
        .refunds
        .get(&id)
        .map(|r| Json(to_json(r)))
        .ok_or_else(|| ApiError::not_found("refund", &id, "id"))
}
