//! Fraud review: the rules are checked when a payment is authorised (its webhook), the order is
//! `under_review` while a review is pending, and the seller approves or rejects it in the back
//! office. A rejection closes the order first, then releases the authorisation at the PSP, so
//! the PSP's cancellation notice never reads as a lapsed authorisation to renew.

use std::sync::Arc;

use time::OffsetDateTime;

use super::apply_psp_state::{apply_psp_state, Context};
use super::settle::{settle, PaymentChange};
use crate::domain::fraud_review::{ReviewFacts, ReviewRules, ReviewStatus, RiskLevel};
use crate::domain::{customer_id, Order, OrderClosure, Payment, Reference};
use crate::ports::{
    AccountStore, Clock, OrderWithPayments, ProviderError, ProviderRegistry, Store, StoreError,
    Versioned,
};

/// What the rules need beyond the PSP's payment, read before the change is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewCheck {
    pub rules: ReviewRules,
    /// Whether this is the customer's first order; None when no rule needs it.
    pub first_order: Option<bool>,
}

/// Orders of the customer read to tell a first order (pages of 50, at most this many).
const HISTORY_PAGES: usize = 4;

/// The check for a change to `payment_id`, when the rules may open a review on it (a payment
/// not yet authorised nor reviewed); the customer's history is read only when a rule needs it.
pub async fn review_check(
    store: &dyn AccountStore,
    rules: ReviewRules,
    snapshot: &OrderWithPayments,
    payment_id: &str,
) -> Result<Option<ReviewCheck>, StoreError> {
    if rules == ReviewRules::NONE {
        return Ok(None);
    }
    let Some(stored) = snapshot.payments.iter().find(|p| p.value.id == payment_id) else {
        return Ok(None);
    };
    if stored.value.review.is_some() || stored.value.status.was_authorised() {
        return Ok(None);
    }
    let order = &snapshot.order.value;
    let billing_country = stored
        .value
        .billing
        .as_ref()
        .map(|b| b.address.country.as_str());
    let first_order = if rules.needs_first_order(billing_country, &order.shipping.address.country) {
        Some(is_first_order(store, order).await?)
    } else {
        None
    };
    Ok(Some(ReviewCheck { rules, first_order }))
}

/// No other order of this customer was ever authorised.
async fn is_first_order(store: &dyn AccountStore, order: &Order) -> Result<bool, StoreError> {
    let customer = customer_id(&order.customer.email);
    let mut after = None;
    for _ in 0..HISTORY_PAGES {
        let page = store
            .customer_orders(&customer, after.as_deref(), 50)
            .await?;
        if page
            .orders
            .iter()
            .any(|o| o.reference != order.reference && !o.amounts.authorised.is_zero())
        {
            return Ok(false);
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(true),
        }
    }
    // A long history: not a first order.
    Ok(false)
}

/// Opens the review a change that authorises `payment` calls for (called on the reconciled
/// payment, before it is committed).
pub fn open_review(
    check: &ReviewCheck,
    stored: &Payment,
    payment: &mut Payment,
    order: &Order,
    risk: Option<RiskLevel>,
    now: OffsetDateTime,
) {
    if payment.review.is_some()
        || !payment.status.was_authorised()
        || stored.status.was_authorised()
    {
        return;
    }
    let facts = ReviewFacts {
        amount: payment.amount,
        risk,
        billing_country: payment.billing.as_ref().map(|b| b.address.country.as_str()),
        shipping_country: &order.shipping.address.country,
        first_order: check.first_order,
    };
    payment.review = check.rules.open(&facts, now);
    if let Some(review) = &payment.review {
        tracing::info!(
            reference = %payment.order_reference,
            payment = %payment.id,
            reasons = ?review.reasons,
            "payment authorised under fraud review"
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("order not found")]
    NotFound,
    #[error("the order has no fraud review")]
    NoReview,
    #[error("the review was already decided otherwise ({0:?})")]
    AlreadyDecided(ReviewStatus),
    #[error("the order changed meanwhile; retry")]
    Conflict,
    #[error("payment provider: {0}")]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The back office's review list and decisions.
pub struct DecideReview {
    store: Arc<dyn Store>,
    providers: Arc<ProviderRegistry>,
    clock: Arc<dyn Clock>,
}

impl DecideReview {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<ProviderRegistry>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
        }
    }

    /// Payments waiting for a decision, oldest first.
    pub async fn pending(&self, limit: usize) -> Result<Vec<Payment>, StoreError> {
        self.store.pending_reviews(limit).await
    }

    /// Approves or rejects the order's review; deciding again the same way answers the same
    /// (a rejection whose release failed is released now).
    pub async fn decide(
        &self,
        reference: &Reference,
        decision: Decision,
    ) -> Result<OrderWithPayments, ReviewError> {
        for _ in 0..3 {
            let snapshot = self
                .store
                .get_order_with_payments(reference)
                .await?
                .ok_or(ReviewError::NotFound)?;
            let reviewed = snapshot
                .payments
                .iter()
                .rev()
                .find(|p| p.value.review.is_some())
                .cloned()
                .ok_or(ReviewError::NoReview)?;
            let status = reviewed.value.review.as_ref().map(|r| r.status);
            let wanted = match decision {
                Decision::Approve => ReviewStatus::Approved,
                Decision::Reject => ReviewStatus::Rejected,
            };
            match status {
                Some(ReviewStatus::Pending) => {
                    match self.record(&snapshot, &reviewed, decision).await {
                        Err(ReviewError::Conflict) => continue,
                        Err(e) => return Err(e),
                        Ok(()) => {}
                    }
                }
                Some(s) if s == wanted => {}
                Some(other) => return Err(ReviewError::AlreadyDecided(other)),
                None => return Err(ReviewError::NoReview),
            }
            if decision == Decision::Reject {
                self.release(reference, &reviewed.value).await?;
            }
            return self
                .store
                .get_order_with_payments(reference)
                .await?
                .ok_or(ReviewError::NotFound);
        }
        Err(ReviewError::Conflict)
    }

    /// The decision on the payment (and, for a rejection, the order closed), one transaction.
    async fn record(
        &self,
        snapshot: &OrderWithPayments,
        reviewed: &Versioned<Payment>,
        decision: Decision,
    ) -> Result<(), ReviewError> {
        let now = self.clock.now();
        let mut payment = reviewed.value.clone();
        if let Some(review) = payment.review.as_mut() {
            review.status = match decision {
                Decision::Approve => ReviewStatus::Approved,
                Decision::Reject => ReviewStatus::Rejected,
            };
            review.decided_at = Some(now);
        }
        payment.updated_at = now;
        let mut order = snapshot.order.value.clone();
        if decision == Decision::Reject {
            order.closure = Some(OrderClosure::RejectedInReview);
        }
        let settled = settle(
            snapshot,
            &order,
            vec![PaymentChange {
                payment,
                expected_version: Some(reviewed.version),
            }],
            now,
        );
        match self
            .store
            .transact(settled.into_writes(snapshot.order.version, true))
            .await
        {
            Ok(()) => {
                tracing::info!(reference = %order.reference, ?decision, "fraud review decided");
                Ok(())
            }
            Err(StoreError::VersionConflict(_) | StoreError::Contention) => {
                Err(ReviewError::Conflict)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Releases a rejected payment's authorisation at its PSP and records what the PSP says.
    async fn release(&self, reference: &Reference, payment: &Payment) -> Result<(), ReviewError> {
        let Some(psp_id) = payment.provider_payment() else {
            return Ok(());
        };
        let provider = self
            .providers
            .for_payment(payment)
            .map_err(ProviderError::from)?;
        let fresh = provider
            .cancel(psp_id, &format!("review-reject-{}", payment.id))
            .await?;
        apply_psp_state(
            self.store.as_ref(),
            None,
            reference,
            &payment.id,
            &fresh,
            Context::default(),
            self.clock.now(),
            &Vec::new,
        )
        .await?;
        Ok(())
    }
}
