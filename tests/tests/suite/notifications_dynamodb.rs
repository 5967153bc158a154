//! The notification store contract on DynamoDB (moto), and the notifier end to end with SES.

use std::sync::Arc;

use encaisse::adapters::dynamodb::notifications::DynamoNotificationStore;
use encaisse::ports::NotificationStore;

async fn fresh_notification_store() -> Arc<dyn NotificationStore> {
    let (store, _) = integration::fresh_dynamo_store().await;
    Arc::new(DynamoNotificationStore::new(
        store.client().clone(),
        store.table(),
    ))
}

encaisse::notification_contract_tests!(fresh_notification_store());

mod notifier_with_ses {
    use encaisse::domain::{Locale, OutboxKind};
    use encaisse::notification_contract::{outbox_event, seed_paid_order};

    /// Messages moto's SES recorded from `sender` (moto keeps every test's mail together).
    async fn sent_by(sender: &str) -> Vec<serde_json::Value> {
        let url = format!("{}/moto-api/data.json", integration::emulator_endpoint());
        let data: serde_json::Value = reqwest::get(url)
            .await
            .expect("moto data")
            .json()
            .await
            .expect("json");
        let mut found = Vec::new();
        collect(&data["ses"]["Message"], sender, &mut found);
        found
    }

    fn collect(value: &serde_json::Value, sender: &str, found: &mut Vec<serde_json::Value>) {
        match value {
            serde_json::Value::Array(items) => {
                items.iter().for_each(|v| collect(v, sender, found));
            }
            serde_json::Value::Object(map)
                if map.get("source").and_then(|s| s.as_str()) == Some(sender) =>
            {
                found.push(value.clone())
            }
            serde_json::Value::Object(map) => map.values().for_each(|v| collect(v, sender, found)),
            _ => {}
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_email_per_event_even_when_handled_twice() {
        let moto = integration::notifier::moto_notifier("factures").await;
        seed_paid_order(moto.store.as_ref(), "ORD-10042", "pay_1", Locale::Fr).await;
        let (notifier, sender) = (moto.notifier, moto.sender);
        for kind in [OutboxKind::PaymentReceived, OutboxKind::InvoiceDue] {
            let event = outbox_event(kind, "ORD-10042", "pay_1");
            let first = notifier.handle(&event).await.expect("first delivery");
            assert_eq!(first.sent.len(), 1, "{kind:?}");
            let second = notifier.handle(&event).await.expect("redelivery");
            assert!(second.sent.is_empty(), "{kind:?} sent twice");
        }
        let messages = sent_by(&sender).await;
        assert_eq!(messages.len(), 2, "{messages:#?}");
        let text = serde_json::to_string(&messages).expect("json");
        assert!(text.contains("Paiement reçu") || text.contains("Paiement re\\u00e7u"));
        assert!(text.contains("F-2026-000001"), "{text}");
    }
}
