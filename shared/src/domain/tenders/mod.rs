//! Tenders: what pays an order besides a PSP. Vouchers (bearer codes with a balance), the
//! customer's credit balance ("solde avoir") and on account ("compte d'attente", up to a
//! maximum outstanding); how a checkout splits what is due among them (`allocate`); and the
//! audit trail of the seller's changes.

pub mod allocation;
pub mod audit;
pub mod balance;
pub mod code_guesses;
pub mod followups;
pub mod voucher;

#[cfg(test)]
mod allocation_tests;

pub use allocation::{allocate, Allocation, AllocationError, Tender, TenderPart, VoucherOffer};
pub use audit::AuditEntry;
pub use balance::{CustomerBalance, OnAccount};
pub use code_guesses::{CodeGuessBucket, MAX_CODE_FAILURES_PER_CLIENT};
pub use followups::{given_back, tender_followups, tender_of};
pub use voucher::{Voucher, VoucherCode, VoucherStatus};
