//! Invoices and credit notes: numbering, dates, exact sums, short and refunded amounts.

use super::*;
use crate::domain::order::tests::sample_order;
use crate::domain::OrderLine;
use proptest::prelude::*;
use time::macros::{date, datetime};

// One sample seller and billing for every invoice test (the notification contract's).
pub use crate::notification_contract::{billing, seller};

#[test]
fn numbers_are_year_and_six_digits() {
    assert_eq!(invoice_number(2026, 1), "F-2026-000001");
    assert_eq!(invoice_number(2027, 123456), "F-2027-123456");
    assert_eq!(invoice_counter(2026), "invoice#2026");
}

#[test]
fn built_from_the_order_and_dated_in_paris() {
    let order = sample_order("ORD-10042");
    let paid_at = datetime!(2026-12-31 23:30 UTC);
    let draft = InvoiceDraft::from_order(
        &order,
        Decimal::MAX,
        &billing(),
        "pay_1",
        paid_at,
        &seller(),
    )
    .expect("consistent");
    assert_eq!(draft.issued_on, date!(2027 - 01 - 01));
    assert_eq!(draft.gross, Decimal::new(292200, 2));
    assert_eq!(draft.tax_bands.len(), 1);
    let invoice = draft.numbered(7);
    assert_eq!(invoice.number, "F-2027-000007");
}

#[test]
fn round_trips_through_json_with_iso_dates() {
    let draft = InvoiceDraft::from_order(
        &sample_order("ORD-1"),
        Decimal::MAX,
        &billing(),
        "pay_1",
        datetime!(2026-05-01 10:00 UTC),
        &seller(),
    )
    .unwrap();
    let json = serde_json::to_string(&draft.clone().numbered(1)).unwrap();
    assert!(json.contains("\"issued_on\":\"2026-05-01\""));
    let back: Invoice = serde_json::from_str(&json).unwrap();
    assert_eq!(back.draft, draft);
}

#[test]
fn tampered_totals_are_caught() {
    let mut draft = InvoiceDraft::from_order(
        &sample_order("ORD-1"),
        Decimal::MAX,
        &billing(),
        "pay_1",
        datetime!(2026-05-01 10:00 UTC),
        &seller(),
    )
    .unwrap();
    draft.tax += Decimal::new(1, 2);
    assert!(draft.check().is_err());
}

fn arb_line() -> impl Strategy<Value = OrderLine> {
    (
        1u32..500,
        0i64..5_000_000,
        prop::sample::select(vec![0i64, 21, 55, 100, 200]),
    )
        .prop_map(|(quantity, cents, rate)| OrderLine {
            sku: "S".into(),
            description: "d".into(),
            quantity,
            unit_price: Decimal::new(cents, 2),
            tax_rate: Decimal::new(rate, 1),
            kind: Default::default(),
        })
}

proptest! {
    #[test]
    fn invoice_sums_are_exact(lines in prop::collection::vec(arb_line(), 1..20),
                              shipping in 0i64..50_000,
                              shipping_rate in prop::sample::select(vec![0i64, 55, 200])) {
        let mut order = sample_order("ORD-1");
        order.lines = lines;
        order.shipping.amount = Decimal::new(shipping, 2);
        order.shipping.tax_rate = Decimal::new(shipping_rate, 1);
        let draft = InvoiceDraft::from_order(&order, Decimal::MAX, &billing(), "pay_1",
            datetime!(2026-05-01 10:00 UTC), &seller()).unwrap();
        let lines: Decimal = draft.lines.iter().map(|l| l.net).sum();
        prop_assert_eq!(lines + draft.shipping.net, draft.net);
        prop_assert_eq!(draft.tax_bands.iter().map(|b| b.tax).sum::<Decimal>(), draft.tax);
        prop_assert_eq!(draft.tax_bands.iter().map(|b| b.base).sum::<Decimal>(), draft.net);
        prop_assert_eq!(draft.net + draft.tax, draft.gross);
        prop_assert_eq!(draft.gross, order.totals().gross);
    }

    /// Short fulfilment: the invoice bills exactly what was captured, its bands and
    /// adjustments add up, and no rate goes below zero.
    #[test]
    fn a_short_invoice_bills_exactly_what_was_captured(
        lines in prop::collection::vec(arb_line(), 1..10),
        shipping in 0i64..50_000,
        shipping_rate in prop::sample::select(vec![0i64, 55, 200]),
        permille in 0i64..=1000,
    ) {
        let mut order = sample_order("ORD-1");
        order.lines = lines;
        order.shipping.amount = Decimal::new(shipping, 2);
        order.shipping.tax_rate = Decimal::new(shipping_rate, 1);
        let gross = order.totals().gross;
        let billed = order.currency.round(gross * Decimal::new(permille, 3));
        let draft = InvoiceDraft::from_order(&order, billed, &billing(), "pay_1",
            datetime!(2026-05-01 10:00 UTC), &seller()).unwrap();
        prop_assert_eq!(draft.gross, billed);
        prop_assert!(draft.check().is_ok());
        for band in &draft.tax_bands {
            prop_assert!(band.base >= Decimal::ZERO && band.tax >= Decimal::ZERO, "{:?}", band);
        }
        prop_assert_eq!(draft.adjustments.is_empty(), billed == gross);
    }
}

proptest! {
    /// A credit note refunds exactly the amount asked, shared between the invoice's rates,
    /// and never more than a rate was invoiced for.
    #[test]
    fn a_credit_note_refunds_exactly_what_was_refunded(
        lines in prop::collection::vec(arb_line(), 1..10),
        permille in 1i64..=1000,
    ) {
        let mut order = sample_order("ORD-1");
        order.lines = lines;
        let invoice = InvoiceDraft::from_order(&order, Decimal::MAX, &billing(), "pay_1",
            datetime!(2026-05-01 10:00 UTC), &seller()).unwrap().numbered(4);
        let refunded = order.currency.round(invoice.draft.gross * Decimal::new(permille, 3));
        let note = InvoiceDraft::credit_note(&invoice, &invoice.draft.order_reference, refunded, "refund-1",
            datetime!(2026-05-03 10:00 UTC)).unwrap();
        prop_assert_eq!(note.gross, refunded);
        prop_assert!(note.check().is_ok());
        for band in &note.tax_bands {
            let invoiced = invoice.draft.tax_bands.iter().find(|b| b.rate == band.rate).unwrap();
            prop_assert!(band.base + band.tax <= invoiced.base + invoiced.tax);
        }
        let numbered = note.numbered(1);
        prop_assert_eq!(numbered.number, "A-2026-000001");
    }
}

#[test]
fn a_short_invoice_shows_what_was_not_shipped_per_rate() {
    let order = sample_order("ORD-1");
    // 2 × 1,200.00 + 35.00 shipping at 20 %: 2,922.00; one laser shipped and shipping.
    let billed = Decimal::new(148200, 2);
    let draft = InvoiceDraft::from_order(
        &order,
        billed,
        &billing(),
        "pay_1",
        datetime!(2026-05-01 10:00 UTC),
        &seller(),
    )
    .unwrap();
    assert_eq!(draft.gross, billed);
    assert_eq!(draft.net, Decimal::new(123500, 2));
    assert_eq!(draft.tax, Decimal::new(24700, 2));
    assert_eq!(draft.adjustments.len(), 1);
    assert_eq!(draft.adjustments[0].net, Decimal::new(-120000, 2));
}
