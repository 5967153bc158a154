//! Application services: one module per use case. They take ports, never AWS or HTTP types.

pub mod access_token;
pub mod create_order;
pub mod idempotency;
pub mod order_lookup;

pub use access_token::{AccessTokens, TokenError};
pub use create_order::{create_order, CreateOrderCommand, CreateOrderError};
pub use order_lookup::{LookupError, LookupGranted, OrderLookup};
