//! Captures (`/payins/preauthorized/direct`: one pay-in per capture, several on a
//! multi-capture pre-authorisation) and their refunds (`/payins/{id}/refunds`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{body_str, Api, Body};
use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::state::{amount_of, funds, new_id};
use crate::ids::now;

/// Within this long, a second capture of the same amount on one pre-authorisation needs an
/// idempotency key (MangoPay refuses it as a likely duplicate otherwise).
const SAME_AMOUNT_WINDOW: i64 = 24 * 3600;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewCapture {
    author_id: Option<String>,
    credited_wallet_id: Option<String>,
    debited_funds: Option<Value>,
    fees: Option<Value>,
    preauthorization_id: Option<String>,
    tag: Option<String>,
}

pub async fn capture(
    State(psp): State<MangopaySandbox>,
    headers: HeaderMap,
    Body(body): Body<NewCapture>,
) -> Api {
    let author = body
        .author_id
        .ok_or_else(|| ApiError::param("AuthorId", "The AuthorId field is required."))?;
    let wallet_id = body.credited_wallet_id.ok_or_else(|| {
        ApiError::param(
            "CreditedWalletId",
            "The CreditedWalletId field is required.",
        )
    })?;
    let debited = body
        .debited_funds
        .ok_or_else(|| ApiError::param("DebitedFunds", "The DebitedFunds field is required."))?;
    let fees = body
        .fees
        .ok_or_else(|| ApiError::param("Fees", "The Fees field is required."))?;
    let preauth_id = body.preauthorization_id.ok_or_else(|| {
        ApiError::param(
            "PreauthorizationId",
            "The PreauthorizationId field is required.",
        )
    })?;
    let (amount, fee) = (amount_of(&debited), amount_of(&fees));
    if amount <= 0 || fee < 0 || fee > amount {
        return Err(ApiError::param(
            "DebitedFunds.Amount",
            "The amount must be above zero and the fees at most the amount.",
        ));
    }
    let mut st = psp.lock();
    let mut preauth = st
        .preauthorizations
        .get(&preauth_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("PreAuthorization", &preauth_id))?;
    let currency = body_str(&preauth["DebitedFunds"], "Currency").to_owned();
    let wallet = st
        .wallets
        .get(&wallet_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Wallet", &wallet_id))?;
    if wallet["Currency"] != currency.as_str() || debited["Currency"] != currency.as_str() {
        return Err(ApiError::param(
            "DebitedFunds.Currency",
            "The currency differs from the pre-authorization's.",
        ));
    }
    if preauth["AuthorId"] != author.as_str() {
        return Err(ApiError::param(
            "AuthorId",
            "The author differs from the pre-authorization's.",
        ));
    }
    if preauth["Status"] != "SUCCEEDED" || preauth["PaymentStatus"] != "WAITING" {
        return Err(ApiError::refused(&format!(
            "The PreAuthorization cannot be captured: its Status is {} and its PaymentStatus {}.",
            body_str(&preauth, "Status"),
            body_str(&preauth, "PaymentStatus")
        )));
    }
    let remaining = amount_of(&preauth["RemainingFunds"]);
    let over = amount > remaining;
    let keyed = headers.contains_key("idempotency-key");
    let recent_same = st.payins.values().any(|p| {
        p["PreauthorizationId"] == preauth_id.as_str()
            && p["Status"] == "SUCCEEDED"
            && amount_of(&p["DebitedFunds"]) == amount
            && p["CreationDate"].as_i64().unwrap_or(0) > now() - SAME_AMOUNT_WINDOW
    });
    if recent_same && !keyed {
        return Err(ApiError::refused("A pay-in of the same amount on this pre-authorization was made in the last 24 hours: send an Idempotency-Key to make another."));
    }
    let id = new_id("payin");
    let at = now();
    let mut payin = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": at,
        "AuthorId": author,
        "CreditedUserId": wallet["Owners"][0],
        "DebitedFunds": funds(&currency, amount),
        "CreditedFunds": funds(&currency, amount - fee),
        "Fees": funds(&currency, fee),
        "Status": "SUCCEEDED",
        "ResultCode": "000000",
        "ResultMessage": "Success",
        "ExecutionDate": at,
        "Type": "PAYIN",
        "Nature": "REGULAR",
        "CreditedWalletId": wallet_id,
        "DebitedWalletId": null,
        "PaymentType": "PREAUTHORIZED",
        "ExecutionType": "DIRECT",
        "PreauthorizationId": preauth_id,
        "Culture": preauth["Culture"],
    });
    if over {
        // MangoPay answers 200 with a failed pay-in (`001505`), not an HTTP error.
        payin["Status"] = "FAILED".into();
        payin["ResultCode"] = "001505".into();
        payin["ResultMessage"] =
            "The PayIn DebitedFunds can't be higher than the PreAuthorization remaining amount"
                .into();
        payin["ExecutionDate"] = Value::Null;
        st.hook("PAYIN_NORMAL_CREATED", &id);
        st.hook("PAYIN_NORMAL_FAILED", &id);
        st.payins.insert(id, payin.clone());
        return Ok(Json(payin));
    }
    let left = if preauth["MultiCapture"] == true {
        remaining - amount
    } else {
        0
    };
    preauth["RemainingFunds"] = funds(&currency, left);
    if preauth["PayInId"].is_null() {
        preauth["PayInId"] = id.clone().into();
    }
    st.hook("PAYIN_NORMAL_CREATED", &id);
    st.hook("PAYIN_NORMAL_SUCCEEDED", &id);
    if left == 0 {
        preauth["PaymentStatus"] = "VALIDATED".into();
        st.hook("PREAUTHORIZATION_PAYMENT_VALIDATED", &preauth_id);
    }
    if let Some(w) = st.wallets.get_mut(&wallet_id) {
        let balance = amount_of(&w["Balance"]) + amount - fee;
        w["Balance"] = funds(&currency, balance);
    }
    st.preauthorizations.insert(preauth_id, preauth);
    st.payins.insert(id, payin.clone());
    Ok(Json(payin))
}

pub async fn get_payin(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    let mut st = psp.lock();
    // A direct debit due by now reads settled, even between two ticks.
    super::debits::settle_due(&mut st);
    st.payins
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("PayIn", &id))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewRefund {
    author_id: Option<String>,
    debited_funds: Option<Value>,
    fees: Option<Value>,
    tag: Option<String>,
}

/// What a pay-in's refunds have taken back so far (all but the failed ones).
fn refunded(st: &super::state::State, payin: &str) -> i64 {
    st.refunds
        .values()
        .filter(|r| r["InitialTransactionId"] == payin && r["Status"] != "FAILED")
        .map(|r| amount_of(&r["DebitedFunds"]))
        .sum()
}

/// `POST /payins/{id}/refunds`: all of what is left, or `DebitedFunds` of it.
pub async fn refund(
    State(psp): State<MangopaySandbox>,
    Path((_, payin_id)): Path<(String, String)>,
    Body(body): Body<NewRefund>,
) -> Api {
    let author = body
        .author_id
        .ok_or_else(|| ApiError::param("AuthorId", "The AuthorId field is required."))?;
    let pending = psp.faults().pending_refunds;
    let mut st = psp.lock();
    let payin = st
        .payins
        .get(&payin_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("PayIn", &payin_id))?;
    if payin["Status"] != "SUCCEEDED" {
        return Err(ApiError::refused(
            "Only a succeeded pay-in can be refunded.",
        ));
    }
    // The disputes guide: "you cannot create a Refund for a transaction subject to a Dispute".
    if st
        .disputes
        .values()
        .any(|d| d["InitialTransactionId"] == payin_id.as_str())
    {
        return Err(ApiError::refused(
            "A Refund cannot be created for a transaction subject to a Dispute.",
        ));
    }
    let currency = body_str(&payin["DebitedFunds"], "Currency").to_owned();
    let left = amount_of(&payin["DebitedFunds"]) - refunded(&st, &payin_id);
    let amount = body.debited_funds.as_ref().map(amount_of).unwrap_or(left);
    let fee = body.fees.as_ref().map(amount_of).unwrap_or(0);
    if amount <= 0 {
        return Err(ApiError::param(
            "DebitedFunds.Amount",
            "The amount must be above zero.",
        ));
    }
    if amount > left {
        return Err(ApiError::refused(&format!(
            "The refund amount is above what is left to refund on this pay-in ({left})."
        )));
    }
    if let Some(c) = body.debited_funds.as_ref().map(|d| body_str(d, "Currency")) {
        if c != currency {
            return Err(ApiError::param(
                "DebitedFunds.Currency",
                "The currency differs from the pay-in's.",
            ));
        }
    }
    let id = new_id("refund");
    let at = now();
    let status = if pending { "CREATED" } else { "SUCCEEDED" };
    let refund = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": at,
        "AuthorId": author,
        "CreditedUserId": payin["AuthorId"],
        "DebitedFunds": funds(&currency, amount),
        "CreditedFunds": funds(&currency, amount - fee),
        "Fees": funds(&currency, fee),
        "Status": status,
        "ResultCode": if pending { Value::Null } else { "000000".into() },
        "ResultMessage": if pending { Value::Null } else { "Success".into() },
        "ExecutionDate": if pending { Value::Null } else { at.into() },
        "Type": "PAYOUT",
        "Nature": "REFUND",
        "InitialTransactionId": payin_id,
        "InitialTransactionType": "PAYIN",
        "DebitedWalletId": payin["CreditedWalletId"],
        "CreditedWalletId": null,
        "RefundReason": {"RefundReasonType": "OTHER", "RefundReasonMessage": null},
    });
    st.hook("PAYIN_REFUND_CREATED", &id);
    if !pending {
        st.hook("PAYIN_REFUND_SUCCEEDED", &id);
    }
    let wallet_id = body_str(&payin, "CreditedWalletId").to_owned();
    if let Some(w) = st.wallets.get_mut(&wallet_id) {
        let balance = amount_of(&w["Balance"]) - amount + fee;
        w["Balance"] = funds(&currency, balance);
    }
    st.refunds.insert(id.clone(), refund.clone());
    drop(st);
    if pending {
        let psp = psp.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let mut st = psp.lock();
            if let Some(r) = st.refunds.get_mut(&id) {
                r["Status"] = "SUCCEEDED".into();
                r["ResultCode"] = "000000".into();
                r["ResultMessage"] = "Success".into();
                r["ExecutionDate"] = now().into();
                st.hook("PAYIN_REFUND_SUCCEEDED", &id);
            }
        });
    }
    Ok(Json(refund))
}

pub async fn get_refund(
    State(psp): State<MangopaySandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Api {
    psp.lock()
        .refunds
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("Refund", &id))
}

/// A pay-in's refunds, oldest first.
pub async fn list_refunds(
    State(psp): State<MangopaySandbox>,
    Path((_, payin_id)): Path<(String, String)>,
) -> Api {
    let st = psp.lock();
    if !st.payins.contains_key(&payin_id) {
        return Err(ApiError::not_found("PayIn", &payin_id));
    }
    let mut refunds: Vec<Value> = st
        .refunds
        .values()
        .filter(|r| r["InitialTransactionId"] == payin_id.as_str())
        .cloned()
        .collect();
    refunds.sort_by_key(|r| {
        (
            r["CreationDate"].as_i64(),
            r["Id"].as_str().map(str::to_owned),
        )
    });
    Ok(Json(Value::Array(refunds)))
}
