//! Invoices issued for paid orders. Numbers are `F-<year>-<6-digit sequence>`: one gap-free
//! sequence per calendar year (Paris date of issue), restarting at 1 each January, as French
//! invoicing rules allow for a chronological, continuous series. The store assigns the number;
//! everything else is built here from the order, exactly (Decimal) and checked.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::customer::{Billing, BillingAddress};
use super::paris_time::paris_date;
use super::payment::{OfflineKind, PaymentMethod};
use super::{Currency, Order, Reference};

/// The seller's legal mentions, printed on every invoice (from configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerIdentity {
    pub legal_name: String,
    /// Street lines (`SELLER_ADDRESS`), without the postcode and city.
    pub address_lines: Vec<String>,
    /// The structured end of the address the e-invoice needs (BT-38, BT-37, BT-40). Invoices
    /// issued before these existed have them empty (country: FR).
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub city: String,
    /// ISO 3166-1 alpha-2.
    #[serde(default = "france")]
    pub country: String,
    pub siren: String,
    pub siret: Option<String>,
    pub vat_number: String,
    /// "RCS Toulon 123 456 789".
    pub rcs: String,
    /// "SAS au capital de 10 000 €".
    pub share_capital: String,
}

fn france() -> String {
    "FR".to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceCustomer {
    pub name: String,
    pub company: Option<String>,
    pub email: String,
    pub address: BillingAddress,
}

impl InvoiceCustomer {
    /// The customer as billed with `billing` (the payment's snapshot).
    pub fn from_billing(billing: &Billing) -> Self {
        Self {
            name: billing.name.clone(),
            company: billing.company.clone(),
            email: billing.email.clone(),
            address: billing.address.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub tax_rate: Decimal,
    pub net: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceShipping {
    pub method: String,
    pub net: Decimal,
    pub tax_rate: Decimal,
}

impl InvoiceShipping {
    /// No shipping of its own (a credit note, a month summary: theirs are lines).
    pub fn none() -> Self {
        Self {
            method: String::new(),
            net: Decimal::ZERO,
            tax_rate: Decimal::ZERO,
        }
    }
}

/// A deduction for what was not shipped (the order closed short at its last parcel), one per
/// VAT rate, so the invoice bills exactly what was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceAdjustment {
    pub tax_rate: Decimal,
    /// Negative.
    pub net: Decimal,
    /// A promo code's discount line ("Nouveaux venus (BIENVENUE10)"); None: not shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTaxBand {
    pub rate: Decimal,
    pub base: Decimal,
    pub tax: Decimal,
}

/// An invoice, or a credit note (UNTDID 1001 type 381) refunding part of one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocumentKind {
    #[default]
    Invoice,
    CreditNote {
        /// The invoice it corrects (an issued invoice never changes).
        invoice: String,
    },
}

/// Everything on an invoice but its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDraft {
    #[serde(with = "iso_date")]
    pub issued_on: Date,
    pub order_reference: Reference,
    pub payment_id: String,
    pub customer: InvoiceCustomer,
    pub lines: Vec<InvoiceLine>,
    pub shipping: InvoiceShipping,
    /// Not shipped, per rate (empty when the whole order was captured).
    #[serde(default)]
    pub adjustments: Vec<InvoiceAdjustment>,
    pub tax_bands: Vec<InvoiceTaxBand>,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
    pub currency: Currency,
    pub seller: SellerIdentity,
    #[serde(default)]
    pub kind: DocumentKind,
    /// How it was paid (BT-81); None on invoices issued before it was recorded.
    #[serde(default)]
    pub paid_by: Option<PaidBy>,
    /// When the goods were handed to the carrier (BT-72), when known.
    #[serde(default, with = "iso_date_option")]
    pub delivered_on: Option<Date>,
    /// What is still to pay (BT-115): zero for an invoice issued once paid.
    #[serde(default)]
    pub amount_due: Decimal,
    /// A month-end summary of several orders (`month_invoice.rs`); None: one order's invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<super::month_invoice::MonthSummary>,
}

/// How an invoice was paid, as the e-invoice states it (UNTDID 4461 codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaidBy {
    Card,
    SepaDebit,
    BankTransfer,
    Cheque,
    Voucher,
    CreditBalance,
    OnAccount,
}

impl PaidBy {
    pub fn of(method: &PaymentMethod) -> Self {
        match method {
            PaymentMethod::Card
            | PaymentMethod::Wallet { .. }
            | PaymentMethod::SavedCard { .. }
            | PaymentMethod::Instalment { .. } => PaidBy::Card,
            PaymentMethod::SepaDebit { .. } => PaidBy::SepaDebit,
            PaymentMethod::Voucher { .. } => PaidBy::Voucher,
            PaymentMethod::CreditBalance => PaidBy::CreditBalance,
            PaymentMethod::OnAccount => PaidBy::OnAccount,
            PaymentMethod::Offline {
                kind: OfflineKind::BankTransfer,
                ..
            } => PaidBy::BankTransfer,
            PaymentMethod::Offline {
                kind: OfflineKind::Cheque,
                ..
            } => PaidBy::Cheque,
        }
    }

    /// UNTDID 4461 payment means code (BT-81).
    pub fn means_code(self) -> &'static str {
        match self {
            PaidBy::Card => "48",
            PaidBy::SepaDebit => "59",
            PaidBy::BankTransfer => "58",
            PaidBy::Cheque => "20",
            // Settled between the parties' own accounts (balance, voucher, account).
            PaidBy::Voucher | PaidBy::CreditBalance | PaidBy::OnAccount => "97",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// `F-2026-000001`.
    pub number: String,
    /// The number's place in its year's sequence.
    pub sequence: u64,
    pub draft: InvoiceDraft,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("invoice totals do not add up: {0}")]
    Inconsistent(&'static str),
}

/// The counter that numbers `year`'s invoices.
pub fn invoice_counter(year: i32) -> String {
    format!("invoice#{year}")
}

pub fn invoice_number(year: i32, sequence: u64) -> String {
    format!("F-{year}-{sequence:06}")
}

/// Credit notes have their own gap-free yearly sequence: `A-<year>-<000001>` ("avoir").
pub fn credit_note_counter(year: i32) -> String {
    format!("credit-note#{year}")
}

pub fn credit_note_number(year: i32, sequence: u64) -> String {
    format!("A-{year}-{sequence:06}")
}

impl InvoiceDraft {
    /// Builds the invoice of a paid order for what was captured (`billed`, VAT included),
    /// dated the Paris day of `paid_at`. Below the order's total, the difference is deducted
    /// per VAT rate in proportion to each rate's share, and each rate's VAT recomputed.
    pub fn from_order(
        order: &Order,
        billed: Decimal,
        billing: &Billing,
        payment_id: &str,
        paid_at: OffsetDateTime,
        seller: &SellerIdentity,
    ) -> Result<Self, InvoiceError> {
        let lines = order
            .lines
            .iter()
            .map(|l| InvoiceLine {
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                tax_rate: l.tax_rate,
                net: l.total(),
            })
            .collect();
        let totals = order.totals();
        // The promo code's discount first, one line per VAT rate it lowered.
        let mut adjustments: Vec<InvoiceAdjustment> = order
            .discount
            .iter()
            .flat_map(|d| {
                d.reductions.iter().map(|r| InvoiceAdjustment {
                    tax_rate: r.rate,
                    net: -r.net,
                    label: Some(format!("{} ({})", d.label, d.code)),
                })
            })
            .collect();
        let (shortfall, tax_bands) = billed_bands(order, billed.min(totals.gross));
        adjustments.extend(shortfall);
        let net = tax_bands.iter().map(|b| b.base).sum();
        let tax = tax_bands.iter().map(|b| b.tax).sum();
        let draft = InvoiceDraft {
            issued_on: paris_date(paid_at),
            order_reference: order.reference.clone(),
            payment_id: payment_id.to_string(),
            customer: InvoiceCustomer::from_billing(billing),
            lines,
            shipping: InvoiceShipping {
                method: order.shipping.method.clone(),
                net: order.shipping.amount,
                tax_rate: order.shipping.tax_rate,
            },
            adjustments,
            tax_bands,
            net,
            tax,
            gross: net + tax,
            currency: order.currency,
            seller: seller.clone(),
            kind: DocumentKind::Invoice,
            paid_by: None,
            delivered_on: None,
            amount_due: Decimal::ZERO,
            summary: None,
        };
        draft.check()?;
        Ok(draft)
    }

    /// The credit note of a refund of `refunded` (VAT included) on `invoice`, dated the Paris
    /// day of `refunded_at`: the amount shared between the invoice's VAT rates in proportion
    /// to their gross, each rate's VAT taken back out. `marker` names the refund (one credit
    /// note per refund event). On a month summary, only `order`'s part can be refunded.
    pub fn credit_note(
        invoice: &Invoice,
        order: &Reference,
        refunded: Decimal,
        marker: &str,
        refunded_at: OffsetDateTime,
    ) -> Result<Self, InvoiceError> {
        let source = &invoice.draft;
        let (source_bands, source_gross) = match &source.summary {
            Some(summary) => {
                let part = summary
                    .orders
                    .iter()
                    .find(|o| &o.reference == order)
                    .ok_or(InvoiceError::Inconsistent(
                        "the order is not on the summary",
                    ))?;
                (&part.tax_bands, part.gross())
            }
            None => (&source.tax_bands, source.gross),
        };
        let grosses: Vec<Decimal> = source_bands.iter().map(|b| b.base + b.tax).collect();
        let refunded = refunded.min(source_gross).max(Decimal::ZERO);
        let shares = share(&grosses, source_gross, refunded, source.currency);
        let mut lines = Vec::new();
        let mut tax_bands = Vec::new();
        for (band, gross) in source_bands.iter().zip(shares) {
            if gross.is_zero() {
                continue;
            }
            let tax = source
                .currency
                .round(gross * band.rate / (Decimal::ONE_HUNDRED + band.rate));
            let base = gross - tax;
            lines.push(InvoiceLine {
                description: format!("{} {order}", invoice.number),
                quantity: 1,
                unit_price: base,
                tax_rate: band.rate,
                net: base,
            });
            tax_bands.push(InvoiceTaxBand {
                rate: band.rate,
                base,
                tax,
            });
        }
        let net = tax_bands.iter().map(|b| b.base).sum();
        let tax = tax_bands.iter().map(|b| b.tax).sum();
        let draft = InvoiceDraft {
            issued_on: paris_date(refunded_at),
            order_reference: order.clone(),
            payment_id: marker.to_string(),
            customer: source.customer.clone(),
            lines,
            shipping: InvoiceShipping::none(),
            adjustments: Vec::new(),
            tax_bands,
            net,
            tax,
            gross: net + tax,
            currency: source.currency,
            seller: source.seller.clone(),
            kind: DocumentKind::CreditNote {
                invoice: invoice.number.clone(),
            },
            paid_by: source.paid_by,
            delivered_on: None,
            amount_due: Decimal::ZERO,
            summary: None,
        };
        draft.check()?;
        Ok(draft)
    }

    /// The counter that numbers this document: invoices and credit notes each have theirs.
    pub fn counter(&self) -> String {
        match self.kind {
            DocumentKind::Invoice => invoice_counter(self.year()),
            DocumentKind::CreditNote { .. } => credit_note_counter(self.year()),
        }
    }

    /// Lines + shipping = net, bands = net and tax, net + tax = gross.
    pub fn check(&self) -> Result<(), InvoiceError> {
        let lines: Decimal = self.lines.iter().map(|l| l.net).sum::<Decimal>()
            + self.adjustments.iter().map(|a| a.net).sum::<Decimal>();
        if lines + self.shipping.net != self.net {
            return Err(InvoiceError::Inconsistent(
                "lines and shipping differ from net",
            ));
        }
        if self.tax_bands.iter().map(|b| b.base).sum::<Decimal>() != self.net {
            return Err(InvoiceError::Inconsistent("tax bases differ from net"));
        }
        if self.tax_bands.iter().map(|b| b.tax).sum::<Decimal>() != self.tax {
            return Err(InvoiceError::Inconsistent("tax bands differ from tax"));
        }
        if self.net + self.tax != self.gross {
            return Err(InvoiceError::Inconsistent("net + tax differs from gross"));
        }
        Ok(())
    }

    /// The year whose sequence numbers this invoice.
    pub fn year(&self) -> i32 {
        self.issued_on.year()
    }

    pub fn numbered(self, sequence: u64) -> Invoice {
        let number = match self.kind {
            DocumentKind::Invoice => invoice_number(self.year(), sequence),
            DocumentKind::CreditNote { .. } => credit_note_number(self.year(), sequence),
        };
        Invoice {
            number,
            sequence,
            draft: self,
        }
    }
}

/// `part` of `total` shared between `grosses` (which add up to `total`) in proportion, rounded
/// to the currency; the rounding rest goes to the rates that can absorb it, largest first, so
/// the shares sum exactly to `part` and none exceeds its gross.
pub(crate) fn share(
    grosses: &[Decimal],
    total: Decimal,
    part: Decimal,
    currency: Currency,
) -> Vec<Decimal> {
    if total <= Decimal::ZERO {
        return vec![Decimal::ZERO; grosses.len()];
    }
    let mut shares: Vec<Decimal> = grosses
        .iter()
        .map(|g| currency.round(part * g / total).min(*g))
        .collect();
    let mut rest = part - shares.iter().copied().sum::<Decimal>();
    let mut by_size: Vec<usize> = (0..grosses.len()).collect();
    by_size.sort_by(|a, b| grosses[*b].cmp(&grosses[*a]));
    for i in by_size {
        let moved = if rest > Decimal::ZERO {
            (grosses[i] - shares[i]).min(rest)
        } else {
            (-shares[i]).max(rest)
        };
        shares[i] += moved;
        rest -= moved;
    }
    shares
}

/// The order's VAT bands reduced to `billed` (gross): the shortfall is shared between rates in
/// proportion to their gross (the last rate takes the rounding rest, so shares sum exactly),
/// and each rate's VAT is taken back out of its new gross.
fn billed_bands(order: &Order, billed: Decimal) -> (Vec<InvoiceAdjustment>, Vec<InvoiceTaxBand>) {
    let bands = order.tax_bands();
    let gross: Decimal = bands.values().map(|b| b.base + b.tax).sum();
    let full = || {
        bands
            .iter()
            .map(|(rate, band)| InvoiceTaxBand {
                rate: *rate,
                base: band.base,
                tax: band.tax,
            })
            .collect()
    };
    let shortfall = gross - billed;
    if shortfall <= Decimal::ZERO || gross <= Decimal::ZERO {
        return (Vec::new(), full());
    }
    let grosses: Vec<Decimal> = bands.values().map(|b| b.base + b.tax).collect();
    let shares = share(&grosses, gross, shortfall, order.currency);
    let currency = order.currency;
    let mut adjustments = Vec::new();
    let mut out = Vec::new();
    for ((rate, band), share) in bands.iter().zip(shares) {
        let new_gross = band.base + band.tax - share;
        let tax = currency.round(new_gross * rate / (Decimal::ONE_HUNDRED + rate));
        let base = new_gross - tax;
        if base != band.base {
            adjustments.push(InvoiceAdjustment {
                tax_rate: *rate,
                net: base - band.base,
                label: None,
            });
        }
        out.push(InvoiceTaxBand {
            rate: *rate,
            base,
            tax,
        });
    }
    (adjustments, out)
}

pub(crate) use super::serde_dates::{iso_date, iso_date_option};

#[cfg(test)]
#[path = "invoice_tests.rs"]
pub(crate) mod tests;
