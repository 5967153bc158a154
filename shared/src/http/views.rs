//! The JSON shapes of an order: the full back-office view and the shopper's view, which shows
//! the shipping address only as initials, postcode, city and country.

use serde::Serialize;

use crate::app::payment_view::PaymentView;
use crate::domain::{Address, Billing, Currency, Customer, Order, Payment};

#[derive(Debug, Serialize)]
pub struct OrderView {
    pub reference: String,
    pub status: &'static str,
    pub currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    pub lines: Vec<LineView>,
    pub shipping: ShippingView,
    pub totals: TotalsView,
    /// The promo code applied at checkout (its discount is in `totals`); absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<DiscountView>,
    /// Derived from the payments (`order_position`).
    pub amounts: AmountsView,
    pub amount_due: String,
    pub event_date: Option<String>,
    pub expires_at: Option<String>,
    pub created_at: String,
    /// Payment attempts, oldest first.
    pub payments: Vec<PaymentView>,
}

#[derive(Debug, Serialize)]
pub struct DiscountView {
    pub code: String,
    pub label: String,
    /// What it takes off the total, VAT included (positive).
    pub amount: String,
    /// The total before it.
    pub gross_before: String,
}

#[derive(Debug, Serialize)]
pub struct AmountsView {
    pub authorised: String,
    pub captured: String,
    pub refunded: String,
    pub settled: String,
    pub disputed: String,
}

#[derive(Debug, Serialize)]
pub struct LineView {
    pub sku: String,
    pub description: String,
    pub quantity: u32,
    pub unit_price: String,
    pub tax_rate: String,
    pub total: String,
    /// `voucher` for gift vouchers sold; absent for goods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ShippingView {
    pub method: String,
    pub amount: String,
    pub tax_rate: String,
    pub address: AddressView,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum AddressView {
    Full(Address),
    Redacted {
        name: String,
        postcode: String,
        city: String,
        country: String,
    },
}

#[derive(Debug, Serialize)]
pub struct TotalsView {
    pub net: String,
    pub tax: String,
    pub gross: String,
}

/// Billing details on file as the shopper's pages may show them: no more than the redacted
/// shipping address already shows (initials, postcode, city, country), since whoever knows the
/// reference and postcode can read it.
#[derive(Debug, Serialize, PartialEq)]
pub struct BillingSummary {
    pub name: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
}

impl BillingSummary {
    pub fn new(billing: &Billing) -> Self {
        Self {
            name: initials(&billing.name),
            postcode: billing.address.postcode.clone(),
            city: billing.address.city.clone(),
            country: billing.address.country.clone(),
        }
    }
}

/// "Jeanne Martin" → "J. M."
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(4)
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn rate(r: rust_decimal::Decimal) -> String {
    r.normalize().to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Shopper,
    BackOffice,
}

impl OrderView {
    pub fn new(order: &Order, payments: &[Payment], audience: Audience) -> Self {
        let c: Currency = order.currency;
        let totals = order.totals();
        let address = &order.shipping.address;
        let address = match audience {
            Audience::BackOffice => AddressView::Full(address.clone()),
            Audience::Shopper => AddressView::Redacted {
                name: initials(&address.name),
                postcode: address.postcode.clone(),
                city: address.city.clone(),
                country: address.country.clone(),
            },
        };
        Self {
            reference: order.reference.to_string(),
            status: order.status.as_str(),
            currency: c.code(),
            customer: (audience == Audience::BackOffice).then(|| order.customer.clone()),
            lines: order
                .lines
                .iter()
                .map(|l| LineView {
                    sku: l.sku.clone(),
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: c.format(l.unit_price),
                    tax_rate: rate(l.tax_rate),
                    total: c.format(l.total()),
                    kind: l.is_voucher().then_some("voucher"),
                })
                .collect(),
            shipping: ShippingView {
                method: order.shipping.method.clone(),
                amount: c.format(order.shipping.amount),
                tax_rate: rate(order.shipping.tax_rate),
                address,
            },
            totals: TotalsView {
                net: c.format(totals.net),
                tax: c.format(totals.tax),
                gross: c.format(totals.gross),
            },
            discount: order.discount.as_ref().map(|d| DiscountView {
                code: d.code.clone(),
                label: d.label.clone(),
                amount: c.format(order.discount_amount()),
                gross_before: c.format(totals.gross + order.discount_amount()),
            }),
            amounts: AmountsView {
                authorised: c.format(order.amounts.authorised),
                captured: c.format(order.amounts.captured),
                refunded: c.format(order.amounts.refunded),
                settled: c.format(order.amounts.settled),
                disputed: c.format(order.amounts.disputed),
            },
            amount_due: c.format(order.amount_due()),
            event_date: order.event_date.map(|d| d.to_string()),
            expires_at: order.expires_at.map(rfc3339),
            created_at: rfc3339(order.created_at),
            payments: payments.iter().map(PaymentView::new).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopper_sees_initials_and_no_street() {
        let order = crate::domain::order::tests::sample_order("ORD-10042");
        let view = serde_json::to_value(OrderView::new(&order, &[], Audience::Shopper)).unwrap();
        assert_eq!(
            view["shipping"]["address"],
            serde_json::json!({"name": "J. M.", "postcode": "83000", "city": "Toulon", "country": "FR"})
        );
        assert!(view.get("customer").is_none());
        assert_eq!(view["totals"]["gross"], "2922.00");
        assert_eq!(view["lines"][0]["total"], "2400.00");
        assert_eq!(view["lines"][0]["tax_rate"], "20");
        let full = serde_json::to_value(OrderView::new(&order, &[], Audience::BackOffice)).unwrap();
        assert_eq!(full["shipping"]["address"]["line1"], "9 rue d'Antrechaus");
        assert_eq!(full["customer"]["email"], "buyer@example.fr");
    }

    #[test]
    fn billing_summary_shows_no_street_email_phone_or_company() {
        let billing = Billing {
            company: Some("Atelier Martin".into()),
            name: "Jeanne Marie Martin".into(),
            email: "compta@example.fr".into(),
            phone: Some("+33 6 12 34 56 78".into()),
            address: crate::domain::BillingAddress {
                line1: "1 place de la Liberté".into(),
                line2: Some("Bât. B".into()),
                postcode: "83000".into(),
                city: "Toulon".into(),
                country: "FR".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(BillingSummary::new(&billing)).unwrap(),
            serde_json::json!({"name": "J. M. M.", "postcode": "83000", "city": "Toulon", "country": "FR"})
        );
    }
}
