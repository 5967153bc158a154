//! The PSP port: what the application needs from a payment service provider, split by
//! capability. Connectors (`adapters::stripe`) implement it over the PSP's HTTP API; wire types
//! never cross it. A registry (`ProviderRegistry`) holds the connectors by name, and capture,
//! cancel and refund go to the payment's own provider.
//!
//! Amounts are domain `Money`; connectors convert to minor units. Every call that creates or
//! moves money takes an idempotency key, which connectors pass to the PSP, so a retried call
//! never makes a second charge, capture or refund.

mod capabilities;
mod card_forms;
mod mandates;
mod notification;
mod registry;
mod types;

pub use capabilities::*;
pub use card_forms::*;
pub use mandates::*;
pub use notification::NotificationRequest;
pub use registry::{ProviderRegistry, UnknownProvider};
pub use types::*;

use async_trait::async_trait;
use time::OffsetDateTime;

/// Customers at the PSP (saved cards and mandates live there).
#[async_trait]
pub trait Customers: Send + Sync {
    async fn create_customer(
        &self,
        email: &str,
        name: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError>;
}

/// The PSP's hosted payment page.
#[async_trait]
pub trait HostedPages: Send + Sync {
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
}

/// Our own card form (`Capabilities::card_form`): for a PSP without a hosted page that can
/// authorise now and capture later. A connector without it answers `InvalidRequest`.
#[async_trait]
pub trait CardForms: Send + Sync {
    /// Prepares a form for one card: the shopper's browser posts the card to the PSP.
    async fn open_card_form(&self, _request: &CardFormRequest) -> Result<CardForm, ProviderError> {
        Err(ProviderError::InvalidRequest(
            "this provider has no card form".into(),
        ))
    }

    /// The tokenisation's answer made into a card and an authorisation of the amount: the
    /// payment is authorised, refused (`failure`), or waits for 3-D Secure
    /// (`next_action_url`). A refused card needs a new form.
    async fn authorise_card_form(
        &self,
        _submission: &CardFormSubmission,
    ) -> Result<ProviderPayment, ProviderError> {
        Err(ProviderError::InvalidRequest(
            "this provider has no card form".into(),
        ))
    }
}

/// Payment methods saved on a customer (cards today).
#[async_trait]
pub trait SavedPaymentMethods: Send + Sync {
    async fn list_saved_cards(&self, customer: &str) -> Result<Vec<SavedCard>, ProviderError>;

    /// A new expiry and holder name on a saved card (the number never changes).
    async fn update_saved_card(
        &self,
        payment_method: &str,
        update: &CardUpdate,
        idempotency_key: &str,
    ) -> Result<SavedCard, ProviderError>;

    /// Takes the card off its customer at the PSP: it can no longer be charged.
    async fn detach_saved_card(
        &self,
        payment_method: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError>;
}

/// Charges and their captures.
#[async_trait]
pub trait Charges: Send + Sync {
    /// An off-session or on-session charge of a saved card (manual capture).
    async fn charge_saved_card(
        &self,
        charge: &SavedCardCharge,
    ) -> Result<ProviderPayment, ProviderError>;

    async fn fetch_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError>;

    /// Captures `amount` of an authorisation (None: all that is capturable); `after` says
    /// whether the rest stays capturable (multicapture) or is released, and why.
    async fn capture(
        &self,
        id: &str,
        amount: Option<crate::domain::Money>,
        after: AfterCapture,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError>;

    /// Releases an authorisation, or abandons a payment not yet authorised.
    async fn cancel(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError>;
}

#[async_trait]
pub trait Refunds: Send + Sync {
    async fn refund(
        &self,
        id: &str,
        amount: crate::domain::Money,
        idempotency_key: &str,
    ) -> Result<ProviderRefund, ProviderError>;

    async fn fetch_refund(&self, id: &str) -> Result<ProviderRefund, ProviderError>;
}

/// SEPA mandates and the debits taken on them (`Capabilities::mandates`).
#[async_trait]
pub trait Mandates: Send + Sync {
    /// Opens the PSP's page where the customer gives an IBAN and accepts the mandate.
    async fn open_mandate_setup(
        &self,
        request: &MandateSetupRequest,
    ) -> Result<MandateSetupPage, ProviderError>;

    /// The set-up page's outcome, with the mandate once accepted.
    async fn mandate_setup_status(
        &self,
        setup_id: &str,
    ) -> Result<MandateSetupStatus, ProviderError>;

    async fn fetch_mandate(&self, mandate: &str) -> Result<ProviderMandate, ProviderError>;

    /// Revokes the mandate: its payment method can no longer be debited.
    async fn revoke_mandate(
        &self,
        payment_method: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError>;

    /// Takes a debit on the mandate, off-session; it stays processing until the bank answers.
    async fn debit_mandate(&self, debit: &MandateDebit) -> Result<ProviderPayment, ProviderError>;
}

/// The PSP's notifications (webhooks), each only a hint of what to re-fetch.
pub trait Notifications: Send + Sync {
    /// Authenticates the request where the PSP signs it (constant time, several secrets during
    /// rotation, a timestamp tolerance) and reads what it is about, leniently.
    fn parse_notification(
        &self,
        request: &NotificationRequest,
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError>;
}

/// A connector: every capability above, its name in the registry, and what it can do.
pub trait PaymentProvider:
    Customers
    + HostedPages
    + CardForms
    + SavedPaymentMethods
    + Charges
    + Refunds
    + Mandates
    + Notifications
{
    /// "stripe".
    fn name(&self) -> &'static str;

    fn capabilities(&self) -> &Capabilities;

    /// Whether this PSP can charge `amount` as one payment, by its own rules (minor units on
    /// the wire, minimum and maximum charge): orders it cannot charge are refused at creation.
    fn check_amount(&self, amount: &crate::domain::Money) -> Result<(), AmountRefusal>;
}

/// Every capability trait, for code that calls connectors through `dyn PaymentProvider`.
pub mod prelude {
    pub use super::{
        AfterCapture, CardForms, Charges, Customers, HostedPages, Mandates, Notifications,
        PaymentProvider, Refunds, SavedPaymentMethods,
    };
}
