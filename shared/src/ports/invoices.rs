//! What the notifier persists: gap-free invoice numbers and one record per email sent, so a
//! redelivered outbox event neither renumbers an invoice nor emails twice.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;
use crate::domain::customer_id;
use crate::domain::{Invoice, InvoiceDraft, Reference};

#[async_trait]
pub trait InvoiceStore: Send + Sync {
    /// Numbers and stores the draft's invoice in one transaction: the year's counter moves
    /// from n to n+1 (conditionally), `INVOICE#<number>` and the order/payment marker are
    /// created. If the payment already has an invoice, that one is returned unchanged.
    /// Retries internally on counter races; `Contention` only if they never settle.
    async fn issue_invoice(&self, draft: &InvoiceDraft) -> Result<Invoice, StoreError>;

    async fn get_invoice_for(
        &self,
        order: &Reference,
        payment_id: &str,
    ) -> Result<Option<Invoice>, StoreError>;

    async fn get_invoice(&self, number: &str) -> Result<Option<Invoice>, StoreError>;

    /// Every invoice and credit note of an order, oldest first (issued with the numbering
    /// transaction, so none is missing).
    async fn documents_of(&self, order: &Reference) -> Result<Vec<Invoice>, StoreError>;
}

/// One email of one outbox event to one recipient. The recipient appears as its digest only,
/// so keys never carry addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailKey(String);

impl EmailKey {
    pub fn new(event_id: &str, template: &str, recipient: &str) -> Self {
        EmailKey(format!("{event_id}#{template}#{}", customer_id(recipient)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailClaim {
    /// Ours to send; mark it sent afterwards, or release it if sending failed.
    Claimed,
    AlreadySent {
        message_id: String,
    },
    /// Another consumer claimed it and its lease has not run out: try again later.
    InFlight,
}

#[async_trait]
pub trait SentEmails: Send + Sync {
    /// Conditional put of `EMAIL#<key>` in state SENDING until `lease_until`; succeeds when no
    /// record exists or a previous claim's lease ran out (its consumer died mid-send).
    async fn claim_email(
        &self,
        key: &EmailKey,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<EmailClaim, StoreError>;

    /// SENDING → SENT with the provider's message id; the record is then permanent.
    async fn mark_email_sent(
        &self,
        key: &EmailKey,
        message_id: &str,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Drops our SENDING claim after a failed send so a retry may claim it again.
    async fn release_email(&self, key: &EmailKey) -> Result<(), StoreError>;
}

/// Everything the notifier stores.
pub trait NotificationStore: InvoiceStore + SentEmails {}
impl<T: InvoiceStore + SentEmails> NotificationStore for T {}
