//! Domain events waiting to be published (outbox): written in the same transaction as the
//! state change that caused them, so an email or invoice is never lost nor sent for a change
//! that did not happen.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::order_effects::Effect;
use super::{Currency, Reference};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    PaymentReceived,
    AmountDebited,
    RefundIssued,
    InvoiceDue,
    AuthorisationReleased,
    /// The authorisation lapsed: email the shopper a pay link for what remains.
    ReauthorisationRequired,
    /// A payment is disputed: email the seller.
    DisputeOpened,
    /// A dispute was decided: email the seller the outcome.
    DisputeClosed,
    /// The shopper deleted the order from their account: email the seller.
    OrderDeletedByShopper,
    /// The seller rejected the order in fraud review: email the shopper.
    OrderRejected,
    /// An instalment could not be charged: email the shopper (retry date, pay link).
    InstalmentFailed,
    /// A SEPA month was totalled: tell the customer what will be debited, when, under which
    /// mandate (the pre-notification). `payment_id` is the month (`<customer>#<yyyy-mm>`).
    DirectDebitAnnounced,
    /// A SEPA month's debit came back (refused, returned or disputed): tell the customer and
    /// the seller. `payment_id` is the month.
    DirectDebitReturned,
    /// A month of a customer who pays monthly was totalled: issue its summary invoice (dated
    /// the month's last day) and email it. `payment_id` is the month.
    MonthInvoiceDue,
    /// An invoice or credit note was issued and its PDF kept: for the e-invoicing platform's
    /// connector (`document` says what it needs), not for the notifier.
    InvoiceIssued,
}

impl OutboxKind {
    /// Issues an invoice: kept on the daily resend list until its email is confirmed.
    pub fn issues_invoice(self) -> bool {
        matches!(self, OutboxKind::InvoiceDue | OutboxKind::MonthInvoiceDue)
    }
}

impl From<Effect> for OutboxKind {
    fn from(effect: Effect) -> Self {
        match effect {
            Effect::EmailPaymentReceived => OutboxKind::PaymentReceived,
            Effect::EmailAmountDebited => OutboxKind::AmountDebited,
            Effect::EmailRefundIssued => OutboxKind::RefundIssued,
            Effect::IssueInvoice => OutboxKind::InvoiceDue,
            Effect::EmailReauthorisationNeeded => OutboxKind::ReauthorisationRequired,
            Effect::EmailDisputeOpened => OutboxKind::DisputeOpened,
            Effect::EmailDisputeClosed => OutboxKind::DisputeClosed,
            Effect::EmailOrderRejected => OutboxKind::OrderRejected,
            Effect::EmailInstalmentFailed => OutboxKind::InstalmentFailed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// Deterministic from its cause (`<kind>#<payment>#<version>`), so the same change can
    /// never queue the same event twice; consumers dedupe on it too.
    pub id: String,
    pub kind: OutboxKind,
    pub order_reference: Reference,
    pub payment_id: String,
    /// The amount the event is about (authorised, debited, refunded).
    pub amount: Decimal,
    pub currency: Currency,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The issued document (`invoice_issued` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Box<super::invoice_issued::IssuedDocument>>,
}
