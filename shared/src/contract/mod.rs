//! The store contract: one suite, run against every adapter (memory in this crate's tests,
//! DynamoDB on moto server in the integration package). `store_contract_tests!` expands to one
//! test per check, given an async expression that yields a fresh, empty store.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use crate::domain::order::{Address, Customer, Locale, OrderLine, Shipping};
use crate::domain::{
    customer_id, Billing, BillingAddress, Currency, CustomerProfile, Order, OrderStatus, Payment,
    PaymentMethod, PaymentStatus, PspLink, Reference,
};
use crate::ports::{
    Claim, IdempotencyCompletion, IdempotencyKey, Store, StoreError, StoredResponse, Write,
};

mod account;
mod code_guesses;
mod idempotency;
mod instalments;
mod lookup;
mod outbox;
mod provider_index;
pub mod psp;
mod sepa;
mod tenders;
pub use account::*;
pub use code_guesses::*;
pub use idempotency::*;
pub use instalments::*;
pub use lookup::*;
pub use outbox::*;
pub use provider_index::*;
pub use sepa::*;
pub use tenders::*;

pub fn order(reference: &str) -> Order {
    Order {
        reference: Reference::parse(reference).expect("valid reference"),
        status: OrderStatus::AwaitingPayment,
        currency: Currency::EUR,
        customer: Customer {
            email: "buyer@example.fr".into(),
            name: "Jeanne Martin".into(),
            company: None,
            locale: Locale::Fr,
        },
        lines: vec![OrderLine {
            sku: "FUS-40".into(),
            description: "Fusion laser 40 W — « édition » 🚀".into(),
            quantity: 3,
            unit_price: Decimal::new(123450, 2),
            tax_rate: Decimal::new(55, 1),
            kind: Default::default(),
        }],
        shipping: Shipping {
            method: "carrier".into(),
            amount: Decimal::new(510, 2),
            tax_rate: Decimal::from(20),
            address: Address {
                name: "Jeanne Martin".into(),
                line1: "9 rue d'Antrechaus".into(),
                line2: None,
                postcode: "83 000".into(),
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
        expires_at: Some(OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time")),
        created_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

pub async fn insert_then_get_round_trips_exactly(store: Arc<dyn Store>) {
    let o = order("ORD-1");
    store.insert_order(&o).await.unwrap();
    let got = store.get_order(&o.reference).await.unwrap().unwrap();
    assert_eq!(got.version, 1);
    assert_eq!(got.value, o);
    // "5.10" must come back as a value equal to 5.10, whatever the store does to the text.
    assert_eq!(got.value.shipping.amount, Decimal::new(51, 1));
    assert_eq!(got.value.totals(), o.totals());
    assert!(store
        .get_order(&Reference::parse("ORD-404").unwrap())
        .await
        .unwrap()
        .is_none());
}

pub async fn inserting_a_taken_reference_fails(store: Arc<dyn Store>) {
    let o = order("ORD-2");
    store.insert_order(&o).await.unwrap();
    let mut other = o.clone();
    other.customer.name = "Someone Else".into();
    assert!(matches!(
        store.insert_order(&other).await,
        Err(StoreError::AlreadyExists(_))
    ));
    let kept = store.get_order(&o.reference).await.unwrap().unwrap();
    assert_eq!(kept.value.customer.name, "Jeanne Martin");
}

pub async fn updates_are_conditional_on_version(store: Arc<dyn Store>) {
    let mut o = order("ORD-3");
    store.insert_order(&o).await.unwrap();
    o.status = OrderStatus::PaymentPending;
    assert_eq!(store.update_order(&o, 1).await.unwrap(), 2);
    let mut stale = o.clone();
    stale.status = OrderStatus::Cancelled;
    assert!(matches!(
        store.update_order(&stale, 1).await,
        Err(StoreError::VersionConflict(_))
    ));
    let got = store.get_order(&o.reference).await.unwrap().unwrap();
    assert_eq!(
        (got.version, got.value.status),
        (2, OrderStatus::PaymentPending)
    );
    let ghost = order("ORD-GHOST");
    assert!(matches!(
        store.update_order(&ghost, 1).await,
        Err(StoreError::VersionConflict(_))
    ));
}

pub async fn concurrent_updates_have_one_winner(store: Arc<dyn Store>) {
    let o = order("ORD-4");
    store.insert_order(&o).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..10u32 {
        let store = store.clone();
        let mut candidate = o.clone();
        candidate.lines[0].quantity = 100 + i;
        tasks.push(tokio::spawn(async move {
            store.update_order(&candidate, 1).await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(2) => winners += 1,
            Err(StoreError::VersionConflict(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(
        store
            .get_order(&o.reference)
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
}

pub async fn transactions_are_all_or_nothing(store: Arc<dyn Store>) {
    let taken = order("ORD-5");
    store.insert_order(&taken).await.unwrap();
    assert_eq!(store.read_counter("seq").await.unwrap(), 0);
    // The counter would advance, but the insert fails: neither happens.
    let result = store
        .transact(vec![
            Write::AdvanceCounter {
                name: "seq".into(),
                from: 0,
                to: 1,
            },
            Write::InsertOrder(taken.clone()),
        ])
        .await;
    assert_eq!(
        result,
        Err(StoreError::AlreadyExists(crate::ports::ItemRef::new(
            crate::ports::ItemKind::Order,
            "ORD-5"
        )))
    );
    assert_eq!(store.read_counter("seq").await.unwrap(), 0);

    let fresh = order("ORD-6");
    store
        .transact(vec![
            Write::AdvanceCounter {
                name: "seq".into(),
                from: 0,
                to: 1,
            },
            Write::InsertOrder(fresh.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(store.read_counter("seq").await.unwrap(), 1);
    assert!(store.get_order(&fresh.reference).await.unwrap().is_some());

    // A stale counter names the counter.
    let result = store
        .transact(vec![
            Write::AdvanceCounter {
                name: "seq".into(),
                from: 0,
                to: 1,
            },
            Write::InsertOrder(order("ORD-7")),
        ])
        .await;
    assert_eq!(
        result,
        Err(StoreError::VersionConflict(crate::ports::ItemRef::new(
            crate::ports::ItemKind::Counter,
            "seq"
        )))
    );
    assert!(store
        .get_order(&Reference::parse("ORD-7").unwrap())
        .await
        .unwrap()
        .is_none());

    // Updates inside a transaction are version-checked too.
    let mut moved = fresh.clone();
    moved.status = OrderStatus::PaymentPending;
    store
        .transact(vec![Write::UpdateOrder {
            order: moved.clone(),
            expected_version: 1,
        }])
        .await
        .unwrap();
    let result = store
        .transact(vec![Write::UpdateOrder {
            order: moved,
            expected_version: 1,
        }])
        .await;
    assert_eq!(
        result,
        Err(StoreError::VersionConflict(crate::ports::ItemRef::new(
            crate::ports::ItemKind::Order,
            "ORD-6"
        )))
    );
}

pub fn payment(reference: &str, id: &str, created_offset_s: i64) -> Payment {
    let created = now() + Duration::seconds(created_offset_s);
    Payment {
        id: id.into(),
        order_reference: Reference::parse(reference).expect("valid reference"),
        method: PaymentMethod::Card,
        status: PaymentStatus::Created,
        amount: Decimal::new(123456, 2),
        currency: Currency::EUR,
        psp: Some(PspLink {
            provider: "stripe".into(),
            payment: None,
            hosted_session: Some("cs_test_1".into()),
            multicapture: None,
            card_form: None,
        }),
        captured_amount: Decimal::ZERO,
        refunded_amount: Decimal::new(10, 1),
        shipped_amount: Decimal::ZERO,
        shipped_at: None,
        released: None,
        failure_code: None,
        billing: None,
        created_at: created,
        updated_at: created,
        expires_at: created + Duration::minutes(30),
        authorised_at: None,
        dispute: None,
        review: None,
        capture: Default::default(),
        due_on: None,
        reserved_for: None,
        credited_amount: Decimal::ZERO,
    }
}

pub async fn pending_reviews_are_listed_oldest_first_until_decided(store: Arc<dyn Store>) {
    use crate::domain::fraud_review::{Review, ReviewReason, ReviewStatus};
    let reviewed = |reference: &str, id: &str, opened_s: i64, status| {
        let mut p = payment(reference, id, 0);
        p.status = PaymentStatus::Authorised;
        p.review = Some(Review {
            reasons: vec![ReviewReason::RiskElevated],
            status,
            opened_at: now() + Duration::seconds(opened_s),
            decided_at: None,
        });
        p
    };
    let later = reviewed("ORD-30", "pay_later", 10, ReviewStatus::Pending);
    let first = reviewed("ORD-31", "pay_first", 0, ReviewStatus::Pending);
    let approved = reviewed("ORD-32", "pay_approved", 5, ReviewStatus::Approved);
    let unreviewed = payment("ORD-33", "pay_plain", 0);
    for p in [&later, &first, &approved, &unreviewed] {
        store
            .transact(vec![Write::PutPayment {
                payment: p.clone(),
                expected_version: None,
            }])
            .await
            .unwrap();
    }
    let ids = |list: Vec<Payment>| list.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.pending_reviews(10).await.unwrap()),
        ["pay_first", "pay_later"]
    );
    assert_eq!(ids(store.pending_reviews(1).await.unwrap()), ["pay_first"]);
    let read = store.pending_reviews(10).await.unwrap();
    assert_eq!(read[0], first, "listed whole");
    let mut decided = first.clone();
    if let Some(review) = decided.review.as_mut() {
        review.status = ReviewStatus::Rejected;
    }
    store
        .transact(vec![Write::PutPayment {
            payment: decided,
            expected_version: Some(1),
        }])
        .await
        .unwrap();
    assert_eq!(ids(store.pending_reviews(10).await.unwrap()), ["pay_later"]);
}

pub async fn payments_are_read_with_their_order_and_versioned(store: Arc<dyn Store>) {
    let o = order("ORD-20");
    store.insert_order(&o).await.unwrap();
    let later = payment("ORD-20", "pay_b", 10);
    let first = payment("ORD-20", "pay_a_but_created_last_alphabetically_first", 0);
    let elsewhere = payment("ORD-21", "pay_c", 0);
    for p in [&later, &first, &elsewhere] {
        store
            .transact(vec![Write::PutPayment {
                payment: p.clone(),
                expected_version: None,
            }])
            .await
            .unwrap();
    }
    let read = store
        .get_order_with_payments(&o.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.order.value, o);
    let ids: Vec<&str> = read.payments.iter().map(|p| p.value.id.as_str()).collect();
    assert_eq!(ids, [first.id.as_str(), later.id.as_str()], "oldest first");
    assert_eq!(read.payments[1].value, later);
    assert_eq!(read.payments[1].version, 1);

    // Creating twice fails; updating needs the current version.
    let again = store
        .transact(vec![Write::PutPayment {
            payment: later.clone(),
            expected_version: None,
        }])
        .await;
    assert_eq!(
        again,
        Err(StoreError::AlreadyExists(crate::ports::ItemRef::new(
            crate::ports::ItemKind::Payment,
            "pay_b"
        )))
    );
    let mut authorised = later.clone();
    authorised.status = PaymentStatus::Authorised;
    store
        .transact(vec![Write::PutPayment {
            payment: authorised.clone(),
            expected_version: Some(1),
        }])
        .await
        .unwrap();
    let stale = store
        .transact(vec![Write::PutPayment {
            payment: later.clone(),
            expected_version: Some(1),
        }])
        .await;
    assert_eq!(
        stale,
        Err(StoreError::VersionConflict(crate::ports::ItemRef::new(
            crate::ports::ItemKind::Payment,
            "pay_b"
        )))
    );
    let read = store
        .get_order_with_payments(&o.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.payments[1].value.status, read.payments[1].version),
        (PaymentStatus::Authorised, 2)
    );
    assert!(store
        .get_order_with_payments(&Reference::parse("ORD-404").unwrap())
        .await
        .unwrap()
        .is_none());
}

pub async fn customers_are_versioned(store: Arc<dyn Store>) {
    let mut profile = CustomerProfile {
        id: customer_id("Buyer@Example.fr "),
        email: "buyer@example.fr".into(),
        locale: Locale::En,
        billing: None,
        provider_customers: Default::default(),
    };
    assert_eq!(profile.id, customer_id("buyer@example.fr"));
    assert!(store.get_customer(&profile.id).await.unwrap().is_none());
    let put = |c: CustomerProfile, v: Option<u64>| Write::PutCustomer {
        customer: c,
        expected_version: v,
    };
    store
        .transact(vec![put(profile.clone(), None)])
        .await
        .unwrap();
    assert!(matches!(
        store.transact(vec![put(profile.clone(), None)]).await,
        Err(StoreError::AlreadyExists(_))
    ));
    profile
        .provider_customers
        .insert("stripe".into(), "cus_123".into());
    profile.billing = Some(Billing {
        company: Some("Atelier Martin".into()),
        name: "Jeanne Martin".into(),
        email: "buyer@example.fr".into(),
        phone: None,
        address: BillingAddress {
            line1: "9 rue d'Antrechaus".into(),
            line2: None,
            postcode: "83000".into(),
            city: "Toulon".into(),
            country: "FR".into(),
        },
    });
    store
        .transact(vec![put(profile.clone(), Some(1))])
        .await
        .unwrap();
    assert!(matches!(
        store.transact(vec![put(profile.clone(), Some(1))]).await,
        Err(StoreError::VersionConflict(_))
    ));
    let read = store.get_customer(&profile.id).await.unwrap().unwrap();
    assert_eq!((read.value, read.version), (profile, 2));
}

#[macro_export]
macro_rules! store_contract_tests {
    ($make_store:expr) => {
        $crate::store_contract_tests!(@each $make_store;
            insert_then_get_round_trips_exactly,
            inserting_a_taken_reference_fails,
            updates_are_conditional_on_version,
            concurrent_updates_have_one_winner,
            transactions_are_all_or_nothing,
            lookup_snapshot_reads_order_and_failures,
            reservations_pass_up_to_the_room_left_and_one_given_back_stops_counting,
            payments_are_read_with_their_order_and_versioned,
            pending_reviews_are_listed_oldest_first_until_decided,
            due_instalments_are_listed_soonest_first_and_paged,
            idempotency_claims_complete_with_the_effects,
            concurrent_claims_have_one_winner,
            customers_are_versioned,
            outbox_events_stay_pending_until_published,
            undelivered_invoices_are_requeued,
            provider_payment_ids_lead_back_to_our_payment,
            concurrent_tries_of_a_code_never_exceed_its_limit,
            code_limits_hold_under_concurrent_requests,
            a_code_opens_one_session_and_signing_out_closes_it,
            a_customers_orders_are_paged_newest_first,
            sepa_items_are_read_together_and_versioned,
            concurrent_purchases_never_pass_the_cap_together,
            a_months_customers_are_listed_by_shard,
            vouchers_and_balance_are_read_together_and_drawn_conditionally,
            concurrent_draws_never_spend_more_than_the_balance,
            credit_never_goes_negative_and_on_account_never_past_its_maximum,
            audit_entries_are_listed_newest_first,
            a_clients_wrong_codes_stop_at_their_limit_under_concurrency);
    };
    (@each $make_store:expr; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let store: ::std::sync::Arc<dyn $crate::ports::Store> = $make_store.await;
                $crate::contract::$check(store).await;
            }
        )*
    };
}

#[cfg(test)]
mod memory {
    async fn fresh() -> std::sync::Arc<dyn crate::ports::Store> {
        std::sync::Arc::new(crate::adapters::memory::MemoryStore::new())
    }
    crate::store_contract_tests!(fresh());
}
