//! What an approved e-invoicing platform's connector needs of an issued invoice or credit note
//! (the `invoice_issued` event): which document, kept where (its Factur-X PDF, with the CII XML
//! inside, and the PDF's SHA-256), its type and date, both parties' identifiers, the totals and
//! VAT per rate, how and whether it is paid, and whether the buyer is a business (an e-invoice
//! to transmit) or a consumer (a sale to e-report). Built from the issued document alone.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use super::invoice::{DocumentKind, Invoice};
use super::sepa::MonthId;
use super::{Currency, Reference};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDocument {
    pub number: String,
    /// UNTDID 1001: 380 invoice, 381 credit note.
    pub type_code: String,
    /// The invoice a credit note corrects.
    pub corrects: Option<String>,
    #[serde(with = "super::invoice::iso_date")]
    pub issued_on: Date,
    pub currency: Currency,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
    pub amount_due: Decimal,
    pub tax_bands: Vec<IssuedTaxBand>,
    /// UNTDID 4461 (BT-81), when the document says how it is paid.
    pub payment_means: Option<String>,
    /// The orders it bills (several for a month summary, whose month is given).
    pub orders: Vec<Reference>,
    pub month: Option<MonthId>,
    pub seller: IssuedParty,
    pub buyer: IssuedParty,
    /// The kept PDF: its key in the documents bucket, size and SHA-256 (hex).
    pub pdf_key: String,
    pub pdf_size: usize,
    pub pdf_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedTaxBand {
    pub rate: Decimal,
    /// EN 16931 VAT category: S (standard) or Z (zero rated).
    pub category: String,
    pub base: Decimal,
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedParty {
    pub name: String,
    /// A business buyer (billed to a company) gets an e-invoice; a consumer sale is e-reported.
    pub business: bool,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    pub country: String,
}

impl IssuedDocument {
    pub fn of(invoice: &Invoice, pdf_key: &str, pdf: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        let draft = &invoice.draft;
        let (type_code, corrects) = match &draft.kind {
            DocumentKind::Invoice => ("380", None),
            DocumentKind::CreditNote { invoice } => ("381", Some(invoice.clone())),
        };
        let seller = &draft.seller;
        let customer = &draft.customer;
        IssuedDocument {
            number: invoice.number.clone(),
            type_code: type_code.into(),
            corrects,
            issued_on: draft.issued_on,
            currency: draft.currency,
            net: draft.net,
            tax: draft.tax,
            gross: draft.gross,
            amount_due: draft.amount_due,
            tax_bands: draft
                .tax_bands
                .iter()
                .map(|b| IssuedTaxBand {
                    rate: b.rate,
                    category: if b.rate > Decimal::ZERO { "S" } else { "Z" }.into(),
                    base: b.base,
                    tax: b.tax,
                })
                .collect(),
            payment_means: draft.paid_by.map(|p| p.means_code().to_string()),
            orders: draft.orders().into_iter().cloned().collect(),
            month: draft.summary.as_ref().map(|s| s.month),
            seller: IssuedParty {
                name: seller.legal_name.clone(),
                business: true,
                siren: Some(seller.siren.clone()),
                siret: seller.siret.clone(),
                vat_number: Some(seller.vat_number.clone()),
                country: seller.country.clone(),
            },
            buyer: IssuedParty {
                name: customer
                    .company
                    .clone()
                    .unwrap_or_else(|| customer.name.clone()),
                business: customer.company.is_some(),
                siren: None,
                siret: None,
                vat_number: None,
                country: customer.address.country.clone(),
            },
            pdf_key: pdf_key.to_string(),
            pdf_size: pdf.len(),
            pdf_sha256: hex::encode(Sha256::digest(pdf)),
        }
    }
}
