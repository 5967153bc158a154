//! An order created from a seller's quote: lines, shipping, tax rates and exact totals.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::order_state::{order_position, OrderAmounts, OrderClosure, OrderPosition};
use super::{Currency, OrderStatus, Payment, Postcode, Reference};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    pub locale: Locale,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    /// As the seller typed it; compared through [`Postcode`]'s normal form.
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

impl Address {
    pub fn postcode_matches(&self, candidate: &Postcode) -> bool {
        Postcode::parse(&self.postcode).is_ok_and(|p| &p == candidate)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: String,
    pub description: String,
    pub quantity: u32,
    pub unit_price: Decimal,
    /// Percent, e.g. 20 or 5.5.
    pub tax_rate: Decimal,
    /// Absent (goods) in orders stored before gift vouchers were sold.
    #[serde(default, skip_serializing_if = "LineKind::is_goods")]
    pub kind: LineKind,
}

impl OrderLine {
    /// Exact: unit prices carry at most the currency's decimals, quantities are whole.
    pub fn total(&self) -> Decimal {
        self.unit_price * Decimal::from(self.quantity)
    }

    pub fn is_voucher(&self) -> bool {
        self.kind == LineKind::Voucher
    }
}

/// What a line sells: goods (shipped), or gift vouchers of its unit price each, issued and
/// emailed with their codes once the order is fully captured. A multi-purpose voucher is
/// outside the scope of VAT when sold (its VAT is due when it is spent): its rate is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    #[default]
    Goods,
    Voucher,
}

impl LineKind {
    pub fn is_goods(&self) -> bool {
        *self == LineKind::Goods
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipping {
    pub method: String,
    pub amount: Decimal,
    pub tax_rate: Decimal,
    pub address: Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

/// Net base and VAT for one tax rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxBand {
    pub base: Decimal,
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceCue {
    pub payment_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub reference: Reference,
    pub status: OrderStatus,
    pub currency: Currency,
    pub customer: Customer,
    pub lines: Vec<OrderLine>,
    pub shipping: Shipping,
    /// Derived from the payments (`order_position`), stored so the order reads alone.
    #[serde(default)]
    pub amounts: OrderAmounts,
    /// Cancelled by the seller or deleted by the shopper, whatever the payments say.
    #[serde(default)]
    pub closure: Option<OrderClosure>,
    /// When the invoice was asked for, and under which payment: refunds after it get credit
    /// notes, refunds before it are netted on it.
    #[serde(default)]
    pub invoiced: Option<InvoiceCue>,
    /// Payments ever started on the order: readers skip the payments query while it is 0.
    #[serde(default)]
    pub payment_attempts: u32,
    /// Voucher codes given for this order that were wrong, expired or used up: past
    /// `MAX_CODE_FAILURES`, codes are no longer tried (guessing does not pay).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code_failures: u32,
    /// A promo code applied at checkout: its reductions lower the VAT bases (`tax_bands`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<crate::domain::promo::AppliedDiscount>,
    #[serde(default, with = "iso_date_option")]
    pub event_date: Option<Date>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Order {
    /// Gift vouchers only and no shipping: nothing waits for a carrier, so a card is taken
    /// at once.
    pub fn ships_nothing(&self) -> bool {
        self.lines.iter().all(OrderLine::is_voucher) && self.shipping.amount.is_zero()
    }

    /// The gift vouchers the order sells: (value, how many), line by line.
    pub fn vouchers_sold(&self) -> impl Iterator<Item = (Decimal, u32)> + '_ {
        self.lines
            .iter()
            .filter(|l| l.is_voucher())
            .map(|l| (l.unit_price, l.quantity))
    }

    /// VAT per rate, computed on each rate's net base and rounded once per rate (half away from
    /// zero), as French invoices require; shipping is taxed at its own rate.
    pub fn tax_bands(&self) -> BTreeMap<Decimal, TaxBand> {
        let mut bases = self.undiscounted_bases();
        if let Some(discount) = &self.discount {
            for (rate, base) in bases.iter_mut() {
                *base = (*base - discount.reduction(*rate)).max(Decimal::ZERO);
            }
        }
        self.banded(bases)
    }

    /// The VAT bands before any promo code: what a discount is computed on.
    pub fn bands_before_discount(&self) -> BTreeMap<Decimal, TaxBand> {
        self.banded(self.undiscounted_bases())
    }

    /// What the promo code took off the total, VAT included (zero without one).
    pub fn discount_amount(&self) -> Decimal {
        if self.discount.is_none() {
            return Decimal::ZERO;
        }
        let gross = |bands: BTreeMap<Decimal, TaxBand>| -> Decimal {
            bands.values().map(|b| b.base + b.tax).sum()
        };
        gross(self.bands_before_discount()) - gross(self.tax_bands())
    }

    fn undiscounted_bases(&self) -> BTreeMap<Decimal, Decimal> {
        let mut bases: BTreeMap<Decimal, Decimal> = BTreeMap::new();
        for line in &self.lines {
            *bases.entry(line.tax_rate.normalize()).or_default() += line.total();
        }
        *bases.entry(self.shipping.tax_rate.normalize()).or_default() += self.shipping.amount;
        bases
    }

    fn banded(&self, bases: BTreeMap<Decimal, Decimal>) -> BTreeMap<Decimal, TaxBand> {
        bases
            .into_iter()
            .map(|(rate, base)| {
                let tax = self.currency.round(base * rate / Decimal::ONE_HUNDRED);
                (rate, TaxBand { base, tax })
            })
            .collect()
    }

    pub fn totals(&self) -> Totals {
        let bands = self.tax_bands();
        let net: Decimal = bands.values().map(|b| b.base).sum();
        let tax: Decimal = bands.values().map(|b| b.tax).sum();
        Totals {
            net,
            tax,
            gross: net + tax,
        }
    }

    pub fn amount_due(&self) -> Decimal {
        (self.totals().gross - self.amounts.settled).max(Decimal::ZERO)
    }

    /// Where the order stands with these payments (all of them).
    pub fn position(&self, payments: &[Payment]) -> OrderPosition {
        order_position(self.totals().gross, self.closure, payments)
    }

    /// The order with its status and amounts derived from these payments.
    pub fn rederived(&self, payments: &[Payment]) -> Order {
        let position = self.position(payments);
        Order {
            status: position.status,
            amounts: position.amounts,
            ..self.clone()
        }
    }
}

mod iso_date_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::{macros::format_description, Date};

    const FORMAT: &[time::format_description::FormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => {
                let text = d.format(FORMAT).map_err(serde::ser::Error::custom)?;
                s.serialize_some(&text)
            }
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| Date::parse(&text, FORMAT).map_err(serde::de::Error::custom))
            .transpose()
    }

    pub fn parse(text: &str) -> Result<Date, time::error::Parse> {
        Date::parse(text, FORMAT)
    }
}

pub use iso_date_option::parse as parse_iso_date;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub fn sample_order(reference: &str) -> Order {
        Order {
            reference: Reference::parse(reference).unwrap(),
            status: OrderStatus::AwaitingPayment,
            currency: Currency::EUR,
            customer: Customer {
                email: "buyer@example.fr".into(),
                name: "Jeanne Martin".into(),
                company: Some("Atelier Martin".into()),
                locale: Locale::Fr,
            },
            lines: vec![OrderLine {
                sku: "FUS-40".into(),
                description: "Fusion laser 40 W".into(),
                quantity: 2,
                unit_price: Decimal::new(120000, 2),
                tax_rate: Decimal::from(20),
                kind: Default::default(),
            }],
            shipping: Shipping {
                method: "carrier".into(),
                amount: Decimal::new(3500, 2),
                tax_rate: Decimal::from(20),
                address: Address {
                    name: "Jeanne Martin".into(),
                    line1: "9 rue d'Antrechaus".into(),
                    line2: None,
                    postcode: "83000".into(),
                    city: "Toulon".into(),
                    country: "FR".into(),
                },
            },
            amounts: Default::default(),
            closure: None,
            invoiced: None,
            payment_attempts: 0,
            code_failures: 0,
            discount: None,
            event_date: None,
            expires_at: None,
            created_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        }
    }

    #[test]
    fn totals_match_the_contract_example() {
        let t = sample_order("ORD-10042").totals();
        assert_eq!(t.net, Decimal::new(243500, 2));
        assert_eq!(t.tax, Decimal::new(48700, 2));
        assert_eq!(t.gross, Decimal::new(292200, 2));
    }

    #[test]
    fn tax_is_rounded_once_per_rate() {
        let mut order = sample_order("ORD-1");
        order.lines = vec![
            OrderLine {
                sku: "A".into(),
                description: "a".into(),
                quantity: 3,
                unit_price: Decimal::new(333, 2),
                tax_rate: Decimal::new(55, 1),
                kind: Default::default(),
            },
            OrderLine {
                sku: "B".into(),
                description: "b".into(),
                quantity: 1,
                unit_price: Decimal::new(1, 2),
                tax_rate: Decimal::new(550, 2),
                kind: Default::default(),
            },
        ];
        order.shipping.amount = Decimal::ZERO;
        let bands = order.tax_bands();
        // 5.5 and 5.50 are one band: 10.00 × 5.5 % = 0.55
        let band = bands[&Decimal::new(55, 1)];
        assert_eq!(band.base, Decimal::new(1000, 2));
        assert_eq!(band.tax, Decimal::new(55, 2));
    }

    fn arb_line() -> impl Strategy<Value = OrderLine> {
        (
            1u32..1000,
            0i64..10_000_000,
            prop::sample::select(vec![0i64, 21, 55, 100, 200]),
        )
            .prop_map(|(quantity, cents, rate_tenths)| OrderLine {
                sku: "SKU".into(),
                description: "x".into(),
                quantity,
                unit_price: Decimal::new(cents, 2),
                tax_rate: Decimal::new(rate_tenths, 1),
                kind: Default::default(),
            })
    }

    proptest! {
        #[test]
        fn totals_never_lose_or_invent_a_cent(lines in prop::collection::vec(arb_line(), 1..30),
                                              shipping_cents in 0i64..100_000) {
            let mut order = sample_order("ORD-1");
            order.lines = lines;
            order.shipping.amount = Decimal::new(shipping_cents, 2);
            let t = order.totals();
            let lines_sum: Decimal = order.lines.iter().map(OrderLine::total).sum();
            prop_assert_eq!(t.net, lines_sum + order.shipping.amount);
            prop_assert_eq!(t.gross, t.net + t.tax);
            for value in [t.net, t.tax, t.gross] {
                prop_assert!(value.normalize().scale() <= 2);
            }
            // Each band's VAT is within half a cent of the exact VAT.
            for (rate, band) in order.tax_bands() {
                let exact = band.base * rate / Decimal::ONE_HUNDRED;
                prop_assert!((band.tax - exact).abs() <= Decimal::new(5, 3));
            }
        }
    }
}
