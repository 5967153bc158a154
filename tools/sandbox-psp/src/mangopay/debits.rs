//! Direct-debit pay-ins (`/payins/directdebit/direct`) on a mandate. MangoPay answers them
//! `CREATED` and settles them later; here, as the Stripe dialect's SEPA debits, by the bank
//! account's test IBAN (`crate::iban`): immediate scenarios ~2 s of sandbox time after
//! creation (the ticker, any read after `POST /_clock`, or `/_settle_payin`), delayed ones
//! after 3 minutes. A mandate that cannot be debited is not an HTTP error but a pay-in
//! `FAILED` at once, as MangoPay's docs show (001833, 001024).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{body_str, required, Api, Body};
use super::errors::ApiError;
use super::handle::MangopaySandbox;
use super::mandates;
use super::state::{amount_of, funds, new_id, State as Psp};
use crate::iban::{self, Failure, Scenario};

/// A pay-in waiting for its outcome.
#[derive(Debug, Clone)]
pub struct PendingDebit {
    pub payin: String,
    pub scenario: Scenario,
    pub due_ms: i64,
}

/// docs.mangopay.com/errors/codes/001833 (a mandate not SUBMITTED nor ACTIVE).
const MANDATE_STATUS: (&str, &str) = (
    "001833",
    "The Status of this Mandate does not allow for payments",
);
/// docs.mangopay.com/errors/codes/001024.
const NOT_OWNER: (&str, &str) = ("001024", "Author is not the Mandate owner");
/// docs.mangopay.com/errors/codes/001830.
const INSUFFICIENT_FUNDS: (&str, &str) =
    ("001830", "There are insufficient funds in the bank account");
/// docs.mangopay.com/errors/codes/001831: "failed for an unknown reason".
const CONTACT_USER: (&str, &str) = ("001831", "Contact the user");
/// MangoPay's documented sandbox trigger for 001830: an author whose FirstName is this.
const PENNILESS: &str = "Penniless";

/// MangoPay's result for a failed debit (the limits Stripe names have no MangoPay code).
fn result_of(failure: Failure) -> (&'static str, &'static str) {
    match failure {
        Failure::InsufficientFunds => INSUFFICIENT_FUNDS,
        Failure::Generic | Failure::SourceLimit | Failure::WeeklyLimit => CONTACT_USER,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewDebit {
    author_id: Option<String>,
    credited_wallet_id: Option<String>,
    debited_funds: Option<Value>,
    fees: Option<Value>,
    mandate_id: Option<String>,
    statement_descriptor: Option<String>,
    tag: Option<String>,
}

fn funds_field(value: &Option<Value>, field: &str) -> Result<Value, ApiError> {
    value
        .clone()
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::param(field, &format!("The {field} field is required.")))
}

/// Amounts, currencies (EUR: SEPA) and the statement descriptor, before anything is looked up.
fn check_amounts(body: &NewDebit) -> Result<(i64, i64), ApiError> {
    let debited = funds_field(&body.debited_funds, "DebitedFunds")?;
    let fees = funds_field(&body.fees, "Fees")?;
    let (amount, fee) = (amount_of(&debited), amount_of(&fees));
    if amount <= 0 {
        return Err(ApiError::param(
            "DebitedFunds.Amount",
            "The amount must be above zero.",
        ));
    }
    if fee < 0 || fee > amount {
        return Err(ApiError::param(
            "Fees.Amount",
            "The fees must be between zero and the DebitedFunds amount.",
        ));
    }
    if debited["Currency"] != "EUR" {
        return Err(ApiError::param(
            "DebitedFunds.Currency",
            "SEPA direct debits are in EUR.",
        ));
    }
    if fees["Currency"] != debited["Currency"] {
        return Err(ApiError::param(
            "Fees.Currency",
            "The fees' currency differs from the DebitedFunds'.",
        ));
    }
    if let Some(d) = &body.statement_descriptor {
        let ok = d.len() <= 10 && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ');
        if !ok {
            return Err(ApiError::param(
                "StatementDescriptor",
                "The StatementDescriptor is at most 10 letters, digits or spaces.",
            ));
        }
    }
    Ok((amount, fee))
}

/// `POST /payins/directdebit/direct`.
pub async fn create(State(psp): State<MangopaySandbox>, Body(body): Body<NewDebit>) -> Api {
    let author = required(&body.author_id, "AuthorId")?.to_owned();
    let wallet_id = required(&body.credited_wallet_id, "CreditedWalletId")?.to_owned();
    let mandate_id = required(&body.mandate_id, "MandateId")?.to_owned();
    let (amount, fee) = check_amounts(&body)?;
    let mut st = psp.lock();
    let mandate = mandates::current(&mut st, &mandate_id)
        .ok_or_else(|| ApiError::not_found("Mandate", &mandate_id))?;
    let user = st
        .users
        .get(&author)
        .cloned()
        .ok_or_else(|| ApiError::not_found("User", &author))?;
    let wallet = st
        .wallets
        .get(&wallet_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Wallet", &wallet_id))?;
    if wallet["Currency"] != "EUR" {
        return Err(ApiError::param(
            "CreditedWalletId",
            "The wallet's currency differs from the DebitedFunds'.",
        ));
    }
    let now_ms = st.clock.now_ms();
    let id = new_id("payin");
    let mut payin = json!({
        "Id": id,
        "Tag": body.tag,
        "CreationDate": now_ms.div_euclid(1000),
        "AuthorId": author,
        "CreditedUserId": wallet["Owners"][0],
        "DebitedFunds": funds("EUR", amount),
        "CreditedFunds": funds("EUR", amount - fee),
        "Fees": funds("EUR", fee),
        "Status": "CREATED",
        "ResultCode": null,
        "ResultMessage": null,
        "ExecutionDate": null,
        "Type": "PAYIN",
        "Nature": "REGULAR",
        "CreditedWalletId": wallet_id,
        "DebitedWalletId": null,
        "PaymentType": "DIRECT_DEBIT",
        "ExecutionType": "DIRECT",
        "MandateId": mandate_id,
        "ChargeDate": null,
        "StatementDescriptor": body.statement_descriptor,
    });
    st.hook("PAYIN_NORMAL_CREATED", &id);
    let refusal = if mandate["UserId"] != author.as_str() {
        Some(NOT_OWNER)
    } else if !matches!(body_str(&mandate, "Status"), "SUBMITTED" | "ACTIVE") {
        Some(MANDATE_STATUS)
    } else {
        None
    };
    if let Some(result) = refusal {
        set_failed(&mut payin, result);
        st.hook("PAYIN_NORMAL_FAILED", &id);
    } else {
        let scenario = if user["FirstName"] == PENNILESS {
            Scenario::Fails(Failure::InsufficientFunds)
        } else {
            let account = st.bank_accounts.get(body_str(&mandate, "BankAccountId"));
            iban::scenario(account.map_or("", |a| body_str(a, "IBAN")))
        };
        let due_ms = now_ms + scenario.wait_ms();
        payin["ChargeDate"] = due_ms.div_euclid(1000).into();
        st.pending_debits.push(PendingDebit {
            payin: id.clone(),
            scenario,
            due_ms,
        });
    }
    st.payins.insert(id, payin.clone());
    Ok(Json(payin))
}

fn set_failed(payin: &mut Value, (code, message): (&str, &str)) {
    payin["Status"] = "FAILED".into();
    payin["ResultCode"] = code.into();
    payin["ResultMessage"] = message.into();
    payin["ExecutionDate"] = Value::Null;
}

/// Settles every debit whose moment has come; after a move of the sandbox clock not yet seen,
/// the immediate ones too (as Stripe's `/_clock` does).
pub fn settle_due(st: &mut Psp) {
    let now = st.clock.now_ms();
    let moves = st.clock.moves();
    let moved = moves != st.clock_moves_seen;
    st.clock_moves_seen = moves;
    if st.pending_debits.is_empty() {
        return;
    }
    let (due, waiting): (Vec<PendingDebit>, Vec<PendingDebit>) =
        std::mem::take(&mut st.pending_debits)
            .into_iter()
            .partition(|d| d.due_ms <= now || (moved && !d.scenario.delayed()));
    st.pending_debits = waiting;
    for debit in due {
        settle(st, &debit);
    }
}

/// `POST /_settle_payin/{id}`: a `CREATED` direct-debit pay-in settles now, by its scenario.
pub fn settle_now(st: &mut Psp, id: &str) -> Result<Value, ApiError> {
    if !st.payins.contains_key(id) {
        return Err(ApiError::not_found("PayIn", id));
    }
    let Some(at) = st.pending_debits.iter().position(|d| d.payin == id) else {
        return Err(ApiError::refused(
            "Only a CREATED direct-debit pay-in can be settled.",
        ));
    };
    let debit = st.pending_debits.remove(at);
    settle(st, &debit);
    Ok(st.payins.get(id).cloned().unwrap_or_default())
}

/// The outcome: `SUCCEEDED` (the wallet credited, the mandate `ACTIVE` on its first success)
/// or `FAILED` with MangoPay's code. A debit that is later disputed in Stripe's scenarios
/// simply succeeds here; a late failure is made with `/_dispute_payin` (`disputes`).
fn settle(st: &mut Psp, debit: &PendingDebit) {
    let at = st.now();
    let Some(payin) = st.payins.get_mut(&debit.payin) else {
        return;
    };
    if let Some(failure) = debit.scenario.failure() {
        set_failed(payin, result_of(failure));
        st.hook("PAYIN_NORMAL_FAILED", &debit.payin);
        return;
    }
    payin["Status"] = "SUCCEEDED".into();
    payin["ResultCode"] = "000000".into();
    payin["ResultMessage"] = "Success".into();
    payin["ExecutionDate"] = at.into();
    let credited = amount_of(&payin["CreditedFunds"]);
    let wallet_id = body_str(payin, "CreditedWalletId").to_owned();
    let mandate_id = body_str(payin, "MandateId").to_owned();
    if let Some(w) = st.wallets.get_mut(&wallet_id) {
        let currency = body_str(&w["Balance"], "Currency").to_owned();
        let balance = amount_of(&w["Balance"]) + credited;
        w["Balance"] = funds(&currency, balance);
    }
    st.hook("PAYIN_NORMAL_SUCCEEDED", &debit.payin);
    mandates::activate(st, &mandate_id);
}
