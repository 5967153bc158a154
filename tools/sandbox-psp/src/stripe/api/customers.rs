//! `/v1/customers` (create, retrieve) and `/v1/payment_methods` (a customer's saved cards).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::Value;

use super::params::expansions;
use crate::ids::{new_id, now};
use crate::stripe::errors::ApiError;
use crate::stripe::fixed::CustomerFixed;
use crate::stripe::forms::Form;
use crate::stripe::handle::StripeSandbox;
use crate::stripe::state::{to_json, Customer};

pub async fn create(
    State(psp): State<StripeSandbox>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = Form::parse(&body)?;
    form.allow_only(&["email", "name", "metadata[*]", "expand[#]"])?;
    expansions(&form, &[])?;
    let customer = Customer {
        id: new_id("cus_"),
        object: "customer",
        email: form.get("email").map(str::to_owned),
        name: form.get("name").map(str::to_owned),
        metadata: form.map("metadata"),
        created: now(),
        livemode: false,
        fixed: CustomerFixed::default(),
    };
    let json = to_json(&customer);
    psp.lock().customers.insert(customer.id.clone(), customer);
    Ok(Json(json))
}

pub async fn retrieve(
    State(psp): State<StripeSandbox>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    psp.lock()
        .customers
        .get(&id)
        .map(|c| Json(to_json(c)))
        .ok_or_else(|| ApiError::not_found("customer", &id, "id"))
}

pub async fn list_payment_methods(
    State(psp): State<StripeSandbox>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let form = Form::from_query(query.as_deref())?;
    form.allow_only(&["customer", "type", "limit", "expand[#]"])?;
    let kind = form.one_of("type", &["card", "sepa_debit"])?;
    let customer = form.required("customer")?;
    let limit = form.int("limit")?.unwrap_or(10).clamp(1, 100) as usize;
    let st = psp.lock();
    if !st.customers.contains_key(customer) {
        return Err(ApiError::not_found("customer", customer, "customer"));
    }
    // Newest first, as Stripe lists.
    let mine: Vec<Value> = st
        .payment_methods
        .iter()
        .rev()
        .filter(|p| p.customer.as_deref() == Some(customer))
        .filter(|p| kind.as_deref().is_none_or(|k| p.kind == k))
        .map(to_json)
        .collect();
    let has_more = mine.len() > limit;
    let data: Vec<Value> = mine.into_iter().take(limit).collect();
    Ok(Json(serde_json::json!({
        "object": "list",
        "data": data,
        "has_more": has_more,
        "url": "/v1/payment_methods",
    })))
}
