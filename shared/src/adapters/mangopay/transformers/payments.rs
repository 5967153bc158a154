//! Card pre-authorisations, their pay-ins (captures) and refunds, and how they read as the
//! port's payment and refund.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{from_wire, Funds, OurTag};
use crate::domain::Money;
use crate::ports::{
    BrowserDetails, PaymentFailure, ProviderPayment, ProviderPaymentStatus, ProviderRefund,
    RefundState,
};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BrowserInfo {
    pub accept_header: String,
    pub java_enabled: bool,
    pub language: String,
    pub color_depth: u8,
    pub screen_height: u32,
    pub screen_width: u32,
    pub time_zone_offset: String,
    pub user_agent: String,
    pub javascript_enabled: bool,
}

impl From<&BrowserDetails> for BrowserInfo {
    fn from(b: &BrowserDetails) -> Self {
        Self {
            accept_header: b.accept_header.clone(),
            java_enabled: b.java_enabled,
            language: b.language.clone(),
            color_depth: b.color_depth,
            screen_height: b.screen_height,
            screen_width: b.screen_width,
            time_zone_offset: b.time_zone_offset.to_string(),
            user_agent: b.user_agent.clone(),
            javascript_enabled: b.javascript_enabled,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewPreauthorization {
    pub author_id: String,
    pub debited_funds: Funds,
    pub card_id: String,
    #[serde(rename = "SecureModeReturnURL")]
    pub secure_mode_return_url: String,
    /// DEFAULT (MangoPay and the issuer decide) or FORCE (always authenticate).
    pub secure_mode: &'static str,
    pub ip_address: String,
    pub browser_info: BrowserInfo,
    pub tag: String,
    pub culture: &'static str,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Preauthorization {
    pub id: String,
    #[serde(default)]
    pub tag: Option<String>,
    pub creation_date: i64,
    pub author_id: String,
    pub debited_funds: Funds,
    #[serde(default)]
    pub remaining_funds: Option<Funds>,
    /// CREATED, SUCCEEDED or FAILED.
    pub status: String,
    /// WAITING, CANCELED, EXPIRED or VALIDATED.
    #[serde(default)]
    pub payment_status: Option<String>,
    #[serde(default)]
    pub result_code: Option<String>,
    #[serde(default)]
    pub result_message: Option<String>,
    #[serde(default)]
    pub card_id: Option<String>,
    #[serde(default, rename = "SecureModeRedirectURL")]
    pub secure_mode_redirect_url: Option<String>,
    #[serde(default)]
    pub multi_capture: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PreauthorizationUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewCapture {
    pub author_id: String,
    pub credited_wallet_id: String,
    pub debited_funds: Funds,
    pub fees: Funds,
    pub preauthorization_id: String,
    pub tag: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PayIn {
    pub id: String,
    pub author_id: String,
    pub debited_funds: Funds,
    /// CREATED, SUCCEEDED or FAILED.
    pub status: String,
    #[serde(default)]
    pub preauthorization_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewRefund {
    pub author_id: String,
    pub debited_funds: Funds,
    pub fees: Funds,
    pub tag: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Refund {
    pub id: String,
    #[serde(default)]
    pub tag: Option<String>,
    pub debited_funds: Funds,
    /// CREATED, SUCCEEDED or FAILED.
    pub status: String,
    #[serde(default)]
    pub initial_transaction_id: Option<String>,
}

impl Refund {
    pub fn state(&self) -> RefundState {
        match self.status.as_str() {
            "SUCCEEDED" => RefundState::Succeeded,
            "FAILED" => RefundState::Failed,
            _ => RefundState::Pending,
        }
    }

    /// Counts toward what was refunded (a failed refund gave nothing back).
    pub fn counts(&self) -> bool {
        self.status == "SUCCEEDED"
    }
}

/// One refund as the port sees it, on the pre-authorisation `payment`.
pub fn provider_refund(refund: &Refund, payment: &str) -> Result<ProviderRefund, String> {
    Ok(ProviderRefund {
        id: refund.id.clone(),
        payment: payment.to_owned(),
        amount: from_wire(&refund.debited_funds)?,
        state: refund.state(),
    })
}

/// MangoPay's result codes read as the port's failure: `card_declined` for a refusal by the
/// bank (`1011xx`), `payment_intent_authentication_failure` for 3-D Secure (`1013xx`), else
/// MangoPay's own code; the MangoPay code is kept as the decline code.
pub fn failure(code: Option<&str>, message: Option<&str>) -> PaymentFailure {
    let code = code.unwrap_or("unknown");
    let neutral = if code.starts_with("1011") {
        "card_declined".to_owned()
    } else if code.starts_with("1013") {
        "payment_intent_authentication_failure".to_owned()
    } else {
        format!("mangopay_{code}")
    };
    PaymentFailure {
        code: neutral,
        decline_code: Some(format!("mangopay_{code}")),
        message: message.unwrap_or("Refused by MangoPay").to_owned(),
    }
}

fn sum<'a>(zero: Money, mut funds: impl Iterator<Item = &'a Funds>) -> Result<Money, String> {
    funds.try_fold(zero, |total, f| {
        total.checked_add(from_wire(f)?).map_err(|e| e.to_string())
    })
}

impl Preauthorization {
    pub fn failure(&self) -> PaymentFailure {
        failure(self.result_code.as_deref(), self.result_message.as_deref())
    }

    /// The port's payment: the pre-authorisation, what its pay-ins captured and what their
    /// refunds gave back.
    pub fn to_provider(
        &self,
        payins: &[PayIn],
        refunds: &[Refund],
    ) -> Result<ProviderPayment, String> {
        let amount = from_wire(&self.debited_funds)?;
        let zero = Money::zero(amount.currency());
        let received = sum(
            zero,
            payins
                .iter()
                .filter(|p| p.status == "SUCCEEDED")
                .map(|p| &p.debited_funds),
        )?;
        let refunded = sum(
            zero,
            refunds
                .iter()
                .filter(|r| r.counts())
                .map(|r| &r.debited_funds),
        )?;
        let waiting = self.payment_status.as_deref().unwrap_or("WAITING") == "WAITING";
        let remaining = match &self.remaining_funds {
            Some(f) => from_wire(f)?,
            None => zero,
        };
        let captured_any = received.amount() > rust_decimal::Decimal::ZERO;
        let remaining_left = remaining.amount() > rust_decimal::Decimal::ZERO;
        let capture_pending = payins
            .iter()
            .any(|p| p.status != "SUCCEEDED" && p.status != "FAILED");
        let (status, capturable) = match (self.status.as_str(), waiting) {
            ("FAILED", _) => (ProviderPaymentStatus::Failed, zero),
            // A capture MangoPay has not settled yet: neither captured nor released.
            (_, false) if capture_pending && !captured_any => {
                (ProviderPaymentStatus::Processing, zero)
            }
            ("CREATED", true) if self.secure_mode_redirect_url.is_some() => {
                (ProviderPaymentStatus::RequiresAction, zero)
            }
            ("CREATED", true) => (ProviderPaymentStatus::Processing, zero),
            ("SUCCEEDED", true) if remaining_left => {
                (ProviderPaymentStatus::RequiresCapture, remaining)
            }
            (_, _) if captured_any => (ProviderPaymentStatus::Succeeded, zero),
            _ => (ProviderPaymentStatus::Canceled, zero),
        };
        let ours = OurTag::parse(self.tag.as_deref());
        Ok(ProviderPayment {
            id: self.id.clone(),
            status,
            amount,
            amount_capturable: capturable,
            amount_received: received,
            amount_refunded: refunded,
            customer: Some(self.author_id.clone()),
            payment_method: self.card_id.clone(),
            next_action_url: match status {
                ProviderPaymentStatus::RequiresAction => self.secure_mode_redirect_url.clone(),
                _ => None,
            },
            failure: (status == ProviderPaymentStatus::Failed).then(|| self.failure()),
            order_reference: ours.order_reference,
            payment_id: ours.payment_id,
            created_at: OffsetDateTime::from_unix_timestamp(self.creation_date)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            multicapture: self.multi_capture,
            release_reason: ours.release_reason,
            dispute: None,
            risk_level: None,
            direct_debit: None,
        })
    }
}

/// How a refund of `amount` is taken from the pay-ins: newest first, each at most what it has
/// left. Refunds tagged `marker` (this refund's own parts, made by an earlier try) do not count
/// as taken, so a retry plans the same parts and replays them.
pub fn refund_plan<'a>(
    payins: &'a [PayIn],
    refunds: &[Refund],
    marker: &str,
    amount: &Money,
) -> Result<Vec<(&'a PayIn, Money)>, String> {
    let mut left_to_plan = amount.amount();
    let mut plan = Vec::new();
    for payin in payins.iter().rev().filter(|p| p.status == "SUCCEEDED") {
        if left_to_plan <= rust_decimal::Decimal::ZERO {
            break;
        }
        let captured = from_wire(&payin.debited_funds)?.amount();
        let taken: rust_decimal::Decimal = refunds
            .iter()
            .filter(|r| r.initial_transaction_id.as_deref() == Some(payin.id.as_str()))
            .filter(|r| r.status != "FAILED" && r.tag.as_deref() != Some(marker))
            .map(|r| from_wire(&r.debited_funds).map(|m| m.amount()))
            .sum::<Result<_, _>>()?;
        let room = captured - taken;
        if room <= rust_decimal::Decimal::ZERO {
            continue;
        }
        let part = room.min(left_to_plan);
        plan.push((
            payin,
            Money::new(part, amount.currency()).map_err(|e| e.to_string())?,
        ));
        left_to_plan -= part;
    }
    if left_to_plan > rust_decimal::Decimal::ZERO {
        return Err(format!(
            "cannot refund {amount}: only {} is left to refund",
            amount.amount() - left_to_plan
        ));
    }
    Ok(plan)
}
