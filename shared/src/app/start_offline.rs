//! `method: bank_transfer` or `cheque`: nothing is asked of a PSP. The rest is recorded as an
//! awaited payment (`created`: the order waits for it, `payment_pending`), with the vouchers
//! and credit reserved for it, and the shopper is told where to send the money and which
//! reference to quote. The seller records what arrives (`record_offline`); choosing another
//! method meanwhile replaces the awaited payment like any unfinished attempt.

use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use super::idempotency::completion;
use super::payment_view::{NextAction, PaymentView, StartedPaymentView};
use super::settle::{settle, PaymentChange};
use super::start_payment::StartPayment;
use super::start_payment_error::StartPaymentError;
use super::start_payment_method::OpenedAtPsp;
use crate::domain::{
    Billing, CaptureTiming, CustomerProfile, FieldError, Money, OfflineKind, Order, Payment,
    PaymentMethod, PaymentStatus,
};
use crate::ports::{IdempotencyKey, OrderWithPayments, StoreError, StoredResponse, Write};

/// How long an awaited transfer or cheque is shown as such when the quote sets no expiry:
/// its date is information for the shopper, nothing expires it by itself.
pub const DEFAULT_OFFLINE_WAIT: Duration = Duration::days(30);

/// What `start_claimed` hands over for a transfer or cheque.
pub(super) struct OfflineStart<'a> {
    pub(super) payment_id: &'a str,
    pub(super) kind: OfflineKind,
    pub(super) amount: Money,
    pub(super) customer: CustomerProfile,
    pub(super) customer_version: Option<u64>,
    pub(super) billing: Billing,
    /// The unfinished attempt closed for this one, if any, and the tenders reserved now.
    pub(super) closed: Vec<PaymentChange>,
    pub(super) draws: Vec<Write>,
    pub(super) tender_views: Vec<PaymentView>,
}

/// The awaited payment: no reference and no day of receipt until the seller records it.
fn awaited(order: &Order, start: &OfflineStart<'_>, now: OffsetDateTime) -> Payment {
    Payment {
        id: start.payment_id.to_string(),
        order_reference: order.reference.clone(),
        method: PaymentMethod::Offline {
            kind: start.kind,
            seller_reference: String::new(),
            received_on: None,
        },
        status: PaymentStatus::Created,
        amount: start.amount.amount(),
        currency: start.amount.currency(),
        psp: None,
        captured_amount: Decimal::ZERO,
        refunded_amount: Decimal::ZERO,
        shipped_amount: Decimal::ZERO,
        shipped_at: None,
        released: None,
        failure_code: None,
        billing: Some(start.billing.clone()),
        created_at: now,
        updated_at: now,
        expires_at: order
            .expires_at
            .filter(|at| *at > now)
            .unwrap_or(now + DEFAULT_OFFLINE_WAIT),
        authorised_at: None,
        dispute: None,
        review: None,
        capture: CaptureTiming::AtOnce,
        due_on: None,
        reserved_for: None,
        credited_amount: Decimal::ZERO,
    }
}

impl StartPayment {
    /// Records the awaited payment, the tenders' reservations, the order and the idempotent
    /// answer (with the instructions) in one transaction.
    pub(super) async fn start_offline(
        &self,
        snapshot: &OrderWithPayments,
        moved_order: Order,
        start: OfflineStart<'_>,
        key: &IdempotencyKey,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<StoredResponse, StartPaymentError> {
        let order = &snapshot.order.value;
        let instructions = self
            .offline()
            .for_order(start.kind, &order.reference, start.amount)
            .ok_or_else(|| FieldError::new("method", "this shop does not take this method"))?;
        let payment = awaited(order, &start, now);
        let view = StartedPaymentView {
            payment: PaymentView::new(&payment),
            next_action: Some(NextAction::pay_offline(instructions)),
            instalments: Vec::new(),
            tenders: start.tender_views,
        };
        let response = StoredResponse {
            status: 201,
            body: serde_json::to_string(&view).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        let mut changes = start.closed;
        changes.push(PaymentChange {
            payment,
            expected_version: None,
        });
        let settled = settle(snapshot, &moved_order, changes, now);
        let mut writes = settled.into_writes(snapshot.order.version, true);
        writes.extend(start.draws);
        writes.extend([
            Write::PutCustomer {
                customer: start.customer,
                expected_version: start.customer_version,
            },
            completion(key, request_hash, &response, now),
        ]);
        match self
            .store()
            .transact(crate::ports::merge_adjustments(writes))
            .await
        {
            Ok(()) => {
                crate::telemetry::payment_started(crate::telemetry::StartedWith::Offline);
                Ok(response)
            }
            // A voucher spent, or the order moved meanwhile: nothing was opened, read again.
            Err(StoreError::VersionConflict(_) | StoreError::AlreadyExists(_)) => {
                Err(StartPaymentError::Raced {
                    opened: OpenedAtPsp::Nothing,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}
