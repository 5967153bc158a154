//! Where issued documents (invoice and credit-note PDFs) are kept, and how their owner gets one:
//! S3 in AWS (versioned, retained), memory for the devserver and tests. A document is stored
//! once under its number and never changes; a link to it is short-lived and handed out only after
//! the caller's right to that order was checked.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::StoreError;
use crate::domain::invoice::DocumentKind;
use crate::domain::Invoice;

/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::minutes(5);

/// `invoices/2026/F-2026-000001.pdf`, `credit-notes/2026/A-2026-000001.pdf`.
pub fn document_key(invoice: &Invoice) -> String {
    let folder = match invoice.draft.kind {
        DocumentKind::Invoice => "invoices",
        DocumentKind::CreditNote { .. } => "credit-notes",
    };
    format!(
        "{folder}/{}/{}.pdf",
        invoice.draft.issued_on.year(),
        invoice.number
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLink {
    pub url: String,
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait DocumentFiles: Send + Sync {
    /// Stores the PDF under `key` unless a document is already there (the same number always
    /// renders to the same bytes, so a redelivered event changes nothing).
    async fn put_pdf(&self, key: &str, pdf: &[u8]) -> Result<(), StoreError>;

    /// A link that downloads the document as `file_name` until `now + LINK_LIFETIME`.
    async fn link(
        &self,
        key: &str,
        file_name: &str,
        now: OffsetDateTime,
    ) -> Result<DocumentLink, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::samples::samples;

    #[test]
    fn keys_separate_invoices_from_credit_notes_by_year() {
        let keys: Vec<String> = samples().iter().map(|(_, i)| document_key(i)).collect();
        assert!(keys.contains(&"invoices/2026/F-2026-000001.pdf".to_string()));
        assert!(keys.contains(&"credit-notes/2026/A-2026-000001.pdf".to_string()));
    }
}
