//! The devserver's app: every function's router on one axum server, the memory store or
//! DynamoDB (when `AWS_ENDPOINT_URL` is set), and three seeded demo quotes. The binary in
//! main.rs serves it; integration tests serve it too, on a random port.

mod demo;
pub mod sandbox_psp;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use encaisse::adapters::dynamodb::{client_from_env, schema, DynamoStore};
use encaisse::adapters::memory::MemoryStore;
use encaisse::app::{AccessTokens, OrderLookup};
use encaisse::http::{
    back_office_router, order_lookup_router, with_fallbacks, AdminAuth, BackOffice,
};
use encaisse::ports::{Clock, Store, StoreError, SystemClock};

pub use demo::{seed_demo_orders, DemoOrder};
pub use sandbox_psp::{SandboxConfig, SandboxPsp};

pub struct Options {
    pub admin_api_key: String,
    pub access_token_secret: Vec<u8>,
    /// DynamoDB table on the emulator; None for the memory store.
    pub dynamodb_table: Option<String>,
    /// The sandbox PSP mounted under `/sandbox-psp` (Stripe-compatible, see
    /// docs/stripe-subset.md).
    pub sandbox: SandboxConfig,
}

pub struct DevApp {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub store_name: String,
    pub sandbox: SandboxPsp,
}

pub async fn build(options: Options) -> Result<DevApp, StoreError> {
    let (store, store_name): (Arc<dyn Store>, String) = match options.dynamodb_table {
        Some(table) => {
            let client = client_from_env(None).await;
            schema::ensure_table(&client, &table).await?;
            let name = format!(
                "DynamoDB table {table} at {}",
                std::env::var("AWS_ENDPOINT_URL").unwrap_or_default()
            );
            (Arc::new(DynamoStore::new(client, table)), name)
        }
        None => (Arc::new(MemoryStore::new()), "memory store".into()),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let lookup = OrderLookup::new(
        store.clone(),
        AccessTokens::new(options.access_token_secret),
        clock.clone(),
    );
    let office = BackOffice {
        store: store.clone(),
        clock,
        auth: AdminAuth::ApiKey(options.admin_api_key.into()),
    };
    let sandbox = SandboxPsp::new(options.sandbox);
    let router = with_fallbacks(
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .merge(order_lookup_router(lookup))
            .merge(back_office_router(office))
            .nest("/sandbox-psp", sandbox.router()),
    );
    Ok(DevApp {
        router,
        store,
        store_name,
        sandbox,
    })
}
