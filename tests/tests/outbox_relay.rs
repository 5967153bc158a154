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

#[tokio::test]
async fn pending_events_reach_the_queue_once_each() {
    let (store, _) = fresh_dynamo_store().await;
    let store: Arc<dyn Store> = Arc::new(store);
    let sqs = SqsEventQueue::client_from_env().await;
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("domain-events-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
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
