//! Disputes, as Stripe's dispute test cards make them: the charge of a card such as
//! 4000 0000 0000 0259 is disputed as soon as it is captured (`charge.dispute.created`, then
//! `charge.dispute.funds_withdrawn` for a chargeback). The seller answers with evidence
//! (`POST /v1/disputes/{id}`): as in Stripe's test mode, `evidence[uncategorized_text]` of
//! `winning_evidence` wins a chargeback and `losing_evidence` loses it; or accepts it
//! (`POST /v1/disputes/{id}/close`). For an inquiry the rules are the sandbox's own (Stripe
//! documents none): winning evidence closes it, losing evidence makes it a chargeback.
//! Decisions are immediate here, where Stripe takes a few seconds.

use serde_json::{json, Map, Value};

use super::cards::{Behaviour, DisputeCase};
use super::errors::ApiError;
use super::state::{to_json, Dispute, Metadata, ReqCtx, State};
use crate::ids::{new_id, now};

/// Stripe's `dispute_evidence` fields: all null until the seller submits some.
pub const EVIDENCE_FIELDS: &[&str] = &[
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
];

/// How long the seller has to answer (the sandbox's choice; card networks give 7 to 21 days).
const RESPONSE_DAYS: i64 = 7;
/// Stripe's dispute fee in test mode, on the withdrawal's balance transaction.
const DISPUTE_FEE: i64 = 1500;

/// Called after a capture: a dispute test card's charge is disputed once captured.
pub fn open_after_capture(st: &mut State, charge_id: &str, req: &ReqCtx) {
    let Some(charge) = st.charges.get(charge_id) else {
        return;
    };
    let case = match st
        .payment_method(&charge.payment_method)
        .map(|p| p.behaviour)
    {
        Some(Behaviour::AuthoriseThenDispute(case)) => case,
        _ => return,
    };
    if charge.disputed || charge.amount_captured <= 0 {
        return;
    }
    let brand = charge.payment_method_details["card"]["brand"].clone();
    let (amount, currency) = (charge.amount_captured, charge.currency.clone());
    let dispute = Dispute {
        id: new_id("dp_"),
        object: "dispute",
        amount,
        balance_transactions: Vec::new(),
        charge: charge_id.to_owned(),
        created: now(),
        currency,
        evidence: Value::Object(
            EVIDENCE_FIELDS
                .iter()
                .map(|f| (f.to_string(), Value::Null))
                .collect(),
        ),
        evidence_details: json!({
            "due_by": now() + RESPONSE_DAYS * 86_400,
            "has_evidence": false,
            "past_due": false,
            "submission_count": 0,
        }),
        is_charge_refundable: case.is_inquiry(),
        livemode: false,
        metadata: Metadata::new(),
        network_reason_code: Some(network_reason(case).into()),
        payment_intent: Some(charge.payment_intent.clone()),
        payment_method_details: Some(json!({
            "type": "card",
            "card": {
                "brand": brand,
                "case_type": if case.is_inquiry() { "inquiry" } else { "chargeback" },
                "network_reason_code": network_reason(case),
            },
        })),
        reason: case.reason().into(),
        status: if case.is_inquiry() {
            "warning_needs_response"
        } else {
            "needs_response"
        },
    };
    if let Some(charge) = st.charges.get_mut(charge_id) {
        charge.disputed = true;
    }
    let id = dispute.id.clone();
    st.disputes.insert(id.clone(), dispute);
    emit(st, "charge.dispute.created", &id, req);
    if !case.is_inquiry() {
        withdraw(st, &id, req);
    }
}

/// Stripe's dispute reasons a SEPA debit's bank may give (late failures and refund claims).
pub const SEPA_REASONS: &[&str] = &[
    "insufficient_funds",
    "debit_not_authorized",
    "customer_initiated",
    "incorrect_account_details",
    "bank_cannot_process",
    "general",
];

/// A SEPA Direct Debit's bank takes the money back: a dispute that is final at once (Stripe:
/// "SEPA Direct Debit disputes are final and there is no process for appeal"), so it is
/// created `lost`, withdraws the amount and the fee, and closes
/// (`charge.dispute.created`, `charge.dispute.funds_withdrawn`, `charge.dispute.closed`).
pub fn open_sepa(st: &mut State, charge_id: &str, reason: &str, req: &ReqCtx) -> Option<String> {
    let charge = st.charges.get(charge_id).filter(|c| !c.disputed)?;
    let created = st.now();
    let dispute = Dispute {
        id: new_id("dp_"),
        object: "dispute",
        amount: charge.amount_captured,
        balance_transactions: Vec::new(),
        charge: charge_id.to_owned(),
        created,
        currency: charge.currency.clone(),
        evidence: Value::Object(
            EVIDENCE_FIELDS
                .iter()
                .map(|f| (f.to_string(), Value::Null))
                .collect(),
        ),
        evidence_details: json!({
            "due_by": null,
            "has_evidence": false,
            "past_due": false,
            "submission_count": 0,
        }),
        is_charge_refundable: false,
        livemode: false,
        metadata: Metadata::new(),
        network_reason_code: None,
        payment_intent: Some(charge.payment_intent.clone()),
        payment_method_details: None,
        reason: reason.to_owned(),
        status: "lost",
    };
    if let Some(charge) = st.charges.get_mut(charge_id) {
        charge.disputed = true;
    }
    let id = dispute.id.clone();
    st.disputes.insert(id.clone(), dispute);
    emit(st, "charge.dispute.created", &id, req);
    withdraw(st, &id, req);
    emit(st, "charge.dispute.closed", &id, req);
    Some(id)
}

/// Visa's reason codes for the cases (10.4 card-absent fraud, 13.1 merchandise not received,
/// and a retrieval request for an inquiry).
fn network_reason(case: DisputeCase) -> &'static str {
    match case {
        DisputeCase::Fraudulent => "10.4",
        DisputeCase::ProductNotReceived => "13.1",
        DisputeCase::Inquiry => "33",
    }
}

fn emit(st: &mut State, kind: &str, id: &str, req: &ReqCtx) {
    let json = st.disputes.get(id).map(to_json).unwrap_or(Value::Null);
    st.emit(kind, json, req);
}

fn balance_transaction(dispute: &Dispute, amount: i64, fee: i64, description: String) -> Value {
    json!({
        "id": new_id("txn_"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": now(),
        "created": now(),
        "currency": dispute.currency,
        "description": description,
        "exchange_rate": null,
        "fee": fee,
        "fee_details": if fee > 0 {
            json!([{
                "amount": fee,
                "application": null,
                "currency": dispute.currency,
                "description": "Dispute fee",
                "type": "stripe_fee",
            }])
        } else {
            json!([])
        },
        "net": amount - fee,
        "reporting_category": if amount < 0 { "dispute" } else { "dispute_reversal" },
        "source": dispute.id,
        "status": "available",
        "type": "adjustment",
    })
}

fn withdraw(st: &mut State, id: &str, req: &ReqCtx) {
    let Some(dispute) = st.disputes.get_mut(id) else {
        return;
    };
    let txn = balance_transaction(
        dispute,
        -dispute.amount,
        DISPUTE_FEE,
        format!("Chargeback withdrawal for {}", dispute.charge),
    );
    dispute.balance_transactions.push(txn);
    emit(st, "charge.dispute.funds_withdrawn", id, req);
}

fn dispute_mut<'a>(st: &'a mut State, id: &str) -> Result<&'a mut Dispute, ApiError> {
    st.disputes
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("dispute", id, "dispute"))
}

fn refuse_closed(dispute: &Dispute) -> Result<(), ApiError> {
    if matches!(dispute.status, "needs_response" | "warning_needs_response") {
        return Ok(());
    }
    Err(ApiError::invalid(
        None,
        &format!(
            "This dispute has a status of {}: it no longer takes evidence and cannot be closed.",
            dispute.status
        ),
    ))
}

/// `POST /v1/disputes/{id}`: evidence (and metadata) saved; with `submit` (Stripe's default)
/// the dispute goes under review and is decided as the test evidence says.
pub fn update(
    st: &mut State,
    id: &str,
    evidence: Metadata,
    metadata: Metadata,
    submit: bool,
    req: &ReqCtx,
) -> Result<(), ApiError> {
    let dispute = dispute_mut(st, id)?;
    refuse_closed(dispute)?;
    if let Some(unknown) = evidence
        .keys()
        .find(|k| !EVIDENCE_FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::invalid(
            Some(&format!("evidence[{unknown}]")),
            &format!("Received unknown parameter: evidence[{unknown}]"),
        ));
    }
    let fields: &mut Map<String, Value> = dispute
        .evidence
        .as_object_mut()
        .ok_or_else(|| ApiError::internal("dispute evidence is not an object"))?;
    for (key, value) in &evidence {
        fields.insert(key.clone(), Value::String(value.clone()));
    }
    for (key, value) in metadata {
        if value.is_empty() {
            dispute.metadata.remove(&key);
        } else {
            dispute.metadata.insert(key, value);
        }
    }
    let has_evidence = fields.values().any(|v| !v.is_null());
    dispute.evidence_details["has_evidence"] = json!(has_evidence);
    if !submit {
        emit(st, "charge.dispute.updated", id, req);
        return Ok(());
    }
    let count = dispute.evidence_details["submission_count"]
        .as_i64()
        .unwrap_or(0);
    dispute.evidence_details["submission_count"] = json!(count + 1);
    let inquiry = dispute.status == "warning_needs_response";
    dispute.status = if inquiry {
        "warning_under_review"
    } else {
        "under_review"
    };
    let text = evidence.get("uncategorized_text").map(String::as_str);
    emit(st, "charge.dispute.updated", id, req);
    match (text, inquiry) {
        (Some("winning_evidence"), false) => {
            decide(st, id, "won", req);
            reinstate(st, id, req);
        }
        (Some("losing_evidence"), false) => decide(st, id, "lost", req),
        (Some("winning_evidence"), true) => decide(st, id, "warning_closed", req),
        (Some("losing_evidence"), true) => escalate(st, id, req),
        // Any other evidence: the bank is still deciding.
        _ => {}
    }
    Ok(())
}

/// `POST /v1/disputes/{id}/close`: the seller accepts (a chargeback is lost; an inquiry
/// closes).
pub fn close(st: &mut State, id: &str, req: &ReqCtx) -> Result<(), ApiError> {
    let dispute = dispute_mut(st, id)?;
    refuse_closed(dispute)?;
    let status = if dispute.status == "warning_needs_response" {
        "warning_closed"
    } else {
        "lost"
    };
    decide(st, id, status, req);
    Ok(())
}

fn decide(st: &mut State, id: &str, status: &'static str, req: &ReqCtx) {
    if let Some(dispute) = st.disputes.get_mut(id) {
        dispute.status = status;
        dispute.is_charge_refundable = status == "warning_closed";
        dispute.evidence_details["due_by"] = Value::Null;
    }
    emit(st, "charge.dispute.closed", id, req);
}

fn reinstate(st: &mut State, id: &str, req: &ReqCtx) {
    let Some(dispute) = st.disputes.get_mut(id) else {
        return;
    };
    let txn = balance_transaction(
        dispute,
        dispute.amount,
        0,
        format!("Chargeback reversal for {}", dispute.charge),
    );
    dispute.balance_transactions.push(txn);
    emit(st, "charge.dispute.funds_reinstated", id, req);
}

/// An inquiry whose answer did not satisfy the bank becomes a chargeback, under the same id.
fn escalate(st: &mut State, id: &str, req: &ReqCtx) {
    if let Some(dispute) = st.disputes.get_mut(id) {
        dispute.status = "needs_response";
        dispute.is_charge_refundable = false;
        dispute.evidence_details["due_by"] = json!(now() + RESPONSE_DAYS * 86_400);
        if let Some(details) = dispute.payment_method_details.as_mut() {
            details["card"]["case_type"] = json!("chargeback");
        }
    }
    emit(st, "charge.dispute.updated", id, req);
    withdraw(st, id, req);
}

/// Stripe refuses to refund a charged-back charge (`charge_disputed`) unless the seller won.
pub fn refuse_refund_if_charged_back(st: &State, charge_id: &str) -> Result<(), ApiError> {
    let charged_back = st
        .disputes
        .values()
        .any(|d| d.charge == charge_id && !d.is_charge_refundable && d.status != "won");
    if charged_back {
        return Err(ApiError::state(
            Some("charge"),
            "charge_disputed",
            &format!("Charge {charge_id} has been charged back; cannot issue a refund."),
        ));
    }
    Ok(())
}

/// Newest first, as Stripe lists; filtered by charge or PaymentIntent.
pub fn list(st: &State, charge: Option<&str>, payment_intent: Option<&str>) -> Vec<Value> {
    let mut found: Vec<&Dispute> = st
        .disputes
        .values()
        .filter(|d| charge.is_none_or(|c| d.charge == c))
        .filter(|d| payment_intent.is_none_or(|p| d.payment_intent.as_deref() == Some(p)))
        .collect();
    found.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    found.into_iter().map(to_json).collect()
}
