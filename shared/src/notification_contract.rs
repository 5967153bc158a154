//! The notification store contract, run on every adapter (memory here, DynamoDB on moto in the
//! integration package). `notification_contract_tests!` expands to one test per check.

use std::collections::BTreeSet;
use std::sync::Arc;

use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use crate::domain::invoice::DocumentKind;

use crate::domain::{
    customer_id, Billing, BillingAddress, CustomerProfile, InvoiceDraft, Locale, OutboxEvent,
    OutboxKind, PaymentStatus, Reference, SellerIdentity,
};
use crate::ports::{EmailClaim, EmailKey, NotificationStore, Store, Write};

#[path = "notification_contract_summaries.rs"]
mod summaries;
pub use summaries::*;

pub fn seller() -> SellerIdentity {
    SellerIdentity {
        legal_name: "Atelier Encaisse SAS".into(),
        address_lines: vec!["1 quai Cronstadt".into()],
        postcode: "83000".into(),
        city: "Toulon".into(),
        country: "FR".into(),
        siren: "123456789".into(),
        siret: Some("12345678900012".into()),
        vat_number: "FR12123456789".into(),
        rcs: "RCS Toulon 123 456 789".into(),
        share_capital: "SAS au capital de 10 000 €".into(),
    }
}

pub fn billing() -> Billing {
    Billing {
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
    }
}

/// A draft for `payment` on `reference`, paid at the given Unix time.
pub fn draft(reference: &str, payment: &str, paid_at: i64) -> InvoiceDraft {
    let order = crate::contract::order(reference);
    let paid_at = OffsetDateTime::from_unix_timestamp(paid_at).expect("time");
    InvoiceDraft::from_order(
        &order,
        rust_decimal::Decimal::MAX,
        &billing(),
        payment,
        paid_at,
        &seller(),
    )
    .expect("draft")
}

/// An order (locale as given) with one captured payment and the customer's billing profile,
/// for notifier tests on any store.
pub async fn seed_paid_order(store: &dyn Store, reference: &str, payment_id: &str, locale: Locale) {
    let mut o = crate::contract::order(reference);
    o.customer.locale = locale;
    store.insert_order(&o).await.expect("insert order");
    let mut p = crate::contract::payment(reference, payment_id, 0);
    p.status = PaymentStatus::Captured;
    p.captured_amount = o.totals().gross;
    p.refunded_amount = rust_decimal::Decimal::ZERO;
    let customer = CustomerProfile {
        id: customer_id(&o.customer.email),
        email: o.customer.email.clone(),
        locale,
        billing: Some(billing()),
        provider_customers: Default::default(),
    };
    store
        .transact(vec![
            Write::PutPayment {
                payment: p,
                expected_version: None,
            },
            Write::PutCustomer {
                customer,
                expected_version: None,
            },
        ])
        .await
        .expect("seed payment and customer");
}

/// The outbox event the webhook handler would queue.
pub fn outbox_event(kind: OutboxKind, reference: &str, payment_id: &str) -> OutboxEvent {
    let o = crate::contract::order(reference);
    OutboxEvent {
        id: format!(
            "{}#{payment_id}#2",
            serde_json::to_value(kind)
                .expect("kind")
                .as_str()
                .unwrap_or("event")
        ),
        kind,
        order_reference: o.reference.clone(),
        payment_id: payment_id.into(),
        amount: o.totals().gross,
        currency: o.currency,
        created_at: OffsetDateTime::from_unix_timestamp(MAY_2026).expect("time"),
        document: None,
    }
}

/// 2026-05-01 10:00 UTC.
const MAY_2026: i64 = 1_777_629_600;
/// 2027-02-01 10:00 UTC.
const FEB_2027: i64 = 1_801_476_000;

pub async fn concurrent_invoices_are_gap_free(store: Arc<dyn NotificationStore>) {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let d = draft(&format!("ORD-{}", 100 + i), &format!("pay_{i}"), MAY_2026);
                store.issue_invoice(&d).await
            })
        })
        .collect();
    let mut sequences = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for task in tasks {
        let invoice = task.await.expect("join").expect("issued");
        assert!(sequences.insert(invoice.sequence), "duplicate sequence");
        numbers.insert(invoice.number);
    }
    assert_eq!(sequences, (1..=50).collect::<BTreeSet<u64>>());
    assert!(numbers.contains("F-2026-000001") && numbers.contains("F-2026-000050"));
}

pub async fn one_payment_gets_one_invoice(store: Arc<dyn NotificationStore>) {
    let d = draft("ORD-1", "pay_a", MAY_2026);
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (store, d) = (store.clone(), d.clone());
            tokio::spawn(async move { store.issue_invoice(&d).await })
        })
        .collect();
    let mut numbers = BTreeSet::new();
    for task in tasks {
        numbers.insert(task.await.expect("join").expect("issued").number);
    }
    assert_eq!(numbers.len(), 1);
    let again = store.issue_invoice(&d).await.expect("issued");
    assert_eq!(again.number, "F-2026-000001");
    // The next payment continues the sequence: the duplicates consumed no number.
    let next = store
        .issue_invoice(&draft("ORD-1", "pay_b", MAY_2026))
        .await
        .expect("issued");
    assert_eq!(next.number, "F-2026-000002");
}

pub async fn invoices_are_read_back(store: Arc<dyn NotificationStore>) {
    let reference = Reference::parse("ORD-7").expect("reference");
    assert_eq!(store.get_invoice_for(&reference, "pay_7").await, Ok(None));
    let issued = store
        .issue_invoice(&draft("ORD-7", "pay_7", MAY_2026))
        .await
        .expect("issued");
    let by_payment = store
        .get_invoice_for(&reference, "pay_7")
        .await
        .expect("read");
    assert_eq!(by_payment.as_ref(), Some(&issued));
    let by_number = store.get_invoice(&issued.number).await.expect("read");
    assert_eq!(by_number, Some(issued));
    assert_eq!(store.get_invoice("F-2026-999999").await, Ok(None));
}

pub async fn each_year_has_its_own_sequence(store: Arc<dyn NotificationStore>) {
    let a = store
        .issue_invoice(&draft("ORD-1", "pay_1", MAY_2026))
        .await;
    let b = store
        .issue_invoice(&draft("ORD-2", "pay_2", MAY_2026))
        .await;
    let c = store
        .issue_invoice(&draft("ORD-3", "pay_3", FEB_2027))
        .await;
    assert_eq!(a.expect("a").number, "F-2026-000001");
    assert_eq!(b.expect("b").number, "F-2026-000002");
    assert_eq!(c.expect("c").number, "F-2027-000001");
}

/// Credit notes run on their own gap-free sequence, one per refund, referencing the invoice,
/// and leave the invoices' sequence alone.
pub async fn credit_notes_have_their_own_sequence(store: Arc<dyn NotificationStore>) {
    let invoice = store
        .issue_invoice(&draft("ORD-8", "pay_8", MAY_2026))
        .await
        .expect("invoice");
    let refunded_at = OffsetDateTime::from_unix_timestamp(MAY_2026 + 3600).expect("time");
    let note = |amount: i64, refund: &str| {
        InvoiceDraft::credit_note(
            &invoice,
            &invoice.draft.order_reference,
            Decimal::new(amount, 2),
            refund,
            refunded_at,
        )
        .expect("credit note")
    };
    let first = store
        .issue_invoice(&note(10_000, "refund-1"))
        .await
        .expect("1");
    let again = store
        .issue_invoice(&note(10_000, "refund-1"))
        .await
        .expect("again");
    let second = store
        .issue_invoice(&note(2_500, "refund-2"))
        .await
        .expect("2");
    assert_eq!(first.number, "A-2026-000001");
    assert_eq!(again, first, "one credit note per refund");
    assert_eq!(second.number, "A-2026-000002");
    assert_eq!(first.draft.gross, Decimal::new(10_000, 2));
    assert_eq!(
        first.draft.kind,
        DocumentKind::CreditNote {
            invoice: invoice.number.clone()
        }
    );
    let next_invoice = store
        .issue_invoice(&draft("ORD-9", "pay_9", MAY_2026))
        .await
        .expect("invoice");
    assert_eq!(next_invoice.number, "F-2026-000002");
}

/// An order's invoices and credit notes are listed together, oldest first, and no other
/// order's.
pub async fn an_orders_documents_are_listed(store: Arc<dyn NotificationStore>) {
    let reference = Reference::parse("ORD-11").expect("reference");
    assert_eq!(store.documents_of(&reference).await, Ok(Vec::new()));
    let invoice = store
        .issue_invoice(&draft("ORD-11", "pay_11", MAY_2026))
        .await
        .expect("invoice");
    let other = store
        .issue_invoice(&draft("ORD-12", "pay_12", MAY_2026))
        .await
        .expect("other order");
    let refunded_at = OffsetDateTime::from_unix_timestamp(MAY_2026 + 86_400).expect("time");
    let note = store
        .issue_invoice(
            &InvoiceDraft::credit_note(
                &invoice,
                &invoice.draft.order_reference,
                Decimal::new(500, 2),
                "refund-11",
                refunded_at,
            )
            .expect("credit note"),
        )
        .await
        .expect("credit note");
    let listed = store.documents_of(&reference).await.expect("listed");
    assert_eq!(listed, vec![invoice, note]);
    assert!(!listed.contains(&other));
}

pub async fn email_claims_are_exclusive(store: Arc<dyn NotificationStore>) {
    let now = OffsetDateTime::from_unix_timestamp(MAY_2026).expect("time");
    let lease = now + Duration::minutes(5);
    let key = EmailKey::new("payment_received#pay_1#1", "payment_received", "a@b.fr");
    let other = EmailKey::new("payment_received#pay_1#1", "payment_received", "c@d.fr");
    assert_eq!(
        store.claim_email(&key, now, lease).await,
        Ok(EmailClaim::Claimed)
    );
    assert_eq!(
        store.claim_email(&key, now, lease).await,
        Ok(EmailClaim::InFlight)
    );
    assert_eq!(
        store.claim_email(&other, now, lease).await,
        Ok(EmailClaim::Claimed)
    );
    store.mark_email_sent(&key, "m-1", now).await.expect("mark");
    let sent = EmailClaim::AlreadySent {
        message_id: "m-1".into(),
    };
    assert_eq!(store.claim_email(&key, now, lease).await, Ok(sent.clone()));
    // Releasing a sent email changes nothing, even after any lease.
    store.release_email(&key).await.expect("release");
    let later = now + Duration::hours(1);
    assert_eq!(
        store
            .claim_email(&key, later, later + Duration::minutes(5))
            .await,
        Ok(sent)
    );
}

pub async fn released_or_expired_claims_can_be_retaken(store: Arc<dyn NotificationStore>) {
    let now = OffsetDateTime::from_unix_timestamp(MAY_2026).expect("time");
    let lease = now + Duration::minutes(5);
    let key = EmailKey::new("refund_issued#pay_1#3", "refund_issued", "a@b.fr");
    assert_eq!(
        store.claim_email(&key, now, lease).await,
        Ok(EmailClaim::Claimed)
    );
    store.release_email(&key).await.expect("release");
    assert_eq!(
        store.claim_email(&key, now, lease).await,
        Ok(EmailClaim::Claimed)
    );
    // A consumer that died mid-send leaves a claim that expires with its lease.
    let after = lease + Duration::seconds(1);
    assert_eq!(
        store
            .claim_email(&key, after, after + Duration::minutes(5))
            .await,
        Ok(EmailClaim::Claimed)
    );
}

#[macro_export]
macro_rules! notification_contract_tests {
    ($make_store:expr) => {
        $crate::notification_contract_tests!(@each $make_store;
            concurrent_invoices_are_gap_free,
            one_payment_gets_one_invoice,
            invoices_are_read_back,
            each_year_has_its_own_sequence,
            credit_notes_have_their_own_sequence,
            an_orders_documents_are_listed,
            a_month_summary_is_every_orders_invoice,
            a_large_month_summary_links_every_order,
            an_invoiced_order_is_not_summarised_again,
            email_claims_are_exclusive,
            released_or_expired_claims_can_be_retaken);
    };
    (@each $make_store:expr; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let store: ::std::sync::Arc<dyn $crate::ports::NotificationStore> =
                    $make_store.await;
                $crate::notification_contract::$check(store).await;
            }
        )*
    };
}

#[cfg(test)]
mod memory {
    async fn fresh() -> std::sync::Arc<dyn crate::ports::NotificationStore> {
        std::sync::Arc::new(crate::adapters::memory::notifications::MemoryNotificationStore::new())
    }

    crate::notification_contract_tests!(fresh());
}
