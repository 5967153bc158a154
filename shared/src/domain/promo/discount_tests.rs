use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::domain::order::tests::sample_order;
use crate::domain::tenders::{allocate, VoucherOffer};
use crate::domain::OrderLine;

const RATES: [&str; 4] = ["0", "5.5", "10", "20"];

fn order_with(lines: &[(u32, i64, usize)], shipping: i64) -> crate::domain::Order {
    let mut order = sample_order("ORD-10042");
    order.lines = lines
        .iter()
        .enumerate()
        .map(|(i, (quantity, cents, rate))| OrderLine {
            sku: format!("SKU-{i}"),
            description: "x".into(),
            quantity: *quantity,
            unit_price: Decimal::new(*cents, 2),
            tax_rate: RATES[*rate].parse().unwrap(),
            kind: Default::default(),
        })
        .collect();
    order.shipping.amount = Decimal::new(shipping, 2);
    order
}

fn applied(order: &crate::domain::Order, off: PromoOff) -> AppliedDiscount {
    AppliedDiscount {
        code: "X".into(),
        label: "x".into(),
        off,
        reductions: discount_bands(&order.tax_bands(), off, order.currency),
        reserved_for: None,
    }
}

#[test]
fn ten_percent_off_two_rates_recomputes_each_rates_vat() {
    // 2 × 49.90 at 20 %, 30.00 at 5.5 %, 9.90 shipping at 20 %.
    let mut order = order_with(&[(2, 4990, 3), (1, 3000, 1)], 990);
    let before = order.totals();
    assert_eq!(before.gross, Decimal::new(16329, 2));
    order.discount = Some(applied(
        &order,
        PromoOff::Percent {
            percent: Decimal::TEN,
        },
    ));
    let bands = order.tax_bands();
    // 109.70 → 98.73 at 20 % (VAT 19.75); 30.00 → 27.00 at 5.5 % (VAT 1.49).
    assert_eq!(bands[&Decimal::from(20)].base, Decimal::new(9873, 2));
    assert_eq!(bands[&Decimal::from(20)].tax, Decimal::new(1975, 2));
    assert_eq!(
        bands[&"5.5".parse::<Decimal>().unwrap()].tax,
        Decimal::new(149, 2)
    );
    assert_eq!(order.totals().gross, Decimal::new(14697, 2));
    assert_eq!(order.discount_amount(), Decimal::new(1632, 2));
}

fn lines() -> impl Strategy<Value = Vec<(u32, i64, usize)>> {
    prop::collection::vec((1u32..5, 1i64..50_000, 0usize..4), 1..5)
}

fn off() -> impl Strategy<Value = PromoOff> {
    prop_oneof![
        (1i64..=10_000).prop_map(|p| PromoOff::Percent {
            percent: Decimal::new(p, 2)
        }),
        (1i64..300_000).prop_map(|a| PromoOff::Amount {
            amount: Decimal::new(a, 2)
        }),
    ]
}

proptest! {
    /// Whatever the order and the discount: no base below zero, the discount within the
    /// total, an amount off within a cent per VAT rate of what was asked, and the tenders
    /// and the rest taking exactly what the discount leaves, so tenders + discount + rest is
    /// exactly the order's total before the discount.
    #[test]
    fn tenders_and_discount_sum_exactly_to_the_total(
        lines in lines(),
        shipping in 0i64..5_000,
        off in off(),
        vouchers in prop::collection::vec(0i64..100_000, 0..3),
        credit in 0i64..50_000,
    ) {
        let mut order = order_with(&lines, shipping);
        let before = order.totals().gross;
        let bands_before = order.tax_bands();
        order.discount = Some(applied(&order, off));
        for (rate, band) in order.tax_bands() {
            prop_assert!(band.base >= Decimal::ZERO && band.tax >= Decimal::ZERO, "{rate}: {band:?}");
        }
        let discount = order.discount_amount();
        let after = order.totals().gross;
        prop_assert!(discount >= Decimal::ZERO && discount <= before);
        prop_assert_eq!(after + discount, before);
        if let PromoOff::Amount { amount } = off {
            let asked = amount.min(before);
            let slack = Decimal::new(bands_before.len() as i64, 2);
            prop_assert!((discount - asked).abs() <= slack, "{discount} for {asked}");
        }
        let offers: Vec<VoucherOffer> = vouchers
            .iter()
            .enumerate()
            .map(|(i, c)| VoucherOffer { voucher: format!("v{i}"), usable: Decimal::new(*c, 2) })
            .collect();
        let split = allocate(after, &offers, Decimal::new(credit, 2), None).unwrap();
        let tenders: Decimal = split.parts.iter().map(|p| p.amount).sum();
        prop_assert!(split.remainder >= Decimal::ZERO);
        prop_assert_eq!(tenders + split.remainder + discount, before);
    }
}
