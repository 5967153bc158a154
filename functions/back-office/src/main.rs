//! back-office: `POST /v1/admin/orders`, `GET /v1/admin/orders/{reference}` behind IAM. Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_env, DynamoStore};
use encaisse::config;
use encaisse::http::{back_office_router, with_fallbacks, AdminAuth, BackOffice};
use encaisse::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let table = config::table_name()?;
    let store = DynamoStore::new(client_from_env(None).await, table);
    if let Err(error) = store.warm_up().await {
        lambda_http::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    let office = BackOffice {
        store: Arc::new(store),
        clock: Arc::new(SystemClock),
        auth: AdminAuth::ApiGatewayIam,
    };
    lambda_http::run(with_fallbacks(back_office_router(office))).await
}
