//! `POST /v1/orders/{reference}/payments/{payment_id}/card-form`: our card form's answer. The
//! browser posted the card to the PSP's tokenisation server (never to us) and sends us its
//! answer; the PSP makes it a card and pre-authorises the payment's amount, with 3-D Secure
//! when it asks.
//!
//! The payment is claimed first (`created` → `processing`, a conditional write), so a new
//! attempt cannot close it while its card is being authorised; the PSP call is idempotent by
//! the form (one form, one card, one authorisation), so a retried submission replays it.

use std::sync::Arc;

use time::OffsetDateTime;

use super::apply_psp_state::{apply_psp_state, Applied, Context};
use super::review::review_check;
use super::settle::{settle, PaymentChange};
use crate::domain::fraud_review::ReviewRules;
use crate::domain::three_d_secure::ThreeDSecurePolicy;
use crate::domain::{Money, Payment, PaymentStatus, Reference};
use crate::ports::{
    BrowserDetails, CardFormSubmission, Clock, OrderWithPayments, PaymentFailure, ProviderError,
    ProviderPayment, ProviderPaymentStatus, ProviderRegistry, Store, StoreError,
};

/// What the browser sends once the tokenisation server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFormAnswer {
    pub token_data: String,
    pub browser: BrowserDetails,
    pub client_ip: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CardFormError {
    #[error("no such payment on a card form")]
    NotFound,
    /// The payment is past its card form (paid, failed, cancelled, expired).
    #[error("the payment is {0:?}")]
    NotOpen(PaymentStatus),
    /// The card was refused (by the tokenisation server or the issuer): a new attempt is
    /// needed.
    #[error("card refused: {0:?}")]
    Refused(PaymentFailure),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the shopper goes next: the PSP's 3-D Secure page, or back to the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub payment: Payment,
    pub redirect_to: String,
}

pub struct SubmitCardForm {
    store: Arc<dyn Store>,
    providers: Arc<ProviderRegistry>,
    clock: Arc<dyn Clock>,
    three_d_secure: ThreeDSecurePolicy,
    review_rules: ReviewRules,
}

impl SubmitCardForm {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<ProviderRegistry>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
            three_d_secure: ThreeDSecurePolicy::default(),
            review_rules: ReviewRules::NONE,
        }
    }

    pub fn with_three_d_secure(mut self, policy: ThreeDSecurePolicy) -> Self {
        self.three_d_secure = policy;
        self
    }

    /// The seller's fraud rules, checked when the card is authorised here.
    pub fn with_review_rules(mut self, rules: ReviewRules) -> Self {
        self.review_rules = rules;
        self
    }

    pub async fn submit(
        &self,
        reference: &Reference,
        payment_id: &str,
        answer: &CardFormAnswer,
    ) -> Result<Submitted, CardFormError> {
        let snapshot = self.read(reference).await?;
        let payment = find(&snapshot, payment_id)?.value.clone();
        let form = payment
            .card_form()
            .cloned()
            .ok_or(CardFormError::NotFound)?;
        let provider = self
            .providers
            .for_payment(&payment)
            .map_err(ProviderError::from)?
            .clone();
        let now = self.clock.now();
        let fresh = match payment.provider_payment() {
            // Submitted before: what the PSP says of it now (a retried submission).
            Some(id) => provider.fetch_payment(id).await?,
            None => {
                self.claim(&snapshot, payment_id, now).await?;
                let order = &snapshot.order.value;
                let three_ds = provider.capabilities().three_ds;
                let submission = CardFormSubmission {
                    form_id: form.form.clone(),
                    token_data: answer.token_data.clone(),
                    order_reference: reference.clone(),
                    payment_id: payment_id.to_owned(),
                    amount: Money::new(payment.amount, payment.currency)
                        .map_err(|e| ProviderError::InvalidRequest(e.to_string()))?,
                    return_url: form.return_url.clone(),
                    browser: answer.browser.clone(),
                    ip_address: answer.client_ip.clone(),
                    three_d_secure: self.three_d_secure.for_payment(
                        order.event_date,
                        crate::domain::paris_time::paris_date(now),
                        three_ds.can_request,
                        three_ds.can_skip,
                    ),
                    idempotency_key: format!("card-form-{}", form.form),
                };
                match provider.authorise_card_form(&submission).await {
                    Ok(fresh) => fresh,
                    Err(ProviderError::Declined(failure)) => {
                        self.end_claim(reference, payment_id, Some(&failure), now)
                            .await?;
                        return Err(CardFormError::Refused(failure));
                    }
                    // Unknown outcome: back to `created`, so the shopper can send the same
                    // answer again (the call replays) or start anew.
                    Err(e @ (ProviderError::Unavailable(_) | ProviderError::RateLimited)) => {
                        self.end_claim(reference, payment_id, None, now).await?;
                        return Err(e.into());
                    }
                    // The PSP refused our request for good: this attempt is over.
                    Err(e) => {
                        let failure = PaymentFailure {
                            code: "processing_error".into(),
                            decline_code: None,
                            message: e.to_string(),
                        };
                        self.end_claim(reference, payment_id, Some(&failure), now)
                            .await?;
                        return Err(e.into());
                    }
                }
            }
        };
        let payment = self.record(reference, payment_id, &fresh, now).await?;
        if fresh.status == ProviderPaymentStatus::Failed {
            let failure = fresh.failure.clone().unwrap_or(PaymentFailure {
                code: "card_declined".into(),
                decline_code: None,
                message: "The card was refused.".into(),
            });
            return Err(CardFormError::Refused(failure));
        }
        let redirect_to = match (fresh.status, &fresh.next_action_url) {
            (ProviderPaymentStatus::RequiresAction, Some(url)) => url.clone(),
            _ => form.return_url,
        };
        Ok(Submitted {
            payment,
            redirect_to,
        })
    }

    async fn read(&self, reference: &Reference) -> Result<OrderWithPayments, CardFormError> {
        self.store
            .get_order_with_payments(reference)
            .await?
            .ok_or(CardFormError::NotFound)
    }

    /// `created` → `processing`: nobody else may close it now. Already `processing` (a retry
    /// after an unanswered call) goes on: the PSP call replays.
    async fn claim(
        &self,
        snapshot: &OrderWithPayments,
        payment_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), CardFormError> {
        let stored = find(snapshot, payment_id)?;
        match stored.value.status {
            PaymentStatus::Processing => return Ok(()),
            PaymentStatus::Created if now < stored.value.expires_at => {}
            PaymentStatus::Created => return Err(CardFormError::NotOpen(PaymentStatus::Expired)),
            other => return Err(CardFormError::NotOpen(other)),
        }
        let mut claimed = stored.value.clone();
        claimed.status = PaymentStatus::Processing;
        claimed.updated_at = now;
        let writes = settle(
            snapshot,
            &snapshot.order.value,
            vec![PaymentChange {
                payment: claimed,
                expected_version: Some(stored.version),
            }],
            now,
        )
        .into_writes(snapshot.order.version, false);
        match self.store.transact(writes).await {
            Ok(()) => Ok(()),
            // Another attempt closed it, or another submission claimed it first.
            Err(StoreError::VersionConflict(_)) => {
                let again = self.read(&snapshot.order.value.reference).await?;
                match find(&again, payment_id)?.value.status {
                    PaymentStatus::Processing => Ok(()),
                    other => Err(CardFormError::NotOpen(other)),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Ends the claim: `failed` with the reason (the card refused, or our request refused for
    /// good), or back to `created` (outcome unknown). A payment moved meanwhile (its hook
    /// arrived) keeps that state.
    async fn end_claim(
        &self,
        reference: &Reference,
        payment_id: &str,
        failure: Option<&PaymentFailure>,
        now: OffsetDateTime,
    ) -> Result<(), CardFormError> {
        let snapshot = self.read(reference).await?;
        let stored = find(&snapshot, payment_id)?;
        if stored.value.status != PaymentStatus::Processing
            || stored.value.provider_payment().is_some()
        {
            return Ok(());
        }
        let mut ended = stored.value.clone();
        match failure {
            Some(failure) => {
                ended.status = PaymentStatus::Failed;
                ended.failure_code =
                    Some(failure.decline_code.clone().unwrap_or(failure.code.clone()));
            }
            None => ended.status = PaymentStatus::Created,
        }
        ended.updated_at = now;
        let writes = settle(
            &snapshot,
            &snapshot.order.value,
            vec![PaymentChange {
                payment: ended,
                expected_version: Some(stored.version),
            }],
            now,
        )
        .into_writes(snapshot.order.version, false);
        match self.store.transact(writes).await {
            Ok(()) | Err(StoreError::VersionConflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// What the PSP says of the payment, committed (with the fraud rules on an authorisation).
    async fn record(
        &self,
        reference: &Reference,
        payment_id: &str,
        fresh: &ProviderPayment,
        now: OffsetDateTime,
    ) -> Result<Payment, CardFormError> {
        let snapshot = self.read(reference).await?;
        let review = match fresh.status {
            ProviderPaymentStatus::RequiresCapture => {
                review_check(
                    self.store.as_ref(),
                    self.review_rules,
                    &snapshot,
                    payment_id,
                )
                .await?
            }
            _ => None,
        };
        let context = Context {
            review,
            ..Context::default()
        };
        let stored = find(&snapshot, payment_id)?.value.clone();
        let applied = apply_psp_state(
            self.store.as_ref(),
            Some(snapshot),
            reference,
            payment_id,
            fresh,
            context,
            now,
            &Vec::new,
        )
        .await?;
        match applied {
            Applied::Changed(payment) => Ok(*payment),
            // Its hook was first: what is stored is the PSP's state already.
            Applied::Unchanged => Ok(stored),
            Applied::Unknown => Err(CardFormError::NotFound),
        }
    }
}

fn find<'a>(
    snapshot: &'a OrderWithPayments,
    payment_id: &str,
) -> Result<&'a crate::ports::Versioned<Payment>, CardFormError> {
    snapshot
        .payments
        .iter()
        .find(|p| p.value.id == payment_id)
        .ok_or(CardFormError::NotFound)
}
