//! What the application needs from the outside world, as traits; adapters implement them.

pub mod account;
pub mod clock;
pub mod debit_jobs;
pub mod documents;
pub mod event_queue;
pub mod idempotency;
pub mod idempotency_decision;
pub mod invoices;
pub mod mailer;
pub mod psp;
pub mod score;
pub mod sepa_store;
pub mod store;
pub mod tenders;

pub use account::*;
pub use clock::{Clock, SystemClock};
pub use debit_jobs::{DebitJob, DebitJobQueue};
pub use documents::{document_key, DocumentFiles, DocumentLink, LINK_LIFETIME};
pub use event_queue::{EventQueue, QueueError, RoutedEventQueue};
pub use idempotency::*;
pub use idempotency_decision::{decide_claim, ExistingRecord, RecordState};
pub use invoices::*;
pub use mailer::*;
pub use psp::*;
pub use score::{ScoreProvider, ScoreUnavailable};
pub use sepa_store::*;
pub use store::*;
pub use tenders::{merge_adjustments, CheckoutReads, TenderSnapshot, TenderStore, TenderWrite};

/// Every port trait (store and PSP), for code that calls them through `dyn Store` or
/// `dyn PaymentProvider`.
pub mod prelude {
    pub use super::psp::prelude::*;
    pub use super::store::prelude::*;
}
