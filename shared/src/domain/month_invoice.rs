//! The month-end summary invoice of a customer who pays once a month (SEPA direct debit): one
//! invoice per customer and month, dated the month's last day, listing each order of the month
//! (with its delivery), its lines prefixed by the order's reference. Each order is billed
//! exactly as its own invoice would bill it (`InvoiceDraft::from_order`), so the summary's VAT
//! per rate is the sum of the orders' and its total is what the month's one debit takes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use super::invoice::{
    InvoiceAdjustment, InvoiceCustomer, InvoiceDraft, InvoiceError, InvoiceLine, InvoiceShipping,
    InvoiceTaxBand, PaidBy, SellerIdentity,
};
use super::sepa::{DebitMonth, DebitStatus, MonthId};
use super::{Billing, Order, Reference};

/// What makes an invoice a month summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSummary {
    pub customer_id: String,
    pub month: MonthId,
    /// By reference.
    pub orders: Vec<SummarisedOrder>,
    /// The announced collection date of the month's debit (None: no mandate to debit, the
    /// customer pays it another way).
    #[serde(default, with = "super::invoice::iso_date_option")]
    pub collection_on: Option<Date>,
    /// The SEPA mandate reference (BT-89) and creditor identifier (BT-90) of that debit.
    pub mandate_reference: Option<String>,
    pub creditor_id: Option<String>,
}

/// One order on a month summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummarisedOrder {
    pub reference: Reference,
    /// The month's payments of this order (its SEPA purchases).
    pub payment_ids: Vec<String>,
    #[serde(with = "super::invoice::iso_date")]
    pub ordered_on: Date,
    /// The day its (last) parcel was handed to the carrier; None: not shipped by month end.
    #[serde(default, with = "super::invoice::iso_date_option")]
    pub delivered_on: Option<Date>,
    /// Its part of the summary's VAT bands (a credit note on this order takes back these).
    pub tax_bands: Vec<InvoiceTaxBand>,
}

impl SummarisedOrder {
    /// What it adds to the summary, VAT included.
    pub fn gross(&self) -> Decimal {
        self.tax_bands.iter().map(|b| b.base + b.tax).sum()
    }
}

/// An order of the month as the notifier read it.
#[derive(Debug, Clone)]
pub struct MonthOrder {
    pub order: Order,
    /// The billing details its payment was made with.
    pub billing: Billing,
    pub delivered_on: Option<Date>,
}

/// The last day of `month`.
pub fn last_day(month: MonthId) -> Date {
    month.next().first_day() - Duration::days(1)
}

impl InvoiceDraft {
    /// The summary invoice of `month` for the orders its lines belong to (`orders`, in any
    /// order; each must be one of the month's). The customer is billed with the details of the
    /// latest order's payment. The total must be the month's: anything else would invoice
    /// another amount than the debit takes.
    pub fn month_summary(
        month: &DebitMonth,
        orders: &[MonthOrder],
        seller: &SellerIdentity,
    ) -> Result<Self, InvoiceError> {
        let mut billed: BTreeMap<&str, (Decimal, Vec<String>)> = BTreeMap::new();
        for (payment, line) in &month.lines {
            let entry = billed.entry(line.order_reference.as_str()).or_default();
            entry.0 += line.amount;
            entry.1.push(payment.clone());
        }
        let mut sorted: Vec<&MonthOrder> = orders.iter().collect();
        sorted.sort_by(|a, b| a.order.reference.as_str().cmp(b.order.reference.as_str()));
        sorted.dedup_by(|a, b| a.order.reference == b.order.reference);
        if sorted.len() != billed.len() {
            return Err(InvoiceError::Inconsistent(
                "the orders differ from the month's",
            ));
        }
        let latest = sorted
            .iter()
            .max_by_key(|o| o.order.created_at)
            .ok_or(InvoiceError::Inconsistent("a month without orders"))?;
        let issued_on = last_day(month.month);
        let mut lines = Vec::new();
        let mut adjustments: BTreeMap<Decimal, Decimal> = BTreeMap::new();
        let mut bands: BTreeMap<Decimal, (Decimal, Decimal)> = BTreeMap::new();
        let mut summarised = Vec::new();
        for entry in &sorted {
            let order = &entry.order;
            let (amount, payment_ids) = billed
                .get(order.reference.as_str())
                .ok_or(InvoiceError::Inconsistent("an order not on the month"))?;
            let at = OffsetDateTime::new_utc(issued_on, time::Time::MIDNIGHT);
            let own = InvoiceDraft::from_order(
                order,
                *amount,
                &entry.billing,
                &payment_ids[0],
                at,
                seller,
            )?;
            summarised.push(order_part(entry, payment_ids, &own));
            lines.extend(own_lines(&own));
            for a in &own.adjustments {
                *adjustments.entry(a.tax_rate.normalize()).or_default() += a.net;
            }
            for b in &own.tax_bands {
                let band = bands.entry(b.rate.normalize()).or_default();
                band.0 += b.base;
                band.1 += b.tax;
            }
        }
        let tax_bands: Vec<InvoiceTaxBand> = bands
            .into_iter()
            .map(|(rate, (base, tax))| InvoiceTaxBand { rate, base, tax })
            .collect();
        let net: Decimal = tax_bands.iter().map(|b| b.base).sum();
        let tax: Decimal = tax_bands.iter().map(|b| b.tax).sum();
        if net + tax != month.total {
            return Err(InvoiceError::Inconsistent(
                "the orders' total differs from the month's",
            ));
        }
        let announced = month.status != DebitStatus::Closed && month.collection_on.is_some();
        let billing = &latest.billing;
        let draft = InvoiceDraft {
            issued_on,
            order_reference: sorted[0].order.reference.clone(),
            payment_id: summary_marker(&month.customer_id, month.month),
            customer: InvoiceCustomer::from_billing(billing),
            lines,
            shipping: InvoiceShipping::none(),
            adjustments: adjustments
                .into_iter()
                .filter(|(_, net)| !net.is_zero())
                .map(|(tax_rate, net)| InvoiceAdjustment {
                    tax_rate,
                    net,
                    label: None,
                })
                .collect(),
            tax_bands,
            net,
            tax,
            gross: net + tax,
            currency: latest.order.currency,
            seller: seller.clone(),
            kind: super::invoice::DocumentKind::Invoice,
            paid_by: announced.then_some(PaidBy::SepaDebit),
            delivered_on: None,
            // Issued before the debit is collected.
            amount_due: net + tax,
            summary: Some(MonthSummary {
                customer_id: month.customer_id.clone(),
                month: month.month,
                orders: summarised,
                collection_on: month.collection_on.filter(|_| announced),
                mandate_reference: month.mandate_reference.clone().filter(|_| announced),
                creditor_id: month.creditor_id.clone().filter(|_| announced),
            }),
        };
        draft.check()?;
        Ok(draft)
    }

    /// The orders this document bills: the summary's, else its own order.
    pub fn orders(&self) -> Vec<&Reference> {
        match &self.summary {
            Some(summary) => summary.orders.iter().map(|o| &o.reference).collect(),
            None => vec![&self.order_reference],
        }
    }

    /// The orders' payments a summary bills (each then has this invoice, as a payment has its
    /// own): empty for one order's invoice, which is issued under its own payment.
    pub fn summarised_payments(&self) -> Vec<(&Reference, &str)> {
        self.summary
            .iter()
            .flat_map(|s| &s.orders)
            .flat_map(|o| {
                o.payment_ids
                    .iter()
                    .map(move |p| (&o.reference, p.as_str()))
            })
            .collect()
    }

    /// "ORD-10042" or "ORD-10042, ORD-10043, …" for texts.
    pub fn orders_text(&self) -> String {
        self.orders()
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The key a month's summary is issued under (as a payment's invoice is under its payment).
pub fn summary_marker(customer_id: &str, month: MonthId) -> String {
    format!("summary#{customer_id}#{month}")
}

fn order_part(entry: &MonthOrder, payment_ids: &[String], own: &InvoiceDraft) -> SummarisedOrder {
    SummarisedOrder {
        reference: entry.order.reference.clone(),
        payment_ids: payment_ids.to_vec(),
        ordered_on: super::paris_time::paris_date(entry.order.created_at),
        delivered_on: entry.delivered_on,
        tax_bands: own.tax_bands.clone(),
    }
}

/// An order's lines and shipping as summary lines, each naming the order.
fn own_lines(own: &InvoiceDraft) -> Vec<InvoiceLine> {
    let reference = &own.order_reference;
    let mut lines: Vec<InvoiceLine> = own
        .lines
        .iter()
        .map(|l| InvoiceLine {
            description: format!("{reference} – {}", l.description),
            ..l.clone()
        })
        .collect();
    if !own.shipping.net.is_zero() {
        lines.push(InvoiceLine {
            description: format!("{reference} – Livraison {}", own.shipping.method)
                .trim_end()
                .to_string(),
            quantity: 1,
            unit_price: own.shipping.net,
            tax_rate: own.shipping.tax_rate,
            net: own.shipping.net,
        });
    }
    lines
}

#[cfg(test)]
#[path = "month_invoice_tests.rs"]
mod tests;
