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
