//! The notifier's part in documents: an issued invoice or credit note is rendered as its
//! Factur-X PDF, kept (S3) under its number and attached to the email that announces it. The
//! same number always renders to the same bytes, so a redelivered event keeps nothing new. Once
//! kept, `invoice_issued` is queued (outbox) for the e-invoicing platform's connector.

use time::OffsetDateTime;

use super::{Notifier, NotifyError};
use crate::documents::{file_name, invoice_document};
use crate::domain::invoice::PaidBy;
use crate::domain::invoice_issued::IssuedDocument;
use crate::domain::paris_time::paris_date;
use crate::domain::{CaptureTiming, Invoice, InvoiceDraft, OutboxEvent, OutboxKind, Payment};
use crate::ports::{document_key, Attachment, StoreError, Write};

/// What the invoice says of its payment: how it was paid and, for a payment captured at
/// shipment (the invoice is due when the last parcel left), the day the goods were delivered
/// to the carrier.
pub(super) fn describe_payment(
    draft: &mut InvoiceDraft,
    payment: &Payment,
    due_at: OffsetDateTime,
) {
    draft.paid_by = Some(PaidBy::of(&payment.method));
    if payment.capture == CaptureTiming::AtShipment {
        draft.delivered_on = Some(paris_date(due_at));
    }
}

/// `invoice_issued#<number>`: once per document, whoever queues it.
fn issued_event(invoice: &Invoice, key: &str, pdf: &[u8], now: OffsetDateTime) -> OutboxEvent {
    let draft = &invoice.draft;
    OutboxEvent {
        id: format!("invoice_issued#{}", invoice.number),
        kind: OutboxKind::InvoiceIssued,
        order_reference: draft.order_reference.clone(),
        payment_id: draft.payment_id.clone(),
        amount: draft.gross,
        currency: draft.currency,
        created_at: now,
        document: Some(Box::new(IssuedDocument::of(invoice, key, pdf))),
    }
}

impl Notifier {
    /// Queues `invoice_issued` for the e-invoicing connector once the PDF is kept (through the
    /// outbox, so once: a redelivery finds it queued).
    async fn announce_issued(
        &self,
        invoice: &Invoice,
        key: &str,
        pdf: &[u8],
    ) -> Result<(), NotifyError> {
        let event = issued_event(invoice, key, pdf, self.clock.now());
        match self.store.transact(vec![Write::PutOutbox(event)]).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The PDF of `invoice`, kept and ready to attach; nothing when no document store is set.
    pub(super) async fn keep_document(
        &self,
        invoice: &Invoice,
    ) -> Result<Vec<Attachment>, NotifyError> {
        let Some(files) = &self.documents else {
            return Ok(Vec::new());
        };
        let document = invoice_document(invoice)
            .map_err(|e| NotifyError::Permanent(format!("{}: {e}", invoice.number)))?;
        let key = document_key(invoice);
        files.put_pdf(&key, &document.pdf).await?;
        self.announce_issued(invoice, &key, &document.pdf).await?;
        Ok(vec![Attachment {
            file_name: file_name(invoice),
            content_type: "application/pdf",
            bytes: document.pdf,
        }])
    }
}
