//! Sample documents covering what the notifier issues: a card invoice paid in full, one captured
//! short (what was not shipped deducted per rate), a credit note, a 50-line invoice over several
//! pages, a zero-rated line, a SEPA invoice with an amount due, a SEPA month's summary. The document tests and the
//! independent Factur-X checker run on these.

use rust_decimal::Decimal;
use time::macros::datetime;

use crate::domain::invoice::PaidBy;
use crate::domain::month_invoice::MonthOrder;
use crate::domain::sepa::{DebitLine, DebitMonth, DebitStatus, MonthId};
use crate::domain::{Invoice, InvoiceDraft, OrderLine};
use crate::notification_contract::{billing, seller};

fn line(sku: &str, description: &str, quantity: u32, cents: i64, rate: Decimal) -> OrderLine {
    OrderLine {
        sku: sku.into(),
        description: description.into(),
        quantity,
        unit_price: Decimal::new(cents, 2),
        tax_rate: rate,
        kind: Default::default(),
    }
}

/// November's summary for a customer with 14 SEPA orders (two rates, one billed short, some
/// not delivered by month end), announced for 3 December under a mandate.
fn month_summary() -> InvoiceDraft {
    let now = datetime!(2026-11-20 10:00 UTC);
    let mut month = DebitMonth::new("cus_sample", MonthId::parse("2026-11").expect("month"), now);
    let mut orders = Vec::new();
    for n in 0..14u32 {
        let mut order = crate::contract::order(&format!("ORD-{}", 20100 + n));
        order.lines = vec![
            line(
                "BOOK",
                "Guide des oiseaux de Provence",
                1 + n % 3,
                2890,
                Decimal::new(55, 1),
            ),
            line(
                "CABLE",
                "Câble USB-C 2 m",
                1,
                1249 + i64::from(n) * 10,
                Decimal::from(20),
            ),
        ];
        order.created_at = now - time::Duration::days(i64::from(14 - n));
        let gross = order.totals().gross;
        let billed = if n == 3 {
            gross - Decimal::new(1249, 2)
        } else {
            gross
        };
        month.add_line(
            &format!("pay_{n}"),
            DebitLine {
                order_reference: order.reference.clone(),
                amount: billed,
                at: now,
            },
        );
        orders.push(MonthOrder {
            order,
            billing: billing(),
            delivered_on: (n % 4 != 0).then_some(time::macros::date!(2026 - 11 - 21)),
        });
    }
    month.status = DebitStatus::Notified;
    month.collection_on = Some(time::macros::date!(2026 - 12 - 03));
    month.mandate_reference = Some("ENCAISSE-7Q2XK9".into());
    month.creditor_id = Some("FR12ZZZ123456".into());
    InvoiceDraft::month_summary(&month, &orders, &seller()).expect("summary")
}

/// `(name, document)` pairs.
pub fn samples() -> Vec<(&'static str, Invoice)> {
    let paid_at = datetime!(2026-03-14 15:30 UTC);
    let twenty = Decimal::from(20);
    let reduced = Decimal::new(55, 1);

    let mut full = InvoiceDraft::from_order(
        &crate::contract::order("ORD-10042"),
        Decimal::MAX,
        &billing(),
        "pay_full",
        paid_at,
        &seller(),
    )
    .expect("draft");
    full.paid_by = Some(PaidBy::Card);
    full.delivered_on = Some(full.issued_on);
    let full = full.numbered(1);

    let mut two_rates = crate::contract::order("ORD-10043");
    two_rates.lines = vec![
        line("BOOK-1", "Guide des oiseaux de Provence", 2, 2890, reduced),
        line("LAMP-2", "Lampe d'atelier orientable", 1, 8990, twenty),
        line("CABLE", "Câble USB-C 2 m", 3, 1249, twenty),
    ];
    let gross = two_rates.totals().gross;
    let mut partial = InvoiceDraft::from_order(
        &two_rates,
        gross - Decimal::new(4499, 2),
        &billing(),
        "pay_partial",
        paid_at,
        &seller(),
    )
    .expect("draft");
    partial.paid_by = Some(PaidBy::Card);
    partial.delivered_on = Some(partial.issued_on);
    let partial = partial.numbered(2);

    let credit_note = InvoiceDraft::credit_note(
        &full,
        &full.draft.order_reference,
        Decimal::new(120000, 2),
        "re_1",
        datetime!(2026-03-20 09:00 UTC),
    )
    .expect("credit note")
    .numbered(1);

    let mut long = crate::contract::order("ORD-10044");
    long.lines = (1..=50)
        .map(|i| {
            let rate = match i % 4 {
                0 => twenty,
                1 => reduced,
                2 => Decimal::from(10),
                _ => Decimal::new(21, 1),
            };
            let description = if i % 7 == 0 {
                format!("Article {i} : coffret de dégustation avec livret illustré, étui en bois gravé et cartes de notes, édition numérotée")
            } else {
                format!("Article {i}")
            };
            line(&format!("SKU-{i}"), &description, (i % 5) + 1, 199 + i64::from(i) * 37, rate)
        })
        .collect();
    let mut fifty = InvoiceDraft::from_order(
        &long,
        Decimal::MAX,
        &billing(),
        "pay_long",
        paid_at,
        &seller(),
    )
    .expect("draft");
    fifty.paid_by = Some(PaidBy::Card);
    let fifty = fifty.numbered(3);

    let mut zero = crate::contract::order("ORD-10045");
    zero.lines = vec![
        line(
            "EXPORT",
            "Pièce détachée (exportation)",
            1,
            4000,
            Decimal::ZERO,
        ),
        line("MANUAL", "Notice imprimée", 1, 500, reduced),
    ];
    zero.shipping.amount = Decimal::ZERO;
    let mut zero_rated = InvoiceDraft::from_order(
        &zero,
        Decimal::MAX,
        &billing(),
        "pay_zero",
        paid_at,
        &seller(),
    )
    .expect("draft");
    zero_rated.paid_by = Some(PaidBy::Card);
    let zero_rated = zero_rated.numbered(4);

    let mut sepa = InvoiceDraft::from_order(
        &crate::contract::order("ORD-10046"),
        Decimal::MAX,
        &billing(),
        "pay_sepa",
        paid_at,
        &seller(),
    )
    .expect("draft");
    sepa.paid_by = Some(PaidBy::SepaDebit);
    sepa.amount_due = sepa.gross;
    let sepa = sepa.numbered(5);

    let summary = month_summary().numbered(6);

    // Ten percent off with a promo code on two VAT rates: one allowance per rate.
    let mut discounted = two_rates.clone();
    let off = crate::domain::promo::PromoOff::Percent {
        percent: Decimal::TEN,
    };
    discounted.discount = Some(crate::domain::promo::AppliedDiscount {
        code: "BIENVENUE10".into(),
        label: "Nouveaux venus".into(),
        off,
        reductions: crate::domain::promo::discount_bands(
            &discounted.bands_before_discount(),
            off,
            discounted.currency,
        ),
        reserved_for: None,
    });
    let mut promo = InvoiceDraft::from_order(
        &discounted,
        Decimal::MAX,
        &billing(),
        "pay_promo",
        paid_at,
        &seller(),
    )
    .expect("draft");
    promo.paid_by = Some(PaidBy::Card);
    promo.delivered_on = Some(promo.issued_on);
    let promo = promo.numbered(7);

    vec![
        ("month-summary", summary),
        ("full-card", full),
        ("partial-capture", partial),
        ("credit-note", credit_note),
        ("fifty-lines", fifty),
        ("zero-rated", zero_rated),
        ("sepa-due", sepa),
        ("promo-discount", promo),
    ]
}
