//! A payment on an order: what it is (its method), what the PSP says of it (when it has a PSP),
//! and how much of it was captured, released and refunded. An order holds many payments; the
//! order's own status and amounts are derived from them (`order_position`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Billing, Currency, Dispute, FieldError, Reference};

/// A wallet offered on the PSP's hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    ApplePay,
    GooglePay,
    Paypal,
    Alipay,
}

impl Wallet {
    pub const ALL: [Wallet; 4] = [
        Wallet::ApplePay,
        Wallet::GooglePay,
        Wallet::Paypal,
        Wallet::Alipay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Wallet::ApplePay => "apple_pay",
            Wallet::GooglePay => "google_pay",
            Wallet::Paypal => "paypal",
            Wallet::Alipay => "alipay",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Wallet::ALL.into_iter().find(|w| w.as_str() == text)
    }

    /// `PAYMENT_WALLETS`: comma-separated wallet names, or `none` (also when empty).
    pub fn parse_list(text: &str) -> Result<Vec<Wallet>, String> {
        let text = text.trim();
        if text.is_empty() || text == "none" {
            return Ok(Vec::new());
        }
        let mut wallets = Vec::new();
        for name in text.split(',').map(str::trim) {
            let wallet = Wallet::parse(name).ok_or_else(|| {
                format!(
                    "unknown wallet {name:?}: use apple_pay, google_pay, paypal, alipay or none"
                )
            })?;
            if !wallets.contains(&wallet) {
                wallets.push(wallet);
            }
        }
        Ok(wallets)
    }
}

/// When a payment's money is taken: at shipment (authorised now, captured per parcel), or at
/// once (a method the PSP cannot authorise apart, e.g. Alipay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureTiming {
    #[default]
    AtShipment,
    AtOnce,
}

/// How an offline settlement reached the seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfflineKind {
    BankTransfer,
    Cheque,
}

/// What a payment is. Only `Card` (and a wallet on the same page) has behaviour today; the other
/// methods are data the features to come fill in, and the API refuses them (422).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A card typed on the PSP's hosted page.
    Card,
    /// A wallet (Apple Pay, Google Pay) offered by the PSP's page.
    Wallet { wallet: Wallet },
    /// A card saved at the PSP (its payment-method id).
    SavedCard { payment_method: String },
    /// A SEPA direct debit under a mandate (our mandate id).
    SepaDebit { mandate: String },
    /// A voucher or gift card (our voucher id, never the code itself).
    Voucher { voucher: String },
    /// The customer's credit balance ("solde avoir").
    CreditBalance,
    /// On account ("compte d'attente"), settled later by recorded payments.
    OnAccount,
    /// One instalment of a plan (`index` from 1 to `count`); `plan` is the id of the plan's
    /// first instalment, paid on the PSP's page. `retry` counts the charges tried before this
    /// one for the same instalment (0: its first try).
    Instalment {
        plan: String,
        index: u32,
        count: u32,
        #[serde(default)]
        retry: u32,
    },
    /// A bank transfer or cheque. Recorded by the seller (captured), with the seller's own
    /// reference and the day the money came; or awaited (`created`, chosen at checkout), with
    /// no reference yet.
    Offline {
        kind: OfflineKind,
        seller_reference: String,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "super::serde_dates::iso_date_option"
        )]
        received_on: Option<time::Date>,
    },
}

impl PaymentMethod {
    /// The method's name in the API (`card`, `sepa_debit`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Wallet { .. } => "wallet",
            PaymentMethod::SavedCard { .. } => "saved_card",
            PaymentMethod::SepaDebit { .. } => "sepa_debit",
            PaymentMethod::Voucher { .. } => "voucher",
            PaymentMethod::CreditBalance => "credit_balance",
            PaymentMethod::OnAccount => "on_account",
            PaymentMethod::Instalment { .. } => "instalments",
            PaymentMethod::Offline {
                kind: OfflineKind::BankTransfer,
                ..
            } => "bank_transfer",
            PaymentMethod::Offline {
                kind: OfflineKind::Cheque,
                ..
            } => "cheque",
        }
    }

    /// Whether a PSP moves the money (vs a balance of ours, or money the seller records).
    pub fn needs_psp(&self) -> bool {
        matches!(
            self,
            PaymentMethod::Card
                | PaymentMethod::Wallet { .. }
                | PaymentMethod::SavedCard { .. }
                | PaymentMethod::SepaDebit { .. }
                | PaymentMethod::Instalment { .. }
        )
    }
}

/// Where a payment lives at its PSP. Absent for a voucher, credit balance, on-account or an
/// offline settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PspLink {
    /// The connector's name in the registry (`stripe`).
    pub provider: String,
    /// The PSP's payment id (Stripe PaymentIntent), once there is one.
    pub payment: Option<String>,
    /// The PSP's hosted page (Stripe Checkout Session) the shopper is sent to.
    pub hosted_session: Option<String>,
    /// Whether the authorisation can be captured more than once, as the PSP said (None: not
    /// said; the connector's capabilities decide).
    #[serde(default)]
    pub multicapture: Option<bool>,
    /// Our card form, where the PSP has no hosted page (MangoPay): the PSP's form and where
    /// 3-D Secure sends the shopper back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_form: Option<CardFormLink>,
}

/// The PSP's form for one card (a MangoPay card registration) and the shopper's return URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFormLink {
    pub form: String,
    pub return_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// An instalment to charge on its due date (`Payment::due_on`); nothing at the PSP yet.
    Scheduled,
    /// Opened at the PSP; the shopper has not finished yet.
    Created,
    /// 3-D Secure or another shopper step is pending.
    RequiresAction,
    /// Accepted, outcome not known yet (a SEPA debit, any PSP answer that is not final).
    Processing,
    Authorised,
    PartiallyCaptured,
    Captured,
    /// The PSP says this attempt is over (authentication failed, declined with no retry on
    /// that page, a debit returned); the order can be paid again.
    Failed,
    Cancelled,
    Expired,
    PartiallyRefunded,
    Refunded,
}

impl PaymentStatus {
    /// Still waiting for the shopper: can be resumed or deleted.
    pub fn is_unfinished(self) -> bool {
        matches!(self, PaymentStatus::Created | PaymentStatus::RequiresAction)
    }

    /// Authorised and not closed: what is not captured yet still covers the order.
    pub fn is_live_authorisation(self) -> bool {
        matches!(
            self,
            PaymentStatus::Authorised | PaymentStatus::PartiallyCaptured
        )
    }

    /// Reached an authorisation at some point (live, captured or refunded since).
    pub fn was_authorised(self) -> bool {
        matches!(
            self,
            PaymentStatus::Authorised
                | PaymentStatus::PartiallyCaptured
                | PaymentStatus::Captured
                | PaymentStatus::PartiallyRefunded
                | PaymentStatus::Refunded
        )
    }

    pub fn as_str(self) -> &'static str {
        use PaymentStatus::*;
        match self {
            Scheduled => "scheduled",
            Created => "created",
            RequiresAction => "requires_action",
            Processing => "processing",
            Authorised => "authorised",
            PartiallyCaptured => "partially_captured",
            Captured => "captured",
            Failed => "failed",
            Cancelled => "cancelled",
            Expired => "expired",
            PartiallyRefunded => "partially_refunded",
            Refunded => "refunded",
        }
    }
}

/// Why the uncaptured rest of an authorisation was given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// The last parcel shipped: the order is fulfilled short, the rest is not owed.
    LastParcel,
    /// The authorisation lapsed (or the PSP cancelled it) and could not be renewed: the
    /// shopper owes the rest and is asked to pay it.
    Lapsed,
    /// A new payment took over the rest (renewal on the saved card, or a capture on a PSP
    /// that cannot capture twice).
    Replaced,
}

impl ReleaseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseReason::LastParcel => "last_parcel",
            ReleaseReason::Lapsed => "lapsed",
            ReleaseReason::Replaced => "replaced",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::LastParcel, Self::Lapsed, Self::Replaced]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub amount: Decimal,
    pub reason: ReleaseReason,
}

/// Why an attempt failed, as the shopper page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The bank refused the payment (decline, insufficient funds, debit returned).
    BankRefused,
    /// 3-D Secure (or another authentication) failed.
    AuthenticationFailed,
    /// Anything else the PSP reported.
    Other,
}

impl FailureReason {
    /// From the PSP's code, as stored in `failure_code` (`card_declined`, `insufficient_funds`,
    /// `payment_intent_authentication_failure`, …).
    pub fn from_code(code: &str) -> Self {
        if code.contains("authentication") || code.contains("3ds") {
            FailureReason::AuthenticationFailed
        } else if code.contains("declin")
            || code.contains("insufficient")
            || code.contains("refused")
            || code.contains("expired_card")
            || code.contains("stolen")
            || code.contains("lost")
            || code.contains("debit")
        {
            FailureReason::BankRefused
        } else {
            FailureReason::Other
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Ours: `pay_<32 hex>`.
    pub id: String,
    pub order_reference: Reference,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub amount: Decimal,
    pub currency: Currency,
    /// None for a payment no PSP takes part in (voucher, credit, on-account, offline).
    pub psp: Option<PspLink>,
    pub captured_amount: Decimal,
    /// What the shipments answered so far took of `captured_amount`: a shipment "the rest"
    /// retried after its webhook recorded the capture answers the difference.
    #[serde(default)]
    pub shipped_amount: Decimal,
    /// When the last parcel paid by it was handed to the carrier, when the shipment took
    /// nothing at the PSP (a SEPA purchase, collected with its month): its month summary
    /// gives it as the order's delivery.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub shipped_at: Option<OffsetDateTime>,
    pub refunded_amount: Decimal,
    /// The uncaptured rest given back, and why (decides whether the order still owes it).
    #[serde(default)]
    pub released: Option<Release>,
    /// The PSP's reason for the last failure (`card_declined`, `insufficient_funds`, …).
    pub failure_code: Option<String>,
    /// The billing details this payment was made with: its invoice uses them, whatever the
    /// customer's profile says later.
    #[serde(default)]
    pub billing: Option<Billing>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When an unfinished attempt stops being payable.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When we learned of the authorisation: the capture window runs from here.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub authorised_at: Option<OffsetDateTime>,
    /// A chargeback or inquiry on this payment, as its PSP last reported it.
    #[serde(default)]
    pub dispute: Option<Dispute>,
    /// The seller's fraud review of this authorisation, when its rules asked for one.
    #[serde(default)]
    pub review: Option<super::fraud_review::Review>,
    /// When its money is taken (a wallet the PSP cannot authorise apart: at once).
    #[serde(default)]
    pub capture: CaptureTiming,
    /// A scheduled instalment's due date (the shop's calendar).
    #[serde(default)]
    pub due_on: Option<time::Date>,
    /// A tender (voucher, credit balance, on account) reserved with a payment that takes the
    /// rest: that payment's id. The reservation is taken when that payment is authorised and
    /// given back when it fails, is dropped or expires (`tenders::followups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_for: Option<String>,
    /// What the seller refunded to the customer's credit balance instead of this payment's
    /// own means (the card, the voucher): counted as refunded, never sent to a PSP.
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    pub credited_amount: Decimal,
}

impl Payment {
    /// What went back to the customer from this payment: refunded to its means, or credited
    /// to their balance.
    pub fn returned_amount(&self) -> Decimal {
        self.refunded_amount + self.credited_amount
    }

    /// What can still be refunded or credited.
    pub fn refundable(&self) -> Decimal {
        self.captured_amount - self.returned_amount()
    }

    pub fn new_id() -> String {
        format!("pay_{}", uuid::Uuid::new_v4().simple())
    }

    /// The id of the payment that takes over this one's rest (`ReleaseReason::Replaced`):
    /// derived, so a retried renewal names the same payment and the order can tell whether the
    /// replacement is recorded yet.
    pub fn replacement_id(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("renewal-of-{}", self.id).as_bytes());
        format!("pay_{}", &hex::encode(digest)[..32])
    }

    /// The plan, index, count and retry of an instalment.
    pub fn instalment(&self) -> Option<(&str, u32, u32, u32)> {
        match &self.method {
            PaymentMethod::Instalment {
                plan,
                index,
                count,
                retry,
            } => Some((plan.as_str(), *index, *count, *retry)),
            _ => None,
        }
    }

    /// The connector that serves this payment, if a PSP takes part.
    pub fn provider(&self) -> Option<&str> {
        self.psp.as_ref().map(|l| l.provider.as_str())
    }

    /// The PSP's payment id, once the PSP has one.
    pub fn provider_payment(&self) -> Option<&str> {
        self.psp.as_ref().and_then(|l| l.payment.as_deref())
    }

    /// Our card form's PSP form, when the payment was made on one.
    pub fn card_form(&self) -> Option<&CardFormLink> {
        self.psp.as_ref().and_then(|l| l.card_form.as_ref())
    }

    /// The PSP's hosted page, when the payment was made on one.
    pub fn hosted_session(&self) -> Option<&str> {
        self.psp.as_ref().and_then(|l| l.hosted_session.as_deref())
    }

    /// What is authorised and neither captured nor released yet.
    pub fn capturable(&self) -> Decimal {
        if self.status.is_live_authorisation() {
            (self.amount - self.captured_amount).max(Decimal::ZERO)
        } else {
            Decimal::ZERO
        }
    }

    /// How much of the order this payment stands for now: all of it while it is processing or
    /// authorised; once closed, what was captured plus a rest released as not owed (last
    /// parcel); nothing before an authorisation or after a failure.
    pub fn covers(&self) -> Decimal {
        use PaymentStatus::*;
        match self.status {
            Processing | Authorised | PartiallyCaptured => self.amount,
            Captured | PartiallyRefunded | Refunded | Cancelled => {
                let written_off = match self.released {
                    Some(Release {
                        amount,
                        reason: ReleaseReason::LastParcel,
                    }) => amount,
                    _ => Decimal::ZERO,
                };
                self.captured_amount + written_off
            }
            // A scheduled instalment covers the order through its plan (`order_position`).
            Scheduled | Created | RequiresAction | Failed | Expired => Decimal::ZERO,
        }
    }

    /// Records why the uncaptured rest was given back, once the payment is closed short after
    /// an authorisation; the first reason recorded stands. True when it changed the payment.
    pub fn note_release(&mut self, reason: ReleaseReason) -> bool {
        let rest = self.amount - self.captured_amount;
        let closed_short = !self.status.is_live_authorisation()
            && self.status.was_authorised()
            && rest > Decimal::ZERO;
        if self.released.is_some() || !closed_short {
            return false;
        }
        self.released = Some(Release {
            amount: rest,
            reason,
        });
        true
    }

    /// Why the last attempt failed, for the shopper page.
    pub fn failure_reason(&self) -> Option<FailureReason> {
        (self.status == PaymentStatus::Failed).then(|| {
            self.failure_code
                .as_deref()
                .map_or(FailureReason::Other, FailureReason::from_code)
        })
    }

    /// A request's `amount` (capture, refund) in this payment's currency.
    pub fn parse_amount_field(&self, text: &str) -> Result<Decimal, FieldError> {
        self.currency
            .parse_amount(text)
            .map_err(|e| FieldError::new("amount", e.to_string()))
    }

    /// The refusal of an `amount` outside (0, `limit`], `limit` being what is still `what`
    /// ("authorised", "refundable").
    pub fn amount_out_of_bounds(&self, limit: Decimal, what: &str) -> FieldError {
        FieldError::new(
            "amount",
            format!(
                "must be above 0 and at most the {} still {what}",
                self.currency.format(limit.max(Decimal::ZERO))
            ),
        )
    }
}
