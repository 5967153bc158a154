//! The notifier's SQS trigger: the sample batch from events/notifier fed through the consumer
//! with DynamoDB on moto server: one email for two copies of one event, and only the
//! unreadable message reported for redelivery.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use encaisse::adapters::dynamodb::notifications::DynamoNotificationStore;
use encaisse::adapters::memory::notifications::MemoryMailer;
use encaisse::app::notify::{Notifier, PayPage};
use encaisse::consumers::domain_events::notify_batch;
use encaisse::contract;
use encaisse::ports::{Store, SystemClock, Write};
use integration::{event, fresh_dynamo_store};

#[tokio::test]
async fn one_email_per_event_however_often_it_arrives() {
    let (dynamo, _) = fresh_dynamo_store().await;
    let notifications = DynamoNotificationStore::new(dynamo.client().clone(), dynamo.table());
    let store: Arc<dyn Store> = Arc::new(dynamo);
    store
        .insert_order(&contract::order("ORD-10042"))
        .await
        .unwrap();
    store
        .transact(vec![Write::PutPayment {
            payment: contract::payment("ORD-10042", "pay_example", 0),
            expected_version: None,
        }])
        .await
        .unwrap();
    let mailer = Arc::new(MemoryMailer::new());
    let notifier = Notifier::new(
        store,
        Arc::new(notifications),
        mailer.clone(),
        Arc::new(SystemClock),
        encaisse_dev::notifications::demo_seller(),
        PayPage::parse("http://127.0.0.1:3000/pay").unwrap(),
    );
    let batch: SqsEvent =
        serde_json::from_value(event("notifier/domain-events-batch.json")).unwrap();
    let response = notify_batch(&notifier, batch.clone()).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["0b7e1d3c-0003-4d2a-8f5e-6a7b8c9d0e1f"]);
    let sent = mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "buyer@example.fr");
    // The whole batch again (SQS redelivery): nothing more is sent.
    notify_batch(&notifier, batch).await;
    assert_eq!(mailer.sent().len(), 1);
}
