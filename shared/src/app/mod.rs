//! Application services: one module per use case. They take ports, never AWS or HTTP types.

pub mod abandon_payment;
pub mod access_token;
pub mod apply_psp_state;
pub mod capture_error;
pub mod capture_on_shipment;
mod collect_instalment;
pub mod collect_instalments;
pub mod create_order;
pub mod create_order_once;
pub mod delete_order;
pub mod handle_webhook;
pub mod hosted_page;
pub mod idempotency;
pub mod notify;
mod notify_instalments;
pub mod order_lookup;
pub mod pay_token;
pub mod payment_view;
pub mod publish_outbox;
pub mod reauthorise;
pub mod reconcile;
pub mod refund;
pub mod return_url;
pub mod review;
pub mod session_token;
pub mod settle;
pub mod shopper_account;
mod start_instalments;
pub mod start_payment;
mod start_payment_error;
pub mod start_payment_method;
pub mod start_payment_request;
pub mod validate;

pub use access_token::{AccessTokens, TokenError};
pub use create_order::{create_order, CreateOrderCommand, CreateOrderError};
pub use order_lookup::{LookupError, LookupGranted, OrderLookup};
