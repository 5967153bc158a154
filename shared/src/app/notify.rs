//! The notifier: consumes outbox events (SQS), sends each customer email exactly once, issues
//! the invoice when a payment is fully captured, and tells the seller of disputes.
//!
//! Exactly once: every email is claimed under `<event>#<template>#<recipient>` before it is
//! sent and marked sent after; a redelivered event finds it sent and does nothing. A consumer
//! that dies between sending and marking leaves a claim that expires after `EMAIL_LEASE`, after
//! which one more send is possible: SES has no idempotency key, so that window is the limit.

#[path = "notify_direct_debit.rs"]
mod direct_debit;
#[path = "notify_documents.rs"]
mod documents;
#[path = "notify_month_invoice.rs"]
mod month_invoice;
#[path = "notify_sending.rs"]
mod sending;
#[path = "notify_sold_vouchers.rs"]
mod sold_vouchers;

pub use sold_vouchers::SOLD_VOUCHER_VALIDITY;

use std::sync::Arc;

use time::Duration;

use crate::domain::emails::{render, EmailContent};
use crate::domain::seller_emails::{render_for_seller, SellerEmail, SellerInbox};
use crate::domain::{
    customer_id, Billing, BillingAddress, InvoiceDraft, Order, OutboxEvent, OutboxKind,
    SellerIdentity,
};
use crate::ports::{Clock, DocumentFiles, Mailer, NotificationStore, Store, StoreError};

/// Longer than a send takes, shorter than SQS's visibility timeout so a retry can take over.
const EMAIL_LEASE: Duration = Duration::minutes(2);
const MARK_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// Leave the message on the queue: a later delivery may succeed.
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying cannot help (bad message, missing order, rejected address): dead-letter it.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl NotifyError {
    pub fn is_transient(&self) -> bool {
        matches!(self, NotifyError::Transient(_))
    }
}

impl From<StoreError> for NotifyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Contention | StoreError::Throttled | StoreError::Unavailable(_) => {
                NotifyError::Transient(e.to_string())
            }
            _ => NotifyError::Permanent(e.to_string()),
        }
    }
}

/// What one event led to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handled {
    /// Templates sent by this call.
    pub sent: Vec<&'static str>,
    /// Templates found already sent (a redelivery).
    pub already_sent: Vec<&'static str>,
    pub invoice_number: Option<String>,
}

/// The SQS message body is the outbox event as JSON; anything else is permanent garbage.
pub fn parse_outbox_message(body: &str) -> Result<OutboxEvent, NotifyError> {
    serde_json::from_str(body).map_err(|e| NotifyError::Permanent(format!("bad outbox event: {e}")))
}

pub struct Notifier {
    store: Arc<dyn Store>,
    notifications: Arc<dyn NotificationStore>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    seller: SellerIdentity,
    pay_page: PayPage,
    /// Where dispute emails go (`SELLER_EMAIL`); without it a dispute event is dead-lettered.
    seller_inbox: Option<SellerInbox>,
    /// Where invoice and credit-note PDFs are kept; without it they are emailed as text only.
    documents: Option<Arc<dyn DocumentFiles>>,
    /// The key sold vouchers' codes derive from; without it an order selling vouchers is
    /// dead-lettered when its invoice is due.
    sold_voucher_key: Option<Vec<u8>>,
}

/// The shopper pages' "Pay now" address (`PAY_PAGE_URL`, e.g. `https://shop.example/pay`): the
/// email asking a shopper to pay again links to it with the order reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayPage(String);

impl PayPage {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.len() < 10 || url.contains(char::is_whitespace) || url.contains('#') {
            return Err(format!(
                "{url:?} is not an absolute http(s) URL without a fragment"
            ));
        }
        Ok(PayPage(url.to_string()))
    }

    /// `…/pay?ref=ORD-10042` (references are ASCII letters, digits and dashes: no escaping).
    pub fn link_for(&self, reference: &crate::domain::Reference) -> String {
        let separator = if self.0.contains('?') { '&' } else { '?' };
        format!("{}{separator}ref={reference}", self.0)
    }
}

/// Billing details for the invoice: the customer's profile, else the order's own details.
fn billing_of(order: &Order, profile: Option<Billing>) -> Billing {
    profile.unwrap_or_else(|| {
        let a = &order.shipping.address;
        Billing {
            company: order.customer.company.clone(),
            name: order.customer.name.clone(),
            email: order.customer.email.clone(),
            phone: None,
            address: BillingAddress {
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                postcode: a.postcode.clone(),
                city: a.city.clone(),
                country: a.country.clone(),
            },
        }
    })
}

impl Notifier {
    pub fn new(
        store: Arc<dyn Store>,
        notifications: Arc<dyn NotificationStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        seller: SellerIdentity,
        pay_page: PayPage,
    ) -> Self {
        Self {
            store,
            notifications,
            mailer,
            clock,
            seller,
            pay_page,
            seller_inbox: None,
            documents: None,
            sold_voucher_key: None,
        }
    }

    /// The key the codes of gift vouchers sold as order lines derive from (see
    /// `VoucherCode::derived`).
    pub fn with_sold_voucher_key(mut self, key: Vec<u8>) -> Self {
        self.sold_voucher_key = Some(key);
        self
    }

    /// Renders every invoice and credit note as a Factur-X PDF, keeps it in `files` and attaches
    /// it to its email.
    pub fn with_documents(mut self, files: Arc<dyn DocumentFiles>) -> Self {
        self.documents = Some(files);
        self
    }

    pub fn with_seller_inbox(mut self, inbox: Option<SellerInbox>) -> Self {
        self.seller_inbox = inbox;
        self
    }

    pub async fn handle(&self, event: &OutboxEvent) -> Result<Handled, NotifyError> {
        let mut handled = Handled::default();
        if matches!(
            event.kind,
            OutboxKind::AuthorisationReleased | OutboxKind::InvoiceIssued
        ) {
            // The shopper saw the cancellation on the seller's side; no email is promised. An
            // issued document is for the e-invoicing connector's queue, not for emails.
            return Ok(handled);
        }
        if matches!(
            event.kind,
            OutboxKind::DirectDebitAnnounced | OutboxKind::DirectDebitReturned
        ) {
            return self.tell_direct_debit(event).await;
        }
        if event.kind == OutboxKind::MonthInvoiceDue {
            return self.issue_month_invoice(event).await;
        }
        let loaded = self
            .store
            .get_order_with_payments(&event.order_reference)
            .await?
            .ok_or_else(|| {
                NotifyError::Permanent(format!("order {} not found", event.order_reference))
            })?;
        if matches!(
            event.kind,
            OutboxKind::DisputeOpened
                | OutboxKind::DisputeClosed
                | OutboxKind::OrderDeletedByShopper
        ) {
            return self.tell_seller(&loaded, event).await;
        }
        let order = &loaded.order.value;
        let (name, reference) = (order.customer.name.as_str(), &order.reference);
        let (amount, currency) = (event.amount, event.currency);
        let invoice;
        let credit_note;
        let mut attachments = Vec::new();
        let pay_link = self.pay_page.link_for(reference);
        let facts =
            super::notify_instalments::instalment_facts(&loaded.payments, &event.payment_id);
        let instalment = facts
            .as_ref()
            .and_then(|f| f.content(event.kind, name, reference, amount, currency, &pay_link));
        let content = match instalment {
            Some(content) => content,
            None => match event.kind {
                OutboxKind::PaymentReceived
                    if loaded.payments.iter().any(|p| {
                        p.value.id == event.payment_id
                            && p.value.capture == crate::domain::CaptureTiming::AtOnce
                    }) =>
                {
                    EmailContent::PaymentTaken {
                        name,
                        reference,
                        amount,
                        currency,
                    }
                }
                OutboxKind::PaymentReceived => EmailContent::PaymentReceived {
                    name,
                    reference,
                    amount,
                    currency,
                },
                OutboxKind::AmountDebited => EmailContent::AmountDebited {
                    name,
                    reference,
                    amount,
                    currency,
                },
                OutboxKind::RefundIssued => {
                    credit_note = self.credit_note_for(&loaded, event).await?;
                    handled.invoice_number = credit_note.as_ref().map(|n| n.number.clone());
                    if let Some(note) = &credit_note {
                        attachments = self.keep_document(note).await?;
                    }
                    EmailContent::RefundIssued {
                        name,
                        reference,
                        amount,
                        currency,
                        credit_note: credit_note.as_ref(),
                    }
                }
                OutboxKind::InvoiceDue => {
                    let Some(paid_with) = loaded
                        .payments
                        .iter()
                        .find(|p| p.value.id == event.payment_id)
                    else {
                        return Err(NotifyError::Permanent(format!(
                            "payment {} not found on order {reference}",
                            event.payment_id
                        )));
                    };
                    if let Some(summary) = self.summary_of(&loaded).await? {
                        // Billed by its month's summary: no invoice of its own.
                        self.issue_sold_vouchers(&loaded, event, &mut handled)
                            .await?;
                        handled.invoice_number = Some(summary.number);
                        self.store.confirm_invoice_delivered(&event.id).await?;
                        return Ok(handled);
                    }
                    let billing = self.billing_for(&loaded, &paid_with.value).await?;
                    let mut draft = InvoiceDraft::from_order(
                        order,
                        event.amount,
                        &billing,
                        &event.payment_id,
                        event.created_at,
                        &self.seller,
                    )
                    .map_err(|e| NotifyError::Permanent(e.to_string()))?;
                    documents::describe_payment(&mut draft, &paid_with.value, event.created_at);
                    invoice = self.notifications.issue_invoice(&draft).await?;
                    handled.invoice_number = Some(invoice.number.clone());
                    attachments = self.keep_document(&invoice).await?;
                    EmailContent::Invoice {
                        name,
                        invoice: &invoice,
                    }
                }
                OutboxKind::OrderRejected => EmailContent::OrderRejected {
                    name,
                    reference,
                    amount,
                    currency,
                },
                OutboxKind::ReauthorisationRequired => EmailContent::ReauthorisationNeeded {
                    name,
                    reference,
                    amount,
                    currency,
                    pay_link: &pay_link,
                },
                OutboxKind::InstalmentFailed => {
                    return Err(NotifyError::Permanent(format!(
                        "payment {} of order {reference} is not an instalment",
                        event.payment_id
                    )))
                }
                OutboxKind::AuthorisationReleased
                | OutboxKind::DisputeOpened
                | OutboxKind::DisputeClosed
                | OutboxKind::OrderDeletedByShopper
                | OutboxKind::DirectDebitAnnounced
                | OutboxKind::DirectDebitReturned
                | OutboxKind::MonthInvoiceDue
                | OutboxKind::InvoiceIssued => return Ok(handled),
            },
        };
        let template = content.template();
        let rendered = render(&content, order.customer.locale);
        self.deliver_with(
            event,
            template,
            &order.customer.email,
            rendered,
            attachments,
            &mut handled,
        )
        .await?;
        if event.kind == OutboxKind::InvoiceDue {
            // Fully captured: the gift vouchers it sold are issued and their codes emailed.
            self.issue_sold_vouchers(&loaded, event, &mut handled)
                .await?;
            // Off the daily sweep's list (sent now or by an earlier delivery).
            self.store.confirm_invoice_delivered(&event.id).await?;
        }
        Ok(handled)
    }

    /// The billing details `payment` was made with (its snapshot, else the latest payment's
    /// that has one); the profile only for payments made before snapshots existed.
    async fn billing_for(
        &self,
        loaded: &crate::ports::OrderWithPayments,
        payment: &crate::domain::Payment,
    ) -> Result<Billing, NotifyError> {
        let snapshot = payment.billing.clone().or_else(|| {
            loaded
                .payments
                .iter()
                .rev()
                .find_map(|p| p.value.billing.clone())
        });
        let order = &loaded.order.value;
        Ok(match snapshot {
            Some(billing) => billing,
            None => billing_of(
                order,
                self.store
                    .get_customer(&customer_id(&order.customer.email))
                    .await?
                    .and_then(|c| c.value.billing),
            ),
        })
    }

    /// The credit note of this refund, when the order was already invoiced (an issued invoice
    /// never changes): numbered in its own gap-free sequence, one per refund event (a
    /// redelivery finds the same one). A refund before the invoice needs none: the invoice
    /// bills what was captured less what was refunded by then.
    async fn credit_note_for(
        &self,
        loaded: &crate::ports::OrderWithPayments,
        event: &OutboxEvent,
    ) -> Result<Option<crate::domain::Invoice>, NotifyError> {
        let order = &loaded.order.value;
        // No invoice asked for yet, or asked for after this refund: the invoice nets it.
        let Some(cue) = order
            .invoiced
            .as_ref()
            .filter(|cue| event.created_at > cue.at)
        else {
            return Ok(None);
        };
        let invoice = match self
            .notifications
            .get_invoice_for(&order.reference, &cue.payment_id)
            .await?
        {
            Some(invoice) => Some(invoice),
            // Invoiced by its month's summary (even when another payment settled it).
            None => self.summary_of(loaded).await.ok().flatten(),
        };
        let Some(invoice) = invoice else {
            // Its message may come after this one: wait for it.
            return Err(NotifyError::Transient(format!(
                "order {} is not invoiced yet",
                order.reference
            )));
        };
        let draft = InvoiceDraft::credit_note(
            &invoice,
            &order.reference,
            event.amount,
            &event.id,
            event.created_at,
        )
        .map_err(|e| NotifyError::Permanent(e.to_string()))?;
        Ok(Some(self.notifications.issue_invoice(&draft).await?))
    }

    /// A dispute opened or decided: the seller hears of it (the shopper's bank told the shopper).
    /// The email describes the dispute as stored now (statuses only move forward).
    async fn tell_seller(
        &self,
        loaded: &crate::ports::OrderWithPayments,
        event: &OutboxEvent,
    ) -> Result<Handled, NotifyError> {
        let inbox = self.seller_inbox.as_ref().ok_or_else(|| {
            NotifyError::Permanent(
                "an email for the seller, and no SELLER_EMAIL to send it to".into(),
            )
        })?;
        let order = &loaded.order.value;
        let (reference, currency) = (&order.reference, order.currency);
        if event.kind == OutboxKind::OrderDeletedByShopper {
            let email = SellerEmail::OrderDeleted {
                reference,
                currency,
                gross: event.amount,
            };
            return self.send_to_seller(inbox, event, &email).await;
        }
        let dispute = loaded
            .payments
            .iter()
            .find(|p| p.value.id == event.payment_id)
            .and_then(|p| p.value.dispute.as_ref())
            .ok_or_else(|| {
                NotifyError::Permanent(format!(
                    "no dispute on payment {} of order {}",
                    event.payment_id, order.reference
                ))
            })?;
        let email = if event.kind == OutboxKind::DisputeOpened {
            SellerEmail::DisputeOpened {
                reference,
                currency,
                dispute,
            }
        } else {
            SellerEmail::DisputeClosed {
                reference,
                currency,
                dispute,
            }
        };
        self.send_to_seller(inbox, event, &email).await
    }

    async fn send_to_seller(
        &self,
        inbox: &SellerInbox,
        event: &OutboxEvent,
        email: &SellerEmail<'_>,
    ) -> Result<Handled, NotifyError> {
        let template = email.template();
        let rendered = render_for_seller(email, inbox.locale);
        let mut handled = Handled::default();
        self.deliver(event, template, &inbox.address, rendered, &mut handled)
            .await?;
        Ok(handled)
    }
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "notify_documents_tests.rs"]
mod documents_tests;
