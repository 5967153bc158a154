//! The PSP port: what the application needs from a payment service provider. Connectors
//! (`adapters::stripe`) implement it over the PSP's HTTP API; wire types never cross it.
//!
//! Amounts are domain `Money`; connectors convert to minor units. Every call that creates or
//! moves money takes an idempotency key, which connectors pass to the PSP, so a retried call
//! never makes a second charge, capture or refund.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::domain::{Money, Reference};

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
    pub idempotency_key: String,
}

/// A hosted payment page opened at the PSP (a Stripe Checkout Session, `cs_…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedPayment {
    pub session_id: String,
    /// Where to redirect the shopper.
    pub url: String,
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

/// An off-session or on-session charge of a card saved on a customer (manual capture).
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
    /// Still rate limited after the connector's retries.
    #[error("rate limited")]
    RateLimited,
    /// 5xx, timeouts, connection errors after the connector's retries; the outcome is unknown,
    /// so the caller retries with the same idempotency key.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}

/// Whether an authorisation can be captured more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Multicapture {
    /// Never: a partial capture releases the rest.
    Never,
    /// Depends on the card: the PSP says so on each payment (`ProviderPayment::multicapture`);
    /// when it did not, assume not.
    PerPayment,
    Always,
}

/// How 3-D Secure can be steered on a card payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreeDsOptions {
    /// The connector can ask for a challenge (Stripe: `request_three_d_secure=any`).
    pub can_request: bool,
    /// The connector can ask for none (exemptions).
    pub can_skip: bool,
}

/// What a connector can do; the use cases read this instead of constants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub multicapture: Multicapture,
    /// How long after an authorisation a capture is safe (shortest scheme rule).
    pub capture_window: Duration,
    /// When the PSP cancels an uncaptured authorisation by itself, if it does.
    pub cancels_uncaptured_after: Option<Duration>,
    pub three_ds: ThreeDsOptions,
    /// Hosted page, saved cards (off-session charges), SEPA mandates.
    pub hosted_page: bool,
    pub saved_cards: bool,
    pub mandates: bool,
    /// Notifications carry a signature (else each is only a hint: always re-fetch).
    pub signed_notifications: bool,
}

impl Capabilities {
    /// Whether this payment's authorisation can be captured again after a partial capture.
    pub fn can_capture_twice(&self, said_by_psp: Option<bool>) -> bool {
        match self.multicapture {
            Multicapture::Never => false,
            Multicapture::Always => true,
            Multicapture::PerPayment => said_by_psp.unwrap_or(false),
        }
    }
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// "stripe".
    fn name(&self) -> &'static str;

    fn capabilities(&self) -> &Capabilities;

    async fn create_customer(
        &self,
        email: &str,
        name: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError>;

    /// Opens a hosted page that authorises `amount` with manual capture.
    async fn open_hosted_payment(
        &self,
        request: &HostedPaymentRequest,
    ) -> Result<HostedPayment, ProviderError>;

    async fn hosted_payment_status(
        &self,
        session_id: &str,
    ) -> Result<HostedPaymentStatus, ProviderError>;

    /// Closes a hosted page so it can no longer be paid (resume / delete / expiry).
    async fn expire_hosted_payment(
        &self,
        session_id: &str,
        idempotency_key: &str,
    ) -> Result<HostedPaymentStatus, ProviderError>;

    async fn charge_saved_card(
        &self,
        charge: &SavedCardCharge,
    ) -> Result<ProviderPayment, ProviderError>;

    async fn fetch_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError>;

    /// Captures `amount` of an authorisation (None: all that is capturable); `final_capture`
    /// false keeps the rest capturable (multicapture).
    async fn capture(
        &self,
        id: &str,
        amount: Option<Money>,
        final_capture: bool,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError>;

    /// Releases an authorisation, or abandons a payment not yet authorised.
    async fn cancel(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError>;

    async fn refund(
        &self,
        id: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<ProviderRefund, ProviderError>;

    async fn fetch_refund(&self, id: &str) -> Result<ProviderRefund, ProviderError>;

    async fn list_saved_cards(&self, customer: &str) -> Result<Vec<SavedCard>, ProviderError>;

    /// Checks the signature (constant time, several secrets during rotation) and the timestamp
    /// tolerance, then parses the event leniently.
    fn verify_webhook(
        &self,
        payload: &[u8],
        signature_header: &str,
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError>;
}
