//! Pure domain: money, orders, identifiers, the order state machine and lookup throttling.
//! Nothing here knows about AWS or HTTP.

pub mod branding;
pub mod card_saving;
pub mod customer;
pub mod dispute;
pub mod emails;
pub mod field_error;
pub mod fraud_review;
pub mod instalment_emails;
pub mod instalment_plan;
pub mod instalments;
pub mod invoice;
pub mod invoice_issued;
pub mod invoice_text;
pub mod log_safe;
pub mod money;
pub mod month_invoice;
pub mod offline_instructions;
pub mod order;
pub mod order_effects;
pub mod order_state;
pub mod outbox;
pub mod paris_time;
pub mod payment;
pub mod payment_modes;
pub mod postcode;
pub mod promo;
pub mod reference;
pub mod seller_emails;
pub mod sepa;
pub mod serde_dates;
pub mod sign_in_email;
pub mod tenders;
pub mod text_format;
pub mod three_d_secure;
pub mod throttle;
pub mod voucher_emails;

pub use customer::{customer_id, Billing, BillingAddress, CustomerProfile};
pub use dispute::{Dispute, DisputeKind, DisputeStatus};
pub use field_error::FieldError;
pub use invoice::{Invoice, InvoiceDraft, InvoiceError, SellerIdentity};
pub use money::{Currency, Money, MoneyError};
pub use order::{Address, Customer, Locale, Order, OrderLine, Shipping, Totals};
pub use order_effects::{effects, Caused, Effect};
pub use order_state::{order_position, OrderAmounts, OrderClosure, OrderPosition, OrderStatus};
pub use outbox::{OutboxEvent, OutboxKind};
pub use payment::{
    CaptureTiming, CardFormLink, FailureReason, OfflineKind, Payment, PaymentMethod, PaymentStatus,
    PspLink, Release, ReleaseReason, Wallet,
};
pub use postcode::Postcode;
pub use reference::Reference;
pub use throttle::FailureLog;
