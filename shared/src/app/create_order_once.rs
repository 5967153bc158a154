//! `POST /v1/admin/orders` with an Idempotency-Key (optional there, api.md): the same key and
//! body replay the first answer instead of creating a second order with the next generated
//! reference; another body under the same key is refused. The completion is committed in the
//! order's own transaction, so an order never exists without its recorded answer.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::create_order::{create_order_with, CreateOrderCommand, CreateOrderError};
use super::idempotency::{completion, run_once, Refusal};
use crate::domain::Order;
use crate::ports::{IdempotencyKey, Store, StoredResponse};

#[derive(Debug, thiserror::Error)]
pub enum CreateOnceError {
    #[error(transparent)]
    Create(#[from] CreateOrderError),
    #[error("a request with this Idempotency-Key is still running")]
    InProgress,
    #[error("this Idempotency-Key was used with another body")]
    KeyReused,
}

impl From<crate::ports::StoreError> for CreateOnceError {
    fn from(e: crate::ports::StoreError) -> Self {
        CreateOnceError::Create(e.into())
    }
}

/// `respond` renders the 201 for the new order (the HTTP layer's view of it).
pub async fn create_order_once(
    store: &dyn Store,
    key: &str,
    body: &[u8],
    command: CreateOrderCommand,
    now: OffsetDateTime,
    in_progress_until: OffsetDateTime,
    respond: &(dyn Fn(&Order) -> StoredResponse + Send + Sync),
) -> Result<StoredResponse, CreateOnceError> {
    let key = IdempotencyKey {
        scope: "create-order".into(),
        key: key.to_string(),
    };
    let request_hash = format!("{:x}", Sha256::digest(body));
    run_once(
        store,
        &key,
        &request_hash,
        in_progress_until,
        now,
        |refusal| match refusal {
            Refusal::InProgress => CreateOnceError::InProgress,
            Refusal::Mismatch => CreateOnceError::KeyReused,
        },
        || async {
            let complete =
                |order: &Order| vec![completion(&key, &request_hash, &respond(order), now)];
            let order = create_order_with(store, command, now, &complete).await?;
            Ok(respond(&order))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::adapters::memory::MemoryStore;
    use crate::ports::prelude::*;

    fn body() -> serde_json::Value {
        serde_json::json!({
            "customer": {"email": "buyer@example.fr", "name": "Jeanne Martin"},
            "currency": "EUR",
            "lines": [{"sku": "A", "description": "A", "quantity": 1, "unit_price": "10.00", "tax_rate": "20"}],
            "shipping": {"method": "carrier", "amount": "0.00", "tax_rate": "20",
                         "address": {"name": "J M", "line1": "1 rue", "postcode": "83000", "city": "Toulon", "country": "FR"}}
        })
    }

    fn respond(order: &Order) -> StoredResponse {
        StoredResponse {
            status: 201,
            body: order.reference.to_string(),
        }
    }

    async fn create(
        store: &MemoryStore,
        key: &str,
        body: &serde_json::Value,
    ) -> Result<StoredResponse, CreateOnceError> {
        let bytes = serde_json::to_vec(body).unwrap();
        let command = serde_json::from_slice(&bytes).unwrap();
        let now = OffsetDateTime::now_utc();
        create_order_once(
            store,
            key,
            &bytes,
            command,
            now,
            now + time::Duration::seconds(30),
            &respond,
        )
        .await
    }

    #[tokio::test]
    async fn a_retried_creation_replays_instead_of_taking_the_next_reference() {
        let store = MemoryStore::new();
        let first = create(&store, "quote-77", &body()).await.unwrap();
        assert_eq!(first.body, "ORD-10001");
        let again = create(&store, "quote-77", &body()).await.unwrap();
        assert_eq!(again, first);
        assert_eq!(store.read_counter("order-reference").await.unwrap(), 1);
        let mut other = body();
        other["currency"] = "USD".into();
        assert!(matches!(
            create(&store, "quote-77", &other).await,
            Err(CreateOnceError::KeyReused)
        ));
        assert_eq!(
            create(&store, "quote-78", &body()).await.unwrap().body,
            "ORD-10002"
        );
    }

    #[tokio::test]
    async fn concurrent_retries_create_one_order() {
        let store = Arc::new(MemoryStore::new());
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { create(&store, "quote-9", &body()).await })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(r) => {
                    assert_eq!(r.body, "ORD-10001");
                    created += 1;
                }
                Err(CreateOnceError::InProgress) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert!(created >= 1);
        assert_eq!(store.read_counter("order-reference").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_refused_body_leaves_the_key_free() {
        let store = MemoryStore::new();
        let mut bad = body();
        bad["currency"] = "XXX".into();
        assert!(matches!(
            create(&store, "k", &bad).await,
            Err(CreateOnceError::Create(CreateOrderError::Invalid(_)))
        ));
        assert_eq!(
            create(&store, "k", &body()).await.unwrap().body,
            "ORD-10001"
        );
    }
}
