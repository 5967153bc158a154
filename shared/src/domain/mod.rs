//! Pure domain: money, orders, identifiers, the order state machine and lookup throttling.
//! Nothing here knows about AWS or HTTP.

pub mod customer;
pub mod emails;
pub mod field_error;
pub mod invoice;
pub mod invoice_text;
pub mod money;
pub mod order;
pub mod order_state;
pub mod outbox;
pub mod paris_time;
pub mod payment;
pub mod postcode;
pub mod reference;
pub mod throttle;

pub use customer::{customer_id, Billing, BillingAddress, CustomerProfile};
pub use field_error::FieldError;
pub use invoice::{Invoice, InvoiceDraft, InvoiceError, SellerIdentity};
pub use money::{Currency, Money, MoneyError};
pub use order::{Address, Customer, Locale, Order, OrderLine, Shipping, Totals};
pub use order_state::{Effect, OrderEvent, OrderStatus, Transition, TransitionError};
pub use outbox::{OutboxEvent, OutboxKind};
pub use payment::{Payment, PaymentMethod, PaymentStatus};
pub use postcode::Postcode;
pub use reference::Reference;
pub use throttle::FailureLog;
