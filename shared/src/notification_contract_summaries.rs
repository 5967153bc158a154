//! The notification store contract for month summaries: one invoice for many orders, each
//! order and each summarised payment pointing at it.

use std::sync::Arc;

use time::OffsetDateTime;

use super::{billing, draft, seller};
use crate::domain::month_invoice::MonthOrder;
use crate::domain::sepa::{DebitLine, DebitMonth, DebitStatus, MonthId};
use crate::domain::{InvoiceDraft, Reference};
use crate::ports::{NotificationStore, StoreError};

/// A November 2026 summary of `count` orders `ORD-<first>…`, paid by `pay_<n>` each.
pub fn summary_draft(first: u32, count: u32) -> InvoiceDraft {
    let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).expect("time");
    let mut month = DebitMonth::new(
        &format!("cus_{first}"),
        MonthId::parse("2026-11").expect("month"),
        now,
    );
    let mut orders = Vec::new();
    for n in first..first + count {
        let order = crate::contract::order(&format!("ORD-{n}"));
        month.add_line(
            &format!("pay_{n}"),
            DebitLine {
                order_reference: order.reference.clone(),
                amount: order.totals().gross,
                at: now,
            },
        );
        orders.push(MonthOrder {
            order,
            billing: billing(),
            delivered_on: None,
        });
    }
    month.status = DebitStatus::Notified;
    month.collection_on = Some(time::macros::date!(2026 - 12 - 03));
    InvoiceDraft::month_summary(&month, &orders, &seller()).expect("summary")
}

fn reference(n: u32) -> Reference {
    Reference::parse(&format!("ORD-{n}")).expect("reference")
}

/// A summary is one invoice: every order lists it, every summarised payment has it (so its
/// own invoice is never issued), and issuing it again changes nothing.
pub async fn a_month_summary_is_every_orders_invoice(store: Arc<dyn NotificationStore>) {
    let summary = store
        .issue_invoice(&summary_draft(500, 3))
        .await
        .expect("summary");
    for n in 500..503 {
        assert_eq!(
            store.documents_of(&reference(n)).await,
            Ok(vec![summary.clone()])
        );
        assert_eq!(
            store
                .get_invoice_for(&reference(n), &format!("pay_{n}"))
                .await,
            Ok(Some(summary.clone()))
        );
    }
    let again = store.issue_invoice(&summary_draft(500, 3)).await;
    assert_eq!(again, Ok(summary.clone()));
    // A summarised payment's own invoice is the summary: nothing new is numbered.
    let own = store
        .issue_invoice(&draft("ORD-501", "pay_501", 1_795_000_000))
        .await;
    assert_eq!(own, Ok(summary.clone()));
    let next = store
        .issue_invoice(&draft("ORD-600", "pay_600", 1_795_000_000))
        .await
        .expect("next");
    assert_eq!(next.sequence, summary.sequence + 1);
}

/// More orders than one transaction can link still all point at the summary.
pub async fn a_large_month_summary_links_every_order(store: Arc<dyn NotificationStore>) {
    let summary = store
        .issue_invoice(&summary_draft(700, 60))
        .await
        .expect("summary");
    assert_eq!(
        summary.draft.summary.as_ref().map(|s| s.orders.len()),
        Some(60)
    );
    for n in [700, 730, 759] {
        assert_eq!(
            store.documents_of(&reference(n)).await,
            Ok(vec![summary.clone()]),
            "ORD-{n}"
        );
        assert_eq!(
            store
                .get_invoice_for(&reference(n), &format!("pay_{n}"))
                .await,
            Ok(Some(summary.clone()))
        );
    }
}

/// An order invoiced on its own is never billed again by a summary: refused, no number used.
pub async fn an_invoiced_order_is_not_summarised_again(store: Arc<dyn NotificationStore>) {
    let own = store
        .issue_invoice(&draft("ORD-801", "pay_801", 1_795_000_000))
        .await
        .expect("own invoice");
    let refused = store.issue_invoice(&summary_draft(800, 3)).await;
    assert!(
        matches!(refused, Err(StoreError::Corrupt(_))),
        "{refused:?}"
    );
    assert_eq!(store.documents_of(&reference(800)).await, Ok(Vec::new()));
    let next = store
        .issue_invoice(&draft("ORD-900", "pay_900", 1_795_000_000))
        .await
        .expect("next");
    assert_eq!(next.sequence, own.sequence + 1, "no number lost");
}
