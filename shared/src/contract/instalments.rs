//! The list of instalments due, as the daily collection run reads it: scheduled instalments
//! only, due on the day or before, soonest first, paged, leaving the list when charged.

use std::sync::Arc;

use time::macros::date;

use super::payment;
use crate::domain::{Payment, PaymentMethod, PaymentStatus};
use crate::ports::{Store, Write};

fn scheduled(reference: &str, id: &str, due_on: time::Date) -> Payment {
    let mut p = payment(reference, id, 0);
    p.method = PaymentMethod::Instalment {
        plan: "pay_plan".into(),
        index: 2,
        count: 3,
        retry: 0,
    };
    p.status = PaymentStatus::Scheduled;
    p.due_on = Some(due_on);
    p
}

pub async fn due_instalments_are_listed_soonest_first_and_paged(store: Arc<dyn Store>) {
    let today = date!(2027 - 03 - 01);
    let late = scheduled("ORD-40", "pay_late", date!(2027 - 02 - 20));
    let due_b = scheduled("ORD-42", "pay_due_b", today);
    let due_a = scheduled("ORD-41", "pay_due_a", today);
    let tomorrow = scheduled("ORD-43", "pay_tomorrow", date!(2027 - 03 - 02));
    let mut paid = scheduled("ORD-44", "pay_paid", date!(2027 - 02 - 01));
    paid.status = PaymentStatus::Captured;
    for p in [&late, &due_b, &due_a, &tomorrow, &paid] {
        store
            .transact(vec![Write::PutPayment {
                payment: p.clone(),
                expected_version: None,
            }])
            .await
            .unwrap();
    }
    let ids = |list: &[Payment]| list.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    let all = store.due_instalments(today, None, 10).await.unwrap();
    assert_eq!(ids(&all), ["pay_late", "pay_due_a", "pay_due_b"]);
    assert_eq!(all[0], late, "listed whole");
    let first = store.due_instalments(today, None, 2).await.unwrap();
    assert_eq!(ids(&first), ["pay_late", "pay_due_a"]);
    let next = store.due_instalments(today, first.last(), 2).await.unwrap();
    assert_eq!(ids(&next), ["pay_due_b"]);
    let rest = store.due_instalments(today, next.last(), 2).await.unwrap();
    assert!(rest.is_empty());

    // Charged: off the list.
    let mut charged = late.clone();
    charged.status = PaymentStatus::Captured;
    store
        .transact(vec![Write::PutPayment {
            payment: charged,
            expected_version: Some(1),
        }])
        .await
        .unwrap();
    let after = store.due_instalments(today, None, 10).await.unwrap();
    assert_eq!(ids(&after), ["pay_due_a", "pay_due_b"]);
}
