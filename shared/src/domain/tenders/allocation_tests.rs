use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn offer(id: &str, usable: &str) -> VoucherOffer {
    VoucherOffer {
        voucher: id.into(),
        usable: d(usable),
    }
}

#[test]
fn vouchers_then_credit_then_the_remainder() {
    let split = allocate(
        d("120.00"),
        &[offer("a", "50.00"), offer("b", "30.00")],
        d("25.00"),
        None,
    )
    .unwrap();
    let amounts: Vec<Decimal> = split.parts.iter().map(|p| p.amount).collect();
    assert_eq!(amounts, [d("50.00"), d("30.00"), d("25.00")]);
    assert_eq!(split.parts[2].tender, Tender::CreditBalance);
    assert_eq!(split.remainder, d("15.00"));
}

#[test]
fn a_voucher_the_order_no_longer_needs_is_left_whole() {
    let split = allocate(
        d("40.00"),
        &[offer("a", "50.00"), offer("b", "30.00")],
        d("10.00"),
        None,
    )
    .unwrap();
    assert_eq!(
        split.parts,
        [TenderPart {
            tender: Tender::Voucher("a".into()),
            amount: d("40.00")
        }]
    );
    assert_eq!(split.remainder, Decimal::ZERO);
}

#[test]
fn the_rest_on_account_within_its_room_or_refused() {
    let split = allocate(d("100"), &[offer("a", "20")], Decimal::ZERO, Some(d("80"))).unwrap();
    assert_eq!(split.parts[1].tender, Tender::OnAccount);
    assert_eq!(split.parts[1].amount, d("80"));
    assert_eq!(split.remainder, Decimal::ZERO);
    assert_eq!(
        allocate(
            d("100"),
            &[offer("a", "20")],
            Decimal::ZERO,
            Some(d("79.99"))
        ),
        Err(AllocationError::OnAccountExceeded {
            available: d("79.99"),
            needed: d("80")
        })
    );
}

fn cents() -> impl Strategy<Value = Decimal> {
    (0i64..2_000_000).prop_map(|c| Decimal::new(c, 2))
}

proptest! {
    /// Tenders and remainder always add up to what is due, nothing negative, no tender takes
    /// more than it has, and the remainder is zero whenever the tenders could cover it.
    #[test]
    fn parts_and_remainder_sum_exactly_to_what_is_due(
        due in cents(),
        vouchers in proptest::collection::vec(cents(), 0..5),
        credit in cents(),
        on_account in proptest::option::of(cents()),
    ) {
        let offers: Vec<VoucherOffer> = vouchers
            .iter()
            .enumerate()
            .map(|(i, usable)| VoucherOffer { voucher: format!("v{i}"), usable: *usable })
            .collect();
        let available: Decimal = vouchers.iter().sum::<Decimal>() + credit;
        match allocate(due, &offers, credit, on_account) {
            Ok(split) => {
                let taken: Decimal = split.parts.iter().map(|p| p.amount).sum();
                prop_assert_eq!(taken + split.remainder, due);
                prop_assert!(split.remainder >= Decimal::ZERO);
                prop_assert!(split.parts.iter().all(|p| p.amount > Decimal::ZERO));
                for part in &split.parts {
                    let cap = match &part.tender {
                        Tender::Voucher(id) => offers.iter().find(|o| &o.voucher == id).unwrap().usable,
                        Tender::CreditBalance => credit,
                        Tender::OnAccount => on_account.unwrap(),
                    };
                    prop_assert!(part.amount <= cap);
                }
                if on_account.is_some() || available >= due {
                    prop_assert_eq!(split.remainder, Decimal::ZERO);
                } else {
                    prop_assert_eq!(split.remainder, due - available);
                }
            }
            Err(AllocationError::OnAccountExceeded { available: room, needed }) => {
                prop_assert_eq!(Some(room), on_account);
                prop_assert!(needed > room);
                prop_assert_eq!(needed, due - available);
            }
        }
    }
}
