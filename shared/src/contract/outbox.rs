//! Store contract checks for the outbox: pending until published, and invoices waiting for
//! their email's confirmation (the daily sweep).

use std::sync::Arc;

use rust_decimal::Decimal;
use time::Duration;

use super::now;
use crate::domain::{Currency, OutboxEvent, OutboxKind, Reference};
use crate::ports::{Store, StoreError, Write};

pub fn outbox_event(id: &str, offset_s: i64) -> OutboxEvent {
    OutboxEvent {
        id: id.into(),
        kind: OutboxKind::PaymentReceived,
        order_reference: Reference::parse("ORD-40").unwrap(),
        payment_id: "pay_1".into(),
        amount: Decimal::new(292200, 2),
        currency: Currency::EUR,
        created_at: now() + Duration::seconds(offset_s),
        document: None,
    }
}

pub async fn outbox_events_stay_pending_until_published(store: Arc<dyn Store>) {
    let (later, first) = (outbox_event("evt-b", 5), outbox_event("evt-a", 0));
    store
        .transact(vec![
            Write::PutOutbox(later.clone()),
            Write::PutOutbox(first.clone()),
        ])
        .await
        .unwrap();
    // The same event id again is refused: a change cannot queue its events twice.
    assert!(matches!(
        store.transact(vec![Write::PutOutbox(first.clone())]).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(
        store.pending_outbox(10).await.unwrap(),
        [first.clone(), later.clone()]
    );
    assert_eq!(store.pending_outbox(1).await.unwrap(), vec![first.clone()]);
    store
        .mark_outbox_published(&[first.clone(), outbox_event("evt-unknown", 9)])
        .await
        .unwrap();
    assert_eq!(store.pending_outbox(10).await.unwrap(), vec![later.clone()]);
    store
        .mark_outbox_published(std::slice::from_ref(&later))
        .await
        .unwrap();
    assert!(store.pending_outbox(10).await.unwrap().is_empty());
}

/// A published `invoice_due` event waits for its email's confirmation; one never confirmed
/// goes back on the pending list once it is old enough, one confirmed never does.
pub async fn undelivered_invoices_are_requeued(store: Arc<dyn Store>) {
    let invoice = |id: &str, offset_s: i64| OutboxEvent {
        kind: OutboxKind::InvoiceDue,
        ..outbox_event(id, offset_s)
    };
    let (delivered, lost, recent) = (
        invoice("inv-delivered", 0),
        invoice("inv-lost", 10),
        invoice("inv-recent", 7200),
    );
    let email = outbox_event("evt-email", 5);
    store
        .transact(
            [&delivered, &lost, &recent, &email]
                .into_iter()
                .map(|e| Write::PutOutbox(e.clone()))
                .collect(),
        )
        .await
        .unwrap();
    let all = [
        delivered.clone(),
        email.clone(),
        lost.clone(),
        recent.clone(),
    ];
    assert_eq!(store.pending_outbox(10).await.unwrap(), all);
    store.mark_outbox_published(&all).await.unwrap();
    assert!(store.pending_outbox(10).await.unwrap().is_empty());
    store
        .confirm_invoice_delivered(&delivered.id)
        .await
        .unwrap();
    // Confirming twice, or an unknown event, is harmless.
    store
        .confirm_invoice_delivered(&delivered.id)
        .await
        .unwrap();
    store
        .confirm_invoice_delivered("inv-unknown")
        .await
        .unwrap();

    // An hour after `lost` was created: only it is requeued (not the delivered one, not the
    // plain email, not the invoice still within its grace period).
    let cutoff = now() + Duration::seconds(3600);
    let requeued = store
        .requeue_undelivered_invoices(cutoff, 10)
        .await
        .unwrap();
    assert_eq!(requeued, vec![lost.clone()]);
    assert_eq!(store.pending_outbox(10).await.unwrap(), vec![lost.clone()]);
    // Already pending: a second sweep finds nothing more.
    assert!(store
        .requeue_undelivered_invoices(cutoff, 10)
        .await
        .unwrap()
        .is_empty());
    // Published again and confirmed this time: later sweeps leave it alone.
    store
        .mark_outbox_published(std::slice::from_ref(&lost))
        .await
        .unwrap();
    store.confirm_invoice_delivered(&lost.id).await.unwrap();
    let much_later = now() + Duration::days(2);
    assert_eq!(
        store
            .requeue_undelivered_invoices(much_later, 10)
            .await
            .unwrap(),
        vec![recent]
    );
}
