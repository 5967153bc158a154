//! The notifier's part in documents: an issued invoice or credit note is rendered as its
//! Factur-X PDF, kept (S3) under its number and attached to the email that announces it. The
//! same number always renders to the same bytes, so a redelivered event keeps nothing new.

use time::OffsetDateTime;

use super::{Notifier, NotifyError};
use crate::documents::{file_name, invoice_document};
use crate::domain::invoice::PaidBy;
use crate::domain::paris_time::paris_date;
use crate::domain::{CaptureTiming, Invoice, InvoiceDraft, Payment};
use crate::ports::{document_key, Attachment};

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

impl Notifier {
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
        files.put_pdf(&document_key(invoice), &document.pdf).await?;
        Ok(vec![Attachment {
            file_name: file_name(invoice),
            content_type: "application/pdf",
            bytes: document.pdf,
        }])
    }
}
