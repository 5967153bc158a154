//! SEPA direct debit collected once a month (the Opisto way): mandates, the customer's SEPA
//! standing (cap, state, score), the month's debit and the inter-bank calendar it is dated by.

pub mod account;
pub mod calendar;
pub mod cap_rule;
pub mod countries;
pub mod emails;
pub mod mandate;
pub mod month;
pub mod purchase;

pub use account::{SepaAccount, SepaState, StoredScore, SuspensionReason, MINIMUM_SCORE};
pub use cap_rule::CapRule;
pub use mandate::{Mandate, MandateStatus};
pub use month::{DebitLine, DebitMonth, DebitStatus, MonthId, OtherSettlement};
pub use purchase::{check_purchase, PurchaseRefusal};
