//! notifier: the `domain-events` SQS queue → emails through SES and invoices (Factur-X PDFs kept
//! in S3 and attached). Wiring only.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use encaisse::adapters::branded_mailer::BrandedMailer;
use encaisse::adapters::dynamodb::notifications::DynamoNotificationStore;
use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::s3::{self, S3DocumentFiles};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::adapters::ses::SesMailer;
use encaisse::app::notify::Notifier;
use encaisse::config;
use encaisse::consumers::domain_events::notify_batch;
use encaisse::ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let seller = config::seller()?;
    let pay_page = config::pay_page()?;
    let seller_inbox = config::seller_inbox()?;
    if seller_inbox.is_none() {
        lambda_runtime::tracing::warn!(
            "SELLER_EMAIL is not set: dispute and deleted-order emails will be dead-lettered"
        );
    }
    // The seller's brand above every email (BRAND_NAME, BRAND_LOGO_URL, BRAND_COLOUR).
    let aws = encaisse::adapters::aws_config_from_env().await;
    // The codes of gift vouchers sold as order lines derive from the access-token secret.
    let secrets = Secrets::load(&secrets_client(&aws), &["ACCESS_TOKEN_SECRET"]).await?;
    let sold_voucher_key =
        config::sold_voucher_key(&config::access_token_secret_from(|n| secrets.var(n))?);
    let ses = SesMailer::new(
        encaisse::adapters::ses::client_from_config(&aws),
        encaisse::adapters::ses::sender_from_env()?,
    );
    let mailer = BrandedMailer::new(Arc::new(ses), config::branding()?);
    let documents = S3DocumentFiles::new(s3::client_from_config(&aws), s3::bucket_from_env()?);
    let store = DynamoStore::new(client_from_config(&aws, None), table);
    if let Err(error) = store.warm_up().await {
        lambda_runtime::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    let notifications = DynamoNotificationStore::new(store.client().clone(), store.table());
    let notifier = Arc::new(
        Notifier::new(
            Arc::new(store),
            Arc::new(notifications),
            Arc::new(mailer),
            Arc::new(SystemClock),
            seller,
            pay_page,
        )
        .with_seller_inbox(seller_inbox)
        .with_documents(Arc::new(documents))
        .with_sold_voucher_key(sold_voucher_key),
    );
    encaisse::adapters::lambda_telemetry::run(metrics, move |event: LambdaEvent<SqsEvent>| {
        let notifier = notifier.clone();
        async move { Ok::<SqsBatchResponse, Error>(notify_batch(&notifier, event.payload).await) }
    })
    .await
}
