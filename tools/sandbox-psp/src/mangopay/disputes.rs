//! Disputes as the user's bank makes them (the loopback-only `_dispute_payin` and
//! `_close_dispute`): a Dispute on a succeeded pay-in and, for a chargeback, the Repudiation
//! withdrawing its funds. Shapes as docs.mangopay.com/api-reference/disputes/view-dispute and
//! api-reference/repudiations/view-repudiation show them; the `/v2.01` reads and the submit call
//! are in `dispute_api`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::api::body_str;
use super::errors::ApiError;
use super::state::{amount_of, funds, new_id, State as Psp};

/// The sandbox's contest window: the bank sets it, "usually 7 to 18 days" (dispute object).
pub const CONTEST_WINDOW: i64 = 7 * 24 * 3600;
/// Statuses in which the platform is expected to act (submit, or let the deadline pass).
pub const AWAITING_CLIENT: [&str; 2] = ["PENDING_CLIENT_ACTION", "REOPENED_PENDING_CLIENT_ACTION"];

const DISPUTE_TYPES: [&str; 3] = ["CONTESTABLE", "NOT_CONTESTABLE", "RETRIEVAL"];
/// `DisputeReasonType` as the SDK typings (`dispute.d.ts`) list them.
const REASONS: [&str; 16] = [
    "DUPLICATE",
    "FRAUD",
    "PRODUCT_UNACCEPTABLE",
    "UNKNOWN",
    "OTHER",
    "REFUND_CONVERSION_RATE",
    "LATE_FAILURE_INSUFFICIENT_FUNDS",
    "LATE_FAILURE_CONTACT_USER",
    "LATE_FAILURE_BANKACCOUNT_CLOSED",
    "LATE_FAILURE_BANKACCOUNT_INCOMPATIBLE",
    "LATE_FAILURE_BANKACCOUNT_INCORRECT",
    "AUTHORISATION_DISPUTED",
    "TRANSACTION_NOT_RECOGNIZED",
    "PRODUCT_NOT_PROVIDED",
    "CANCELED_REOCCURING_TRANSACTION",
    "REFUND_NOT_PROCESSED",
];

/// The body of `POST /_dispute_payin/{id}`; every field optional.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct NewDispute {
    dispute_type: Option<String>,
    dispute_reason_type: Option<String>,
    dispute_reason_message: Option<String>,
    amount: Option<i64>,
}

/// The pay-in a dispute may be opened on, or why not.
fn disputable(st: &Psp, payin_id: &str) -> Result<Value, ApiError> {
    let payin = st
        .payins
        .get(payin_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("PayIn", payin_id))?;
    if payin["Status"] != "SUCCEEDED" {
        return Err(ApiError::refused(
            "Only a SUCCEEDED pay-in can be disputed.",
        ));
    }
    if !matches!(
        body_str(&payin, "PaymentType"),
        "PREAUTHORIZED" | "CARD" | "DIRECT_DEBIT"
    ) {
        return Err(ApiError::refused(
            "Only card and direct-debit pay-ins can be disputed.",
        ));
    }
    if st
        .disputes
        .values()
        .any(|d| d["InitialTransactionId"] == payin_id)
    {
        return Err(ApiError::refused("This pay-in already has a dispute."));
    }
    // The disputes guide: "Disputes cannot be created if a Refund already occurred".
    let refunded = st
        .refunds
        .values()
        .any(|r| r["InitialTransactionId"] == payin_id && r["Status"] != "FAILED");
    if refunded {
        return Err(ApiError::refused(
            "Disputes cannot be created if a Refund already occurred on the transaction.",
        ));
    }
    Ok(payin)
}

/// The type, reason and amount asked for, checked against the pay-in. Direct debits' disputes
/// are non-contestable (docs.mangopay.com/guides/payment-methods/banking/direct-debit).
fn terms(body: &NewDispute, payin: &Value) -> Result<(String, String, i64), ApiError> {
    let debit = payin["PaymentType"] == "DIRECT_DEBIT";
    let kind = body.dispute_type.clone().unwrap_or_else(|| {
        if debit {
            "NOT_CONTESTABLE"
        } else {
            "CONTESTABLE"
        }
        .to_owned()
    });
    if !DISPUTE_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::param(
            "DisputeType",
            "CONTESTABLE, NOT_CONTESTABLE or RETRIEVAL.",
        ));
    }
    if debit && kind != "NOT_CONTESTABLE" {
        return Err(ApiError::param(
            "DisputeType",
            "Direct-debit disputes are NOT_CONTESTABLE.",
        ));
    }
    let reason = body.dispute_reason_type.clone().unwrap_or_else(|| {
        if debit {
            "LATE_FAILURE_INSUFFICIENT_FUNDS"
        } else {
            "FRAUD"
        }
        .to_owned()
    });
    if !REASONS.contains(&reason.as_str()) {
        return Err(ApiError::param(
            "DisputeReasonType",
            "Not a DisputeReasonType MangoPay lists.",
        ));
    }
    let paid = amount_of(&payin["DebitedFunds"]);
    let amount = body.amount.unwrap_or(paid);
    if amount <= 0 || amount > paid {
        return Err(ApiError::param(
            "Amount",
            "The disputed amount must be above zero and at most the pay-in's DebitedFunds.",
        ));
    }
    Ok((kind, reason, amount))
}

/// The Repudiation: MangoPay takes the funds from the platform's Repudiation Wallet
/// (`CREDIT_<currency>`, as view-repudiation's example shows), not from the seller's wallet.
fn repudiation(payin: &Value, currency: &str, amount: i64, at: i64) -> Value {
    json!({
        "Id": new_id("repud"),
        "Tag": null,
        "CreationDate": at,
        "AuthorId": payin["AuthorId"],
        "CreditedUserId": null,
        "DebitedFunds": funds(currency, amount),
        "CreditedFunds": funds(currency, amount),
        "Fees": funds(currency, 0),
        "Status": "SUCCEEDED",
        "ResultCode": "000000",
        "ResultMessage": "Success",
        "ExecutionDate": at,
        "Type": "PAYOUT",
        "Nature": "REPUDIATION",
        "CreditedWalletId": null,
        "DebitedWalletId": format!("CREDIT_{currency}"),
        "InitialTransactionId": payin["Id"],
        "InitialTransactionType": "PAYIN",
        "InitialTransactionNature": "REGULAR",
    })
}

/// `POST /_dispute_payin/{id}`: the Dispute (and its Repudiation but for a RETRIEVAL), with
/// hooks `DISPUTE_CREATED`, `PAYIN_REPUDIATION_CREATED`/`_SUCCEEDED` and, when
/// NOT_CONTESTABLE, `DISPUTE_CLOSED` at once with `ResultCode: LOST`.
pub fn open(st: &mut Psp, payin_id: &str, body: &NewDispute) -> Result<Value, ApiError> {
    let payin = disputable(st, payin_id)?;
    let (kind, reason, amount) = terms(body, &payin)?;
    let currency = body_str(&payin["DebitedFunds"], "Currency").to_owned();
    let at = st.now();
    let closed = kind == "NOT_CONTESTABLE";
    let withdrawn = (kind != "RETRIEVAL").then(|| repudiation(&payin, &currency, amount, at));
    let id = new_id("dispute");
    let dispute = json!({
        "Id": id,
        "Tag": null,
        "CreationDate": at,
        "InitialTransactionId": payin_id,
        "InitialTransactionType": "PAYIN",
        "InitialTransactionNature": payin["Nature"],
        "DisputeType": kind,
        "ContestDeadlineDate": if closed { Value::Null } else { (at + CONTEST_WINDOW).into() },
        "DisputedFunds": funds(&currency, amount),
        "ContestedFunds": null,
        "Status": if closed { "CLOSED" } else { "PENDING_CLIENT_ACTION" },
        "StatusMessage": null,
        "DisputeReason": {"DisputeReasonType": reason, "DisputeReasonMessage": body.dispute_reason_message},
        "ResultCode": if closed { "LOST" } else { "" },
        "ResultMessage": null,
        "ClosedDate": if closed { at.into() } else { Value::Null },
        "RepudiationId": withdrawn.as_ref().map(|r| r["Id"].clone()),
    });
    st.hook("DISPUTE_CREATED", &id);
    if let Some(r) = withdrawn {
        let rid = body_str(&r, "Id").to_owned();
        st.hook("PAYIN_REPUDIATION_CREATED", &rid);
        st.hook("PAYIN_REPUDIATION_SUCCEEDED", &rid);
        st.repudiations.insert(rid, r);
    }
    if closed {
        st.hook("DISPUTE_CLOSED", &id);
    }
    st.disputes.insert(id, dispute.clone());
    Ok(dispute)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Closing {
    result_code: Option<String>,
}

/// `POST /_close_dispute/{id}`: the bank's decision on an open dispute, `WON`, `LOST` or
/// `VOID` (ResultCode2 in MangoPay's docs); hook `DISPUTE_CLOSED`. A won chargeback's funds go
/// back to the Repudiation Wallet, which is not emulated: nothing else changes.
pub fn close(st: &mut Psp, id: &str, body: &Closing) -> Result<Value, ApiError> {
    lapse_due(st);
    let result = body.result_code.as_deref().unwrap_or_default();
    if !matches!(result, "WON" | "LOST" | "VOID") {
        return Err(ApiError::param("ResultCode", "WON, LOST or VOID."));
    }
    let at = st.now();
    let dispute = st
        .disputes
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Dispute", id))?;
    if dispute["Status"] == "CLOSED" {
        return Err(ApiError::refused("This dispute is already CLOSED."));
    }
    set_closed(dispute, result, at);
    let answer = dispute.clone();
    st.hook("DISPUTE_CLOSED", id);
    Ok(answer)
}

fn set_closed(dispute: &mut Value, result: &str, at: i64) {
    dispute["Status"] = "CLOSED".into();
    dispute["ResultCode"] = result.into();
    dispute["ClosedDate"] = at.into();
}

/// "Once the deadline passes, the dispute Status is automatically set to CLOSED" (the dispute
/// object's ContestDeadlineDate): lost, as nothing was submitted. Applied when disputes are
/// next read or used, by the sandbox clock.
pub fn lapse_due(st: &mut Psp) {
    let now = st.now();
    let lapsed: Vec<String> = st
        .disputes
        .values()
        .filter(|d| AWAITING_CLIENT.contains(&body_str(d, "Status")))
        .filter(|d| d["ContestDeadlineDate"].as_i64().is_some_and(|t| t < now))
        .map(|d| body_str(d, "Id").to_owned())
        .collect();
    for id in lapsed {
        if let Some(d) = st.disputes.get_mut(&id) {
            let deadline = d["ContestDeadlineDate"].as_i64().unwrap_or(now);
            set_closed(d, "LOST", deadline);
        }
        st.hook("DISPUTE_CLOSED", &id);
    }
}
