//! Memory notification store and mailer for the devserver and fast tests. Kept apart from
//! `MemoryStore` (own lock) so the two evolve independently; same semantics as DynamoDB.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::{Invoice, InvoiceDraft, Reference};
use crate::ports::{
    EmailClaim, EmailKey, InvoiceStore, MailError, Mailer, MessageId, OutgoingEmail, SentEmails,
    StoreError,
};

#[derive(Debug, Clone)]
enum EmailRecord {
    Sending { lease_until: OffsetDateTime },
    Sent { message_id: String },
}

#[derive(Default)]
struct State {
    counters: HashMap<String, u64>,
    invoices: HashMap<String, Invoice>,
    /// (order, payment) → invoice number
    invoice_for: HashMap<(Reference, String), String>,
    emails: HashMap<EmailKey, EmailRecord>,
}

#[derive(Default)]
pub struct MemoryNotificationStore {
    state: Mutex<State>,
}

impl MemoryNotificationStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Unavailable("memory notification store poisoned".into()))
    }
}

#[async_trait]
impl InvoiceStore for MemoryNotificationStore {
    async fn issue_invoice(&self, draft: &InvoiceDraft) -> Result<Invoice, StoreError> {
        let mut state = self.lock()?;
        let marker = (draft.order_reference.clone(), draft.payment_id.clone());
        if let Some(number) = state.invoice_for.get(&marker) {
            return state
                .invoices
                .get(number)
                .cloned()
                .ok_or_else(|| StoreError::Corrupt(format!("invoice {number} missing")));
        }
        // A summarised payment invoiced already (by another number) would be billed twice.
        let links: Vec<(Reference, String)> = draft
            .summarised_payments()
            .into_iter()
            .map(|(order, payment)| (order.clone(), payment.to_string()))
            .collect();
        if let Some(taken) = links.iter().find(|l| state.invoice_for.contains_key(l)) {
            return Err(StoreError::Corrupt(format!(
                "payment {} of order {} is invoiced already",
                taken.1, taken.0
            )));
        }
        // One lock covers counter, invoice and markers: the memory form of the transaction.
        let counter = state.counters.entry(draft.counter()).or_insert(0);
        *counter += 1;
        let invoice = draft.clone().numbered(*counter);
        state.invoice_for.insert(marker, invoice.number.clone());
        for link in links {
            state.invoice_for.insert(link, invoice.number.clone());
        }
        state
            .invoices
            .insert(invoice.number.clone(), invoice.clone());
        Ok(invoice)
    }

    async fn get_invoice_for(
        &self,
        order: &Reference,
        payment_id: &str,
    ) -> Result<Option<Invoice>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .invoice_for
            .get(&(order.clone(), payment_id.to_string()))
            .and_then(|n| state.invoices.get(n))
            .cloned())
    }

    async fn get_invoice(&self, number: &str) -> Result<Option<Invoice>, StoreError> {
        Ok(self.lock()?.invoices.get(number).cloned())
    }

    async fn documents_of(&self, order: &Reference) -> Result<Vec<Invoice>, StoreError> {
        let state = self.lock()?;
        let mut documents: Vec<Invoice> = state
            .invoices
            .values()
            .filter(|i| i.draft.orders().contains(&order))
            .cloned()
            .collect();
        documents
            .sort_by(|a, b| (a.draft.issued_on, &a.number).cmp(&(b.draft.issued_on, &b.number)));
        Ok(documents)
    }
}

#[async_trait]
impl SentEmails for MemoryNotificationStore {
    async fn claim_email(
        &self,
        key: &EmailKey,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<EmailClaim, StoreError> {
        let mut state = self.lock()?;
        match state.emails.get(key) {
            Some(EmailRecord::Sent { message_id }) => {
                return Ok(EmailClaim::AlreadySent {
                    message_id: message_id.clone(),
                })
            }
            Some(EmailRecord::Sending { lease_until }) if *lease_until > now => {
                return Ok(EmailClaim::InFlight)
            }
            _ => {}
        }
        state
            .emails
            .insert(key.clone(), EmailRecord::Sending { lease_until });
        Ok(EmailClaim::Claimed)
    }

    async fn mark_email_sent(
        &self,
        key: &EmailKey,
        message_id: &str,
        _sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.lock()?.emails.insert(
            key.clone(),
            EmailRecord::Sent {
                message_id: message_id.to_string(),
            },
        );
        Ok(())
    }

    async fn release_email(&self, key: &EmailKey) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if matches!(state.emails.get(key), Some(EmailRecord::Sending { .. })) {
            state.emails.remove(key);
        }
        Ok(())
    }
}

/// An email the memory mailer "sent", for the devserver's /dev/outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub idempotency_key: String,
    pub message_id: String,
    pub sent_at: OffsetDateTime,
    pub attachments: Vec<crate::ports::Attachment>,
}

#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<SentEmail>>,
    /// Test switch: the next send fails with this error.
    fail_next: Mutex<Option<MailError>>,
}

impl MemoryMailer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentEmail> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn fail_next(&self, error: MailError) {
        if let Ok(mut slot) = self.fail_next.lock() {
            *slot = Some(error);
        }
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<MessageId, MailError> {
        let failure = self
            .fail_next
            .lock()
            .map_err(|_| MailError::Unavailable("poisoned".into()))?
            .take();
        if let Some(error) = failure {
            return Err(error);
        }
        let message_id = format!("mem-{}", uuid::Uuid::new_v4().simple());
        self.sent
            .lock()
            .map_err(|_| MailError::Unavailable("poisoned".into()))?
            .push(SentEmail {
                to: email.to.clone(),
                subject: email.subject.clone(),
                text: email.text.clone(),
                html: email.html.clone(),
                idempotency_key: email.idempotency_key.clone(),
                message_id: message_id.clone(),
                sent_at: OffsetDateTime::now_utc(),
                attachments: email.attachments.clone(),
            });
        Ok(MessageId(message_id))
    }
}
