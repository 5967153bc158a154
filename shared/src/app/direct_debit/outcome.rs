//! What the PSP says of a month's debit, recorded: paid → each purchase of the month captured
//! (its order settles: debited email, invoice); refused or returned before success → each
//! purchase failed (its order owes again); disputed after success (SEPA's late failures and
//! refund requests, up to 8 weeks, or 13 months unauthorised) → each purchase carries the
//! dispute. A return or dispute makes the month unpaid, suspends SEPA for the customer and
//! tells the customer and the seller. Orders are settled first, each in its own transaction
//! (a re-delivery finds them done), then the month with the caller's dedupe record.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::month_event;
use crate::app::settle::{settle, PaymentChange};
use crate::domain::sepa::{DebitStatus, MonthId, SepaAccount, SuspensionReason};
use crate::domain::{Dispute, DisputeKind, DisputeStatus, OutboxKind, Payment, PaymentStatus};
use crate::ports::{ProviderPayment, ProviderPaymentStatus, SepaWrite, Store, StoreError, Write};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebitOutcome {
    Paid,
    /// Refused or returned before it succeeded, with the bank's or PSP's reason.
    Returned {
        code: String,
    },
    /// Contested after it succeeded.
    Disputed {
        dispute: Dispute,
    },
}

impl DebitOutcome {
    fn status(&self) -> DebitStatus {
        match self {
            DebitOutcome::Paid => DebitStatus::Paid,
            DebitOutcome::Returned { .. } => DebitStatus::Returned,
            DebitOutcome::Disputed { .. } => DebitStatus::Disputed,
        }
    }
}

/// The outcome the PSP's debit shows, None while the bank has not answered.
pub fn debit_outcome(fresh: &ProviderPayment) -> Option<DebitOutcome> {
    match fresh.status {
        ProviderPaymentStatus::Succeeded => match &fresh.dispute {
            Some(d) if d.kind == DisputeKind::Chargeback => {
                Some(DebitOutcome::Disputed { dispute: d.clone() })
            }
            _ => Some(DebitOutcome::Paid),
        },
        ProviderPaymentStatus::RequiresPaymentMethod
        | ProviderPaymentStatus::Failed
        | ProviderPaymentStatus::Canceled => Some(DebitOutcome::Returned {
            code: fresh
                .failure
                .as_ref()
                .map(|f| f.decline_code.clone().unwrap_or_else(|| f.code.clone()))
                .unwrap_or_else(|| "debit_returned".into()),
        }),
        _ => None,
    }
}

/// Whether `outcome` moves a month in `status` (the order of a debit's life; never back).
fn moves(status: DebitStatus, outcome: &DebitOutcome) -> bool {
    use DebitStatus::*;
    match outcome {
        DebitOutcome::Paid => matches!(status, Notified | Submitted),
        DebitOutcome::Returned { .. } => matches!(status, Notified | Submitted | Paid),
        DebitOutcome::Disputed { .. } => matches!(status, Notified | Submitted | Paid),
    }
}

/// One purchase of the month as the outcome leaves it.
fn line_after(payment: &Payment, outcome: &DebitOutcome, now: OffsetDateTime) -> Option<Payment> {
    let mut next = payment.clone();
    let collected = payment.status == PaymentStatus::Captured;
    let dispute = |d: &Dispute| Dispute {
        amount: payment.amount,
        withdrawn: if d.status == DisputeStatus::Won {
            Decimal::ZERO
        } else {
            payment.amount
        },
        ..d.clone()
    };
    match outcome {
        DebitOutcome::Paid if payment.status.is_live_authorisation() => {
            next.status = PaymentStatus::Captured;
            next.captured_amount = payment.amount;
        }
        DebitOutcome::Returned { code } if payment.status.is_live_authorisation() => {
            next.status = PaymentStatus::Failed;
            next.failure_code = Some(format!("sepa_{code}"));
        }
        // Returned after it was collected: the money went back through the bank.
        DebitOutcome::Returned { code } if collected => {
            next.dispute = Some(Dispute {
                id: format!("return_{}", payment.id),
                kind: DisputeKind::Chargeback,
                status: DisputeStatus::Lost,
                amount: payment.amount,
                withdrawn: payment.amount,
                reason: code.clone(),
                respond_by: None,
                movements: 1,
                opened_at: now,
            });
        }
        DebitOutcome::Disputed { dispute: d } if collected => next.dispute = Some(dispute(d)),
        // Disputed before we recorded the collection: collected, then disputed.
        DebitOutcome::Disputed { dispute: d } if payment.status.is_live_authorisation() => {
            next.status = PaymentStatus::Captured;
            next.captured_amount = payment.amount;
            next.dispute = Some(dispute(d));
        }
        _ => return None,
    }
    next.updated_at = now;
    (next != *payment).then_some(next)
}

/// Settles the month's purchases on one order, as `changes` makes them from the order's
/// payments (retried when the order moved meanwhile; nothing to change: done).
pub(super) async fn settle_order(
    store: &dyn Store,
    reference: &crate::domain::Reference,
    now: OffsetDateTime,
    changes: impl Fn(&[crate::ports::Versioned<Payment>]) -> Vec<PaymentChange>,
) -> Result<(), StoreError> {
    for _ in 0..5 {
        let Some(snapshot) = store.get_order_with_payments(reference).await? else {
            return Ok(());
        };
        let changes = changes(&snapshot.payments);
        if changes.is_empty() {
            return Ok(());
        }
        let order = snapshot.order.value.clone();
        // Each purchase's move, counted once its commit lands (collected, returned).
        let moved: Vec<_> = changes
            .iter()
            .filter_map(|c| {
                let before = snapshot
                    .payments
                    .iter()
                    .find(|p| p.value.id == c.payment.id)?;
                Some((before.value.status, c.payment.status))
            })
            .collect();
        let writes =
            settle(&snapshot, &order, changes, now).into_writes(snapshot.order.version, false);
        match store.transact(writes).await {
            Ok(()) => {
                for (from, to) in moved {
                    crate::telemetry::payment_moved(from, to);
                }
                return Ok(());
            }
            Err(
                StoreError::VersionConflict(_)
                | StoreError::AlreadyExists(_)
                | StoreError::Contention,
            ) => {}
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contention)
}

/// Records `outcome` for the customer's `month`; `extra` (a webhook's dedupe record) commits
/// with the month. False when the month was already there (nothing but `extra` written).
pub async fn record_debit_outcome(
    store: &dyn Store,
    customer_id: &str,
    month: MonthId,
    outcome: DebitOutcome,
    now: OffsetDateTime,
    extra: Vec<Write>,
) -> Result<bool, StoreError> {
    for _ in 0..3 {
        let Some(stored) = store.get_debit_month(customer_id, month).await? else {
            return Ok(false);
        };
        if !moves(stored.value.status, &outcome) {
            if !extra.is_empty() {
                store.transact(extra.clone()).await?;
            }
            return Ok(false);
        }
        for reference in stored.value.orders() {
            settle_order(store, &reference, now, |payments| {
                payments
                    .iter()
                    .filter(|p| stored.value.lines.contains_key(&p.value.id))
                    .filter_map(|p| {
                        line_after(&p.value, &outcome, now).map(|payment| PaymentChange {
                            payment,
                            expected_version: Some(p.version),
                        })
                    })
                    .collect()
            })
            .await?;
        }
        let mut next = stored.value.clone();
        next.status = outcome.status();
        next.updated_at = now;
        let mut writes = extra.clone();
        if let DebitOutcome::Returned { code } = &outcome {
            next.failure_code = Some(code.clone());
        }
        if let DebitOutcome::Disputed { dispute } = &outcome {
            next.failure_code = Some(dispute.reason.clone());
        }
        if next.status.is_unpaid() {
            writes.push(Write::PutOutbox(month_event(
                &next,
                OutboxKind::DirectDebitReturned,
                now,
            )?));
            writes.push(suspension(store, customer_id, now).await?);
        }
        writes.push(Write::Sepa(SepaWrite::PutMonth {
            month: next,
            expected_version: Some(stored.version),
        }));
        match store.transact(writes).await {
            Ok(()) => return Ok(true),
            Err(StoreError::VersionConflict(what))
                if what.kind != crate::ports::ItemKind::Webhook => {}
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contention)
}

/// The write that suspends SEPA for the customer (a returned debit).
async fn suspension(
    store: &dyn Store,
    customer_id: &str,
    now: OffsetDateTime,
) -> Result<Write, StoreError> {
    let snapshot = store.load_sepa(customer_id).await?;
    let stored = snapshot.account;
    let mut account = stored
        .as_ref()
        .map(|a| a.value.clone())
        .unwrap_or_else(|| SepaAccount::new(customer_id, &Default::default(), now));
    account.suspend(SuspensionReason::ReturnedDebit, now);
    Ok(Write::Sepa(SepaWrite::PutAccount {
        account,
        expected_version: stored.map(|a| a.version),
    }))
}
