//! An order's invoices and credit notes, each with a short-lived download link: for the shopper
//! (behind the order's access token: the order page, and the account through it) and for the
//! seller (back office). Only the documents of the order asked for are listed, and a link opens
//! one document only, so nobody gets another customer's invoice.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use crate::documents::file_name;
use crate::domain::invoice::DocumentKind;
use crate::domain::{Currency, Reference};
use crate::ports::{document_key, Clock, DocumentFiles, InvoiceStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentEntry {
    pub number: String,
    pub kind: DocumentKind,
    pub issued_on: Date,
    pub gross: Decimal,
    pub currency: Currency,
    pub file_name: String,
    pub download_url: String,
    pub link_expires_at: OffsetDateTime,
}

#[derive(Clone)]
pub struct OrderDocuments {
    invoices: Arc<dyn InvoiceStore>,
    files: Arc<dyn DocumentFiles>,
    clock: Arc<dyn Clock>,
}

impl OrderDocuments {
    pub fn new(
        invoices: Arc<dyn InvoiceStore>,
        files: Arc<dyn DocumentFiles>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            invoices,
            files,
            clock,
        }
    }

    /// Every document of `order`, oldest first, each with a fresh link (one Query, then links
    /// signed locally).
    pub async fn list(&self, order: &Reference) -> Result<Vec<DocumentEntry>, StoreError> {
        let now = self.clock.now();
        let mut entries = Vec::new();
        for invoice in self.invoices.documents_of(order).await? {
            let name = file_name(&invoice);
            let link = self.files.link(&document_key(&invoice), &name, now).await?;
            entries.push(DocumentEntry {
                number: invoice.number,
                kind: invoice.draft.kind,
                issued_on: invoice.draft.issued_on,
                gross: invoice.draft.gross,
                currency: invoice.draft.currency,
                file_name: name,
                download_url: link.url,
                link_expires_at: link.expires_at,
            });
        }
        Ok(entries)
    }
}
