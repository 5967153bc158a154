//! What crosses the PSP port: requests, the PSP's view of a payment and of a refund, saved
//! cards, notifications and errors, all neutral (each connector maps its own statuses and
//! errors into these inside its `transformers`).

use time::OffsetDateTime;

use crate::domain::{Dispute, Money, Reference, ReleaseReason};
/// The PSP's own id of a payment (a Stripe PaymentIntent id, `pi_…`).
pub type ProviderPaymentId = String;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedPaymentRequest {
    pub order_reference: Reference,
    /// Our payment id (`pay_…`), echoed back by the PSP in metadata.
    pub payment_id: String,
    pub amount: Money,
    /// Shown on the PSP's page, e.g. "Order ORD-10042".
    pub description: String,
    /// The PSP customer to attach the payment to (saved cards live there).
    pub customer: Option<String>,
    pub customer_email: String,
    /// Where the PSP sends the shopper after paying, and after giving up.
    pub success_url: String,
    pub cancel_url: String,
    /// Keep the card on the customer for later orders.
    pub save_card: bool,
    /// When the hosted page stops accepting the payment.
    pub expires_at: OffsetDateTime,
    /// What the seller's 3-D Secure policy asks of this payment (within what the PSP can do).
    pub three_d_secure: crate::domain::three_d_secure::ThreeDSecureRequest,
    /// Shown inside our checkout page (the PSP's embeddable form) instead of a redirect; the
    /// shopper then comes back to `success_url` only.
    pub embedded: bool,
    /// A wallet instead of a card (its page, or the card page's wallet buttons).
    pub wallet: Option<crate::domain::Wallet>,
    /// Captured as soon as it is paid (a wallet that cannot be authorised apart).
    pub capture_at_once: bool,
    pub idempotency_key: String,
}

/// A hosted payment page opened at the PSP (a Stripe Checkout Session, `cs_…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedPayment {
    pub session_id: String,
    /// Where to redirect the shopper (a page opened to redirect to).
    pub url: Option<String>,
    /// What our page needs to show the PSP's form inside it (an embedded page).
    pub embedded: Option<EmbeddedPage>,
}

/// The PSP's embeddable form: its script (Stripe.js), the public key it needs and the page's
/// client secret. Card data goes from that form to the PSP only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedPage {
    pub script_url: String,
    pub publishable_key: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostedPaymentState {
    Open,
    Complete,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedPaymentStatus {
    pub session_id: String,
    pub state: HostedPaymentState,
    /// The payment the page created, once the shopper submitted a card.
    pub payment: Option<ProviderPaymentId>,
    /// Our ids, from the page's metadata: an expired page with no payment is still ours.
    pub order_reference: Option<String>,
    pub payment_id: Option<String>,
}

/// An off-session or on-session charge of a card saved on a customer (manual capture, or
/// captured at once when asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCardCharge {
    pub order_reference: Reference,
    pub payment_id: String,
    pub amount: Money,
    pub customer: String,
    /// The PSP's payment method id (`pm_…`).
    pub payment_method: String,
    /// True when the shopper is not present (re-authorisation before capture).
    pub off_session: bool,
    /// Where 3-D Secure sends the shopper back, when on session.
    pub return_url: Option<String>,
    /// On session, the shopper confirms the charge on the PSP's side with the card's security
    /// code (it never reaches us): the payment waits in `RequiresConfirmation` with
    /// `next_action_url`, the PSP's page that asks for it. False: confirmed at once.
    pub shopper_confirms: bool,
    /// What the seller's 3-D Secure policy asks of this charge (on session).
    pub three_d_secure: crate::domain::three_d_secure::ThreeDSecureRequest,
    /// Taken at once (an instalment) instead of authorised for a capture at shipment.
    pub capture_at_once: bool,
    pub idempotency_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderPaymentStatus {
    /// No card yet, or the last attempt failed (see `failure`).
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// 3-D Secure or another shopper step is pending (see `next_action_url`).
    RequiresAction,
    Processing,
    /// Authorised, waiting for capture.
    RequiresCapture,
    /// Captured (fully, or finally after partial captures).
    Succeeded,
    Canceled,
    /// The PSP says this attempt is over (authentication failed for good, a debit returned):
    /// nothing more will happen on it.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFailure {
    /// The PSP's error code, e.g. `card_declined`.
    pub code: String,
    /// The issuer's reason when there is one, e.g. `insufficient_funds`.
    pub decline_code: Option<String>,
    pub message: String,
}

/// A payment as the PSP sees it now: the truth that webhooks only hint at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub id: ProviderPaymentId,
    pub status: ProviderPaymentStatus,
    pub amount: Money,
    /// Still capturable (authorised and not yet captured).
    pub amount_capturable: Money,
    /// Captured so far.
    pub amount_received: Money,
    /// Refunded so far (refunds that succeeded).
    pub amount_refunded: Money,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
    pub next_action_url: Option<String>,
    pub failure: Option<PaymentFailure>,
    /// Our ids, from the PSP's metadata.
    pub order_reference: Option<String>,
    pub payment_id: Option<String>,
    pub created_at: OffsetDateTime,
    /// Whether this authorisation can be captured more than once (Stripe: per card, on the
    /// charge); None when the PSP did not say.
    pub multicapture: Option<bool>,
    /// Why the rest of the authorisation was released, as we told the PSP at the final capture
    /// (it keeps it on its payment): whoever records the capture first, its notification or
    /// the capture's own answer, records the same reason.
    pub release_reason: Option<ReleaseReason>,
    /// The dispute on this payment, when the PSP reports one (None: none, or not read on this
    /// call; a stored dispute is kept either way).
    pub dispute: Option<Dispute>,
    /// How risky the PSP judged the payment (Stripe Radar), when it says.
    pub risk_level: Option<crate::domain::fraud_review::RiskLevel>,
    /// The SEPA month this debit collects (`<customer>#<yyyy-mm>`, from the PSP's metadata),
    /// when it is one: it belongs to no single order.
    pub direct_debit: Option<String>,
}

/// Why a PSP cannot charge an amount as one payment (its own minor units, minimum, maximum,
/// or a currency it does not take).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountRefusal {
    #[error("{0}")]
    Currency(String),
    #[error("{0}")]
    Amount(String),
}

impl AmountRefusal {
    pub fn amount(reason: impl Into<String>) -> Self {
        AmountRefusal::Amount(reason.into())
    }
}

/// What becomes of the rest of an authorisation after a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCapture {
    /// It stays capturable (multicapture: `final_capture=false` at Stripe).
    KeepRest,
    /// The PSP releases it; the reason, when given, goes with the capture (see
    /// `ProviderPayment::release_reason`).
    ReleaseRest(Option<ReleaseReason>),
}

impl AfterCapture {
    /// A final capture without a reason to record (the whole rest is captured, or nothing is
    /// left to say).
    pub const FINAL: AfterCapture = AfterCapture::ReleaseRest(None);

    pub fn is_final(self) -> bool {
        matches!(self, AfterCapture::ReleaseRest(_))
    }

    pub fn release_reason(self) -> Option<ReleaseReason> {
        match self {
            AfterCapture::ReleaseRest(reason) => reason,
            AfterCapture::KeepRest => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    Pending,
    Succeeded,
    Failed,
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub id: String,
    pub payment: ProviderPaymentId,
    pub amount: Money,
    pub state: RefundState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCard {
    pub payment_method: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    /// The name on the card, when the PSP keeps one.
    pub holder: Option<String>,
}

/// What a shopper may change on a saved card: its expiry (a renewed card) and holder name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardUpdate {
    pub exp_month: u8,
    pub exp_year: u16,
    pub holder: Option<String>,
}

/// A verified webhook: only what is needed to know what to re-fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The PSP's event id (`evt_…`), for deduplication.
    pub id: String,
    /// The PSP's event type, e.g. `payment_intent.amount_capturable_updated`.
    pub kind: String,
    pub created_at: OffsetDateTime,
    /// The payment the event is about, when it is about one.
    pub payment: Option<ProviderPaymentId>,
    /// The hosted page (checkout session) the event is about, when it is about one.
    pub session: Option<String>,
    /// The refund the event is about, when it is about one.
    pub refund: Option<String>,
    /// The SEPA mandate the event is about (the PSP's id), when it is about one.
    pub mandate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing or malformed signature header")]
    MalformedSignature,
    #[error("no signature matches")]
    BadSignature,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("payload is not a valid event: {0}")]
    InvalidPayload(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The card was refused; not retryable with the same card.
    #[error("declined: {0:?}")]
    Declined(PaymentFailure),
    /// The issuer wants the shopper present (3-D Secure) for an off-session charge.
    #[error("authentication required")]
    AuthenticationRequired(PaymentFailure),
    /// Our request was wrong (a bug or a stale id), never retried.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("not found at the provider: {0}")]
    NotFound(String),
    /// The same idempotency key was used with other parameters.
    #[error("idempotency key reused with other parameters")]
    IdempotencyConflict,
    /// The charge is disputed (a chargeback): the PSP refuses to refund it; the dispute itself
    /// arrives by notification.
    #[error("the charge is disputed: {0}")]
    Disputed(String),
    /// Still rate limited after the connector's retries.
    #[error("rate limited")]
    RateLimited,
    /// 5xx, timeouts, connection errors after the connector's retries; the outcome is unknown,
    /// so the caller retries with the same idempotency key.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}
