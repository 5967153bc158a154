use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::{date, datetime};

use super::*;
use crate::domain::invoice::DocumentKind;
use crate::domain::sepa::DebitLine;
use crate::domain::OrderLine;
use crate::notification_contract::{billing, seller};

fn order(reference: &str, lines: &[(u32, i64, i64)], shipping_cents: i64) -> Order {
    let mut order = crate::contract::order(reference);
    order.lines = lines
        .iter()
        .enumerate()
        .map(|(i, (quantity, cents, rate_tenths))| OrderLine {
            sku: format!("SKU-{i}"),
            description: format!("Article {i}"),
            quantity: *quantity,
            unit_price: Decimal::new(*cents, 2),
            tax_rate: Decimal::new(*rate_tenths, 1),
            kind: Default::default(),
        })
        .collect();
    order.shipping.amount = Decimal::new(shipping_cents, 2);
    order.created_at = datetime!(2026-11-03 10:00 UTC);
    order
}

fn month_of(orders: &[(&Order, Decimal)]) -> DebitMonth {
    let now = datetime!(2026-11-20 10:00 UTC);
    let mut month = DebitMonth::new("cus_1", MonthId::parse("2026-11").unwrap(), now);
    for (i, (order, amount)) in orders.iter().enumerate() {
        month.add_line(
            &format!("pay_{i}"),
            DebitLine {
                order_reference: order.reference.clone(),
                amount: *amount,
                at: now,
            },
        );
    }
    month.status = DebitStatus::Notified;
    month.collection_on = Some(date!(2026 - 12 - 03));
    month.mandate_reference = Some("UMR-1".into());
    month.creditor_id = Some("FR12ZZZ123456".into());
    month
}

fn entry(order: &Order, delivered_on: Option<Date>) -> MonthOrder {
    MonthOrder {
        order: order.clone(),
        billing: billing(),
        delivered_on,
    }
}

#[test]
fn a_month_is_billed_once_its_orders_each_as_their_own_invoice_would() {
    let books = order("ORD-20001", &[(2, 2890, 55), (1, 8990, 200)], 490);
    let lamp = order("ORD-20002", &[(1, 4500, 200)], 0);
    let month = month_of(&[(&lamp, lamp.totals().gross), (&books, books.totals().gross)]);
    let delivered = Some(date!(2026 - 11 - 12));
    let draft = InvoiceDraft::month_summary(
        &month,
        &[entry(&lamp, None), entry(&books, delivered)],
        &seller(),
    )
    .expect("summary");
    assert_eq!(draft.issued_on, date!(2026 - 11 - 30));
    assert_eq!(draft.gross, month.total);
    assert_eq!(draft.amount_due, month.total);
    assert_eq!(draft.paid_by, Some(PaidBy::SepaDebit));
    assert_eq!(draft.kind, DocumentKind::Invoice);
    let summary = draft.summary.as_ref().expect("summary");
    assert_eq!(summary.collection_on, Some(date!(2026 - 12 - 03)));
    assert_eq!(summary.mandate_reference.as_deref(), Some("UMR-1"));
    let references: Vec<&str> = summary
        .orders
        .iter()
        .map(|o| o.reference.as_str())
        .collect();
    assert_eq!(references, ["ORD-20001", "ORD-20002"]);
    assert_eq!(summary.orders[0].delivered_on, delivered);
    assert_eq!(summary.orders[1].delivered_on, None);
    assert_eq!(summary.orders[0].gross(), books.totals().gross);
    assert_eq!(draft.orders_text(), "ORD-20001, ORD-20002");
    // Every line names its order; the books' shipping is a line of its own.
    let descriptions: Vec<&str> = draft.lines.iter().map(|l| l.description.as_str()).collect();
    assert_eq!(
        descriptions,
        [
            "ORD-20001 – Article 0",
            "ORD-20001 – Article 1",
            "ORD-20001 – Livraison carrier",
            "ORD-20002 – Article 0",
        ]
    );
    // VAT per rate is the orders' own, added up.
    let twenty = draft
        .tax_bands
        .iter()
        .find(|b| b.rate == Decimal::from(20))
        .unwrap();
    let own = |o: &Order| o.tax_bands()[&Decimal::from(20)].tax;
    assert_eq!(twenty.tax, own(&books) + own(&lamp));
}

#[test]
fn a_month_without_a_mandate_is_due_without_a_debit() {
    let lamp = order("ORD-20002", &[(1, 4500, 200)], 0);
    let mut month = month_of(&[(&lamp, lamp.totals().gross)]);
    month.status = DebitStatus::Closed;
    let draft = InvoiceDraft::month_summary(&month, &[entry(&lamp, None)], &seller()).unwrap();
    assert_eq!(draft.paid_by, None);
    let summary = draft.summary.unwrap();
    assert_eq!(summary.collection_on, None);
    assert_eq!(summary.mandate_reference, None);
}

#[test]
fn orders_that_are_not_the_months_or_do_not_add_up_are_refused() {
    let lamp = order("ORD-20002", &[(1, 4500, 200)], 0);
    let books = order("ORD-20001", &[(2, 2890, 55)], 490);
    let month = month_of(&[(&lamp, lamp.totals().gross)]);
    let wrong = InvoiceDraft::month_summary(&month, &[entry(&books, None)], &seller());
    assert!(wrong.is_err());
    let missing = InvoiceDraft::month_summary(&month, &[], &seller());
    assert!(missing.is_err());
    let more = month_of(&[(&lamp, lamp.totals().gross + Decimal::ONE)]);
    let over = InvoiceDraft::month_summary(&more, &[entry(&lamp, None)], &seller());
    assert!(over.is_err(), "a month billing more than its order");
}

#[test]
fn a_refund_on_a_summarised_order_takes_back_that_orders_vat_only() {
    let books = order("ORD-20001", &[(2, 2890, 55)], 0);
    let lamp = order("ORD-20002", &[(1, 4500, 200)], 0);
    let month = month_of(&[(&books, books.totals().gross), (&lamp, lamp.totals().gross)]);
    let summary = InvoiceDraft::month_summary(
        &month,
        &[entry(&books, None), entry(&lamp, None)],
        &seller(),
    )
    .unwrap()
    .numbered(7);
    let note = InvoiceDraft::credit_note(
        &summary,
        &lamp.reference,
        Decimal::new(1000, 2),
        "refund-1",
        datetime!(2026-12-10 10:00 UTC),
    )
    .unwrap();
    assert_eq!(note.order_reference, lamp.reference);
    assert_eq!(note.gross, Decimal::new(1000, 2));
    assert_eq!(note.tax_bands.len(), 1);
    assert_eq!(note.tax_bands[0].rate, Decimal::from(20));
    // No more than the order's part, whatever is asked.
    let capped = InvoiceDraft::credit_note(
        &summary,
        &lamp.reference,
        Decimal::from(1000),
        "refund-2",
        datetime!(2026-12-10 10:00 UTC),
    )
    .unwrap();
    assert_eq!(capped.gross, lamp.totals().gross);
    let stranger = crate::domain::Reference::parse("ORD-99999").unwrap();
    assert!(InvoiceDraft::credit_note(
        &summary,
        &stranger,
        Decimal::ONE,
        "refund-3",
        datetime!(2026-12-10 10:00 UTC)
    )
    .is_err());
}

proptest! {
    /// Whatever the month's orders (rates, quantities, shipping, some billed short), the
    /// summary adds up (`check`), bills exactly the month's total, and its orders' parts add
    /// up to it too.
    #[test]
    fn a_summary_always_bills_exactly_the_month(
        orders in proptest::collection::vec(
            (
                proptest::collection::vec((1u32..5, 1i64..500_000, prop_oneof![Just(0i64), Just(21), Just(55), Just(100), Just(200)]), 1..6),
                0i64..2_000,
                0i64..100,
            ),
            1..12,
        )
    ) {
        let built: Vec<(Order, Decimal)> = orders
            .iter()
            .enumerate()
            .map(|(i, (lines, shipping, short_percent))| {
                let order = order(&format!("ORD-{}", 30000 + i), lines, *shipping);
                let gross = order.totals().gross;
                let billed = (gross - gross * Decimal::new(*short_percent, 2) / Decimal::from(4)).round_dp(2);
                (order, billed)
            })
            .collect();
        let pairs: Vec<(&Order, Decimal)> = built.iter().map(|(o, b)| (o, *b)).collect();
        let month = month_of(&pairs);
        let entries: Vec<MonthOrder> = built.iter().map(|(o, _)| entry(o, None)).collect();
        let draft = InvoiceDraft::month_summary(&month, &entries, &seller()).expect("summary");
        prop_assert!(draft.check().is_ok());
        prop_assert_eq!(draft.gross, month.total);
        let parts: Decimal = draft.summary.as_ref().unwrap().orders.iter().map(|o| o.gross()).sum();
        prop_assert_eq!(parts, month.total);
    }
}
