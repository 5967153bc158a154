//! The outbox relay on real parts: pending events in DynamoDB, published to an SQS queue on
//! moto server, taken off the pending list.

use std::collections::BTreeSet;
use std::sync::Arc;

use encaisse::adapters::sqs::SqsEventQueue;
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::contract::outbox_event;
use encaisse::domain::OutboxEvent;
use encaisse::ports::{Store, Write};
use integration::fresh_dynamo_store;

pub(crate) async fn fresh_queue() -> (aws_sdk_sqs::Client, String) {
    let sqs = SqsEventQueue::client_from_env().await;
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("domain-events-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (sqs, queue_url)
}

#[tokio::test]
async fn pending_events_reach_the_queue_once_each() {
    let (store, _) = fresh_dynamo_store().await;
    let store: Arc<dyn Store> = Arc::new(store);
    let (sqs, queue_url) = fresh_queue().await;
    // More than one SQS batch (10).
    let events: Vec<OutboxEvent> = (0..12)
        .map(|i| outbox_event(&format!("evt-{i:02}"), i))
        .collect();
    store
        .transact(events.iter().cloned().map(Write::PutOutbox).collect())
        .await
        .unwrap();

    let relay = OutboxRelay::new(
        store.clone(),
        Arc::new(SqsEventQueue::new(sqs.clone(), &queue_url)),
    );
    assert_eq!(relay.publish_pending(100).await.unwrap(), 12);
    assert!(store.pending_outbox(100).await.unwrap().is_empty());
    assert_eq!(
        relay.publish_pending(100).await.unwrap(),
        0,
        "nothing published twice"
    );

    let mut received = BTreeSet::new();
    for _ in 0..10 {
        let batch = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in batch.messages() {
            let event: OutboxEvent = serde_json::from_str(message.body().unwrap()).unwrap();
            // SQS standard queues do not keep order: find the committed event by its id.
            let index: i64 = event.id.trim_start_matches("evt-").parse().unwrap();
            assert_eq!(
                event,
                outbox_event(&event.id, index),
                "the body is the committed event"
            );
            received.insert(event.id);
        }
        if received.len() == 12 {
            break;
        }
    }
    let expected: BTreeSet<String> = events.iter().map(|e| e.id.clone()).collect();
    assert_eq!(received, expected);
}

/// An invoice whose message was lost (dead-lettered) is published again by the daily sweep,
/// on DynamoDB and SQS; once its email is confirmed, never again.
#[tokio::test]
async fn the_daily_sweep_publishes_unconfirmed_invoices_again() {
    use encaisse::app::publish_outbox::INVOICE_GRACE;
    use encaisse::domain::OutboxKind;
    use time::Duration;

    let (store, _) = fresh_dynamo_store().await;
    let store: Arc<dyn Store> = Arc::new(store);
    let (sqs, queue_url) = fresh_queue().await;
    let invoice = OutboxEvent {
        kind: OutboxKind::InvoiceDue,
        ..outbox_event("InvoiceDue#pay_1#3", 0)
    };
    let email = outbox_event("PaymentReceived#pay_1#2", 0);
    store
        .transact(vec![
            Write::PutOutbox(invoice.clone()),
            Write::PutOutbox(email.clone()),
        ])
        .await
        .unwrap();
    let relay = OutboxRelay::new(
        store.clone(),
        Arc::new(SqsEventQueue::new(sqs.clone(), &queue_url)),
    );
    assert_eq!(relay.publish_pending(10).await.unwrap(), 2);
    let receive = || {
        let sqs = sqs.clone();
        let queue_url = queue_url.clone();
        async move {
            let mut ids = BTreeSet::new();
            for _ in 0..3 {
                let batch = sqs
                    .receive_message()
                    .queue_url(&queue_url)
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    .send()
                    .await
                    .unwrap();
                for message in batch.messages() {
                    let event: OutboxEvent = serde_json::from_str(message.body().unwrap()).unwrap();
                    ids.insert(event.id);
                    sqs.delete_message()
                        .queue_url(&queue_url)
                        .receipt_handle(message.receipt_handle().unwrap())
                        .send()
                        .await
                        .unwrap();
                }
                if !ids.is_empty() {
                    break;
                }
            }
            ids
        }
    };
    // Both delivered once; suppose the invoice's consumer died for good (dead-lettered).
    assert_eq!(receive().await.len(), 2);

    let at = |hours: i64| invoice.created_at + Duration::hours(hours);
    let resent = relay
        .resend_undelivered_invoices(at(0), INVOICE_GRACE, 10)
        .await
        .unwrap();
    assert!(resent.is_empty(), "within the grace period");
    let resent = relay
        .resend_undelivered_invoices(at(20), INVOICE_GRACE, 10)
        .await
        .unwrap();
    assert_eq!(
        resent,
        vec![invoice.clone()],
        "only the invoice, not the email"
    );
    assert_eq!(receive().await, BTreeSet::from([invoice.id.clone()]));

    // The notifier confirms it this time: the next sweeps find nothing.
    store.confirm_invoice_delivered(&invoice.id).await.unwrap();
    let resent = relay
        .resend_undelivered_invoices(at(48), INVOICE_GRACE, 10)
        .await
        .unwrap();
    assert!(resent.is_empty());
    assert!(store.pending_outbox(10).await.unwrap().is_empty());
}
