//! Invoices and credit notes as documents a French business can file: a PDF/A-3 page with the
//! document's Factur-X (EN 16931) CII XML embedded, so the same file is read by a person and by
//! accounting software. Pure: an issued `Invoice` in, bytes out.

mod cii;
mod facturx_xmp;
mod font;
mod page_layout;
mod render;
#[cfg(any(test, feature = "contract-tests"))]
pub mod samples;
mod xml_tree;

pub use cii::{cii_xml, EN16931_GUIDELINE};
pub use render::{RenderError, FACTURX_FILE_NAME};

use crate::domain::invoice::DocumentKind;
use crate::domain::Invoice;

/// An issued document, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    pub pdf: Vec<u8>,
    pub xml: Vec<u8>,
    pub pages: usize,
}

/// The PDF/A-3b of `invoice` with its Factur-X XML embedded and declared in the XMP metadata.
/// The same invoice always gives the same bytes.
pub fn invoice_document(invoice: &Invoice) -> Result<InvoiceDocument, RenderError> {
    let xml = cii_xml(invoice);
    let pages = page_layout::lay_out(invoice);
    let title = match invoice.draft.kind {
        DocumentKind::Invoice => format!("Facture {}", invoice.number),
        DocumentKind::CreditNote { .. } => format!("Avoir {}", invoice.number),
    };
    let info = render::DocumentInfo {
        title,
        author: &invoice.draft.seller.legal_name,
        date: invoice.draft.issued_on,
        id: &invoice.number,
    };
    let pdf = render::render_pdf(&pages, &info, xml.clone())?;
    // Factur-X has one XMP document type for invoices and credit notes alike.
    let pdf = facturx_xmp::declare_facturx(&pdf, "INVOICE")?;
    Ok(InvoiceDocument {
        pdf,
        xml,
        pages: pages.len(),
    })
}

/// The file name a document is stored and attached under: `F-2026-000001.pdf`.
pub fn file_name(invoice: &Invoice) -> String {
    format!("{}.pdf", invoice.number)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
