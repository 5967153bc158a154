//! The notifier over moto, as the notifier tests build it: the store and the notification
//! store on a fresh table, SES with a fresh verified sender (so the test finds its own mail).

use std::sync::Arc;

use encaisse::adapters::dynamodb::notifications::DynamoNotificationStore;
use encaisse::adapters::ses::{client_from_env, SesMailer};
use encaisse::app::notify::{Notifier, PayPage};
use encaisse::notification_contract::seller;
use encaisse::ports::{Store, SystemClock};

pub struct MotoNotifier {
    pub store: Arc<dyn Store>,
    pub notifications: Arc<DynamoNotificationStore>,
    /// The SES sender of this notifier only: `<prefix>-<uuid>@encaisse.test`.
    pub sender: String,
    pub notifier: Notifier,
}

pub async fn moto_notifier(sender_prefix: &str) -> MotoNotifier {
    let (dynamo, _) = crate::fresh_dynamo_store().await;
    let notifications = Arc::new(DynamoNotificationStore::new(
        dynamo.client().clone(),
        dynamo.table(),
    ));
    let store: Arc<dyn Store> = Arc::new(dynamo);
    let sender = format!(
        "{sender_prefix}-{}@encaisse.test",
        uuid::Uuid::new_v4().simple()
    );
    let mailer = SesMailer::new(client_from_env().await, sender.clone());
    mailer.verify_sender().await.expect("verify sender on moto");
    let notifier = Notifier::new(
        store.clone(),
        notifications.clone(),
        Arc::new(mailer),
        Arc::new(SystemClock),
        seller(),
        PayPage::parse("https://shop.example/pay").expect("pay page"),
    );
    MotoNotifier {
        store,
        notifications,
        sender,
        notifier,
    }
}
