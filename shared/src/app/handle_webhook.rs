//! `POST /v1/webhooks/{provider}`: a PSP tells us something changed. We check the signature,
//! re-fetch the payment (events are hints, possibly late, duplicated or reordered), reconcile,
//! and commit the payment, the order, the outbox events and the event's dedupe record in one
//! transaction.

use crate::domain::log_safe::LogSafe;
use std::sync::Arc;

#[path = "handle_webhook_mandate.rs"]
mod mandate;

use time::Duration;

use super::apply_psp_state::{apply_psp_state, Applied, Context};
use super::capture_error::CaptureError;
use super::publish_outbox::OutboxRelay;
use super::reauthorise::{renew_lapsed_authorisation, Renewal};
use super::review::review_check;
use super::settle::{settle, PaymentChange};
use crate::domain::fraud_review::ReviewRules;
use crate::domain::{Payment, PaymentStatus, Reference};
use crate::ports::{
    Clock, HostedPaymentState, HostedPaymentStatus, NotificationRequest, PaymentProvider,
    ProviderError, ProviderPaymentStatus, ProviderRegistry, Store, StoreError, WebhookError,
    WebhookEvent, Write,
};

/// Stripe retries deliveries for up to 3 days; dedupe records outlive that.
const DEDUPE_RETENTION: Duration = Duration::days(7);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The payment (and maybe the order) moved.
    Applied,
    /// Seen before, or nothing new at the PSP.
    NoChange,
    /// Not about one of our payments (another integration's, or a kind we do not use).
    Ignored,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookFailure {
    /// No connector of that name: not a route of ours.
    #[error("no payment provider {0:?}")]
    UnknownProvider(String),
    #[error("rejected: {0}")]
    Rejected(#[from] WebhookError),
    /// The PSP could not be asked; the PSP will deliver the event again.
    #[error("payment provider: {0}")]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct HandleWebhook {
    store: Arc<dyn Store>,
    providers: Arc<ProviderRegistry>,
    clock: Arc<dyn Clock>,
    /// Publishes the events a change queued right away, so emails go out at once (the
    /// scheduled relay catches whatever this misses).
    relay: Option<OutboxRelay>,
    /// The seller's fraud rules (`FRAUD_REVIEW_RULES`), checked when a payment is authorised.
    review_rules: ReviewRules,
}

impl HandleWebhook {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<ProviderRegistry>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
            relay: None,
            review_rules: ReviewRules::default(),
        }
    }

    pub fn with_review_rules(mut self, rules: ReviewRules) -> Self {
        self.review_rules = rules;
        self
    }

    pub fn with_relay(mut self, relay: OutboxRelay) -> Self {
        self.relay = Some(relay);
        self
    }

    async fn publish_now(&self) {
        if let Some(relay) = &self.relay {
            if let Err(error) = relay.publish_pending(50).await {
                tracing::warn!(error = %LogSafe(&error), "outbox not published now; the scheduled relay will");
            }
        }
    }

    /// The connectors notifications are accepted from.
    pub fn provider_names(&self) -> Vec<&'static str> {
        self.providers.names().collect()
    }

    /// `provider` is the route's `{provider}`: the connector that reads the request.
    pub async fn handle(
        &self,
        provider: &str,
        request: &NotificationRequest,
    ) -> Result<WebhookOutcome, WebhookFailure> {
        let provider = self
            .providers
            .get(provider)
            .map_err(|e| WebhookFailure::UnknownProvider(e.0))?
            .as_ref();
        let received = self.clock.now();
        let event = match provider.parse_notification(request, received) {
            Ok(event) => event,
            Err(error) => {
                if !matches!(error, WebhookError::InvalidPayload(_)) {
                    crate::telemetry::webhook_signature_refused();
                }
                return Err(error.into());
            }
        };
        crate::telemetry::webhook_handled(crate::telemetry::elapsed(event.created_at, received));
        tracing::info!(event = %event.id, kind = %event.kind, "webhook verified");
        if let Some(mandate) = &event.mandate {
            return self.apply_mandate(provider, &event, mandate).await;
        }
        let payment_id = match (&event.payment, &event.session) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(session)) => {
                let page = provider.hosted_payment_status(session).await?;
                if page.payment.is_none() && page.state == HostedPaymentState::Expired {
                    // Expired before any card was tried: no PSP payment to re-fetch.
                    return self.expire_attempt(provider, &event, page).await;
                }
                page.payment
            }
            // A refund's notification that names only the refund (MangoPay's `PAYIN_REFUND_*`):
            // its payment, from the refund as the PSP has it now.
            (None, None) => match &event.refund {
                Some(refund) => match provider.fetch_refund(refund).await {
                    Ok(found) => Some(found.payment),
                    Err(ProviderError::NotFound(_)) => return Ok(WebhookOutcome::Ignored),
                    Err(e) => return Err(e.into()),
                },
                None => None,
            },
        };
        let Some(payment_id) = payment_id else {
            if event.kind.starts_with("charge.dispute.") {
                // A dispute names its charge and, for a charge of a PaymentIntent, that too:
                // without it there is no payment of ours to follow.
                tracing::error!(alert = "dispute_without_payment", event = %event.id, "a dispute event names no payment; recorded only");
            }
            return self.record_only(provider, &event).await;
        };
        let fresh = match provider.fetch_payment(&payment_id).await {
            Ok(fresh) => fresh,
            // Not an object of this account: nothing of ours to move, and no point retrying.
            Err(ProviderError::NotFound(_)) => return Ok(WebhookOutcome::Ignored),
            Err(e) => return Err(e.into()),
        };
        // A SEPA month's debit belongs to no single order.
        if let Some(month) = fresh.direct_debit.clone() {
            return self.apply_debit(provider, &event, &month, &fresh).await;
        }
        // Our ids from the PSP's metadata, else from our own index of the PSP's ids (a PSP
        // without metadata, or a payment created elsewhere and attached to ours).
        let ours = match (
            fresh
                .order_reference
                .as_deref()
                .and_then(|r| Reference::parse(r).ok()),
            fresh.payment_id.clone(),
        ) {
            (Some(reference), Some(payment)) => Some((reference, payment)),
            _ => self
                .store
                .find_provider_payment(provider.name(), &fresh.id)
                .await?
                .map(|found| (found.order_reference, found.payment_id)),
        };
        let Some((reference, our_payment)) = ours else {
            return Ok(WebhookOutcome::Ignored);
        };
        crate::telemetry::log_context(&reference, &our_payment);

        let record = || vec![self.dedupe_record(provider, &event)];
        let now = self.clock.now();
        if fresh.status == ProviderPaymentStatus::Canceled {
            if let Some(outcome) = self
                .cancelled_by_the_psp(provider, &reference, &our_payment)
                .await?
            {
                return Ok(outcome);
            }
        }
        // An authorisation: the fraud rules may open a review. The order read for them is the
        // one the change is applied to (no second read).
        let (known, review) = if fresh.status == ProviderPaymentStatus::RequiresCapture
            && self.review_rules != ReviewRules::NONE
        {
            match self.store.get_order_with_payments(&reference).await? {
                Some(snapshot) => {
                    let check = review_check(
                        self.store.as_ref(),
                        self.review_rules,
                        &snapshot,
                        &our_payment,
                    )
                    .await?;
                    (Some(snapshot), check)
                }
                None => return Ok(WebhookOutcome::Ignored),
            }
        } else {
            (None, None)
        };
        let context = Context {
            review,
            ..Context::default()
        };
        match apply_psp_state(
            self.store.as_ref(),
            known,
            &reference,
            &our_payment,
            &fresh,
            context,
            now,
            &record,
        )
        .await
        {
            Ok(Applied::Changed(payment)) => {
                self.close_failed_page(provider, &payment).await;
                self.publish_now().await;
                Ok(WebhookOutcome::Applied)
            }
            Ok(Applied::Unchanged) => Ok(WebhookOutcome::NoChange),
            Ok(Applied::Unknown) => Ok(WebhookOutcome::Ignored),
            Err(StoreError::AlreadyExists(what))
                if what.kind == crate::ports::ItemKind::Webhook =>
            {
                Ok(WebhookOutcome::NoChange)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A failed attempt's hosted page is closed, so it cannot be paid after the order was
    /// freed for another attempt. If it was paid meanwhile, the PSP's next event says so.
    async fn close_failed_page(&self, provider: &dyn PaymentProvider, payment: &Payment) {
        let Some(session) = payment
            .hosted_session()
            .filter(|_| payment.status == PaymentStatus::Failed)
        else {
            return;
        };
        if let Err(error) = provider
            .expire_hosted_payment(session, &format!("expire-{session}"))
            .await
        {
            tracing::warn!(error = %LogSafe(&error), payment = %payment.id, "failed attempt's page not closed");
        }
    }

    /// The PSP cancelled a live authorisation by itself (Stripe does after 7 days uncaptured):
    /// the lapsed-authorisation path, before the shipment arrives: renewed on the saved card,
    /// or released with a pay-link email. None when the payment was not a live authorisation
    /// here (our own release, or news we already followed).
    async fn cancelled_by_the_psp(
        &self,
        provider: &dyn PaymentProvider,
        reference: &Reference,
        payment_id: &str,
    ) -> Result<Option<WebhookOutcome>, WebhookFailure> {
        let Some(snapshot) = self.store.get_order_with_payments(reference).await? else {
            return Ok(None);
        };
        // Closed by the seller (a review rejected): the cancellation was ours, nothing to renew.
        if snapshot.order.value.closure.is_some() {
            return Ok(None);
        }
        let Some(stored) = snapshot
            .payments
            .iter()
            .find(|p| p.value.id == payment_id && p.value.status.is_live_authorisation())
            .cloned()
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        match renew_lapsed_authorisation(
            self.store.as_ref(),
            provider,
            &snapshot,
            &stored,
            now,
            Vec::new(),
        )
        .await
        {
            Ok(Renewal::Renewed(_)) | Ok(Renewal::ShopperMustPay) => {
                self.publish_now().await;
                Ok(Some(WebhookOutcome::Applied))
            }
            Err(CaptureError::NothingToCapture) => Ok(None),
            Err(CaptureError::Provider(e)) => Err(e.into()),
            Err(CaptureError::Store(e)) => Err(e.into()),
            Err(_) => Err(StoreError::Contention.into()),
        }
    }

    /// The attempt's page expired unpaid: the payment is `expired`, the order payable again.
    async fn expire_attempt(
        &self,
        provider: &dyn PaymentProvider,
        event: &WebhookEvent,
        page: HostedPaymentStatus,
    ) -> Result<WebhookOutcome, WebhookFailure> {
        let (Some(reference), Some(payment_id)) = (
            page.order_reference
                .as_deref()
                .and_then(|r| Reference::parse(r).ok()),
            page.payment_id,
        ) else {
            return self.record_only(provider, event).await;
        };
        let Some(snapshot) = self.store.get_order_with_payments(&reference).await? else {
            return Ok(WebhookOutcome::Ignored);
        };
        let Some(stored) = snapshot.payments.iter().find(|p| p.value.id == payment_id) else {
            return Ok(WebhookOutcome::Ignored);
        };
        if !stored.value.status.is_unfinished() {
            return self.record_only(provider, event).await;
        }
        let mut expired = stored.value.clone();
        expired.status = PaymentStatus::Expired;
        expired.updated_at = self.clock.now();
        let settled = settle(
            &snapshot,
            &snapshot.order.value,
            vec![PaymentChange {
                payment: expired,
                expected_version: Some(stored.version),
            }],
            self.clock.now(),
        );
        let mut writes = settled.into_writes(snapshot.order.version, false);
        writes.push(self.dedupe_record(provider, event));
        match self.store.transact(writes).await {
            Ok(()) => Ok(WebhookOutcome::Applied),
            Err(StoreError::AlreadyExists(what))
                if what.kind == crate::ports::ItemKind::Webhook =>
            {
                Ok(WebhookOutcome::NoChange)
            }
            // Moved meanwhile (resumed, paid): the PSP will tell us again if it matters.
            Err(StoreError::VersionConflict(_)) => Err(StoreError::Contention.into()),
            Err(e) => Err(e.into()),
        }
    }

    fn dedupe_record(&self, provider: &dyn PaymentProvider, event: &WebhookEvent) -> Write {
        Write::RecordWebhook {
            provider: provider.name().to_string(),
            event_id: event.id.clone(),
            expires_at: self.clock.now() + DEDUPE_RETENTION,
        }
    }

    /// What the PSP says of a month's debit, recorded with the event's dedupe record.
    async fn apply_debit(
        &self,
        provider: &dyn PaymentProvider,
        event: &WebhookEvent,
        month: &str,
        fresh: &crate::ports::ProviderPayment,
    ) -> Result<WebhookOutcome, WebhookFailure> {
        use crate::app::direct_debit::{debit_outcome, parse_month_id, record_debit_outcome};
        let (Some((customer, month)), Some(outcome)) =
            (parse_month_id(month), debit_outcome(fresh))
        else {
            return self.record_only(provider, event).await;
        };
        let record = vec![self.dedupe_record(provider, event)];
        match record_debit_outcome(
            self.store.as_ref(),
            &customer,
            month,
            outcome,
            self.clock.now(),
            record,
        )
        .await
        {
            Ok(true) => {
                self.publish_now().await;
                Ok(WebhookOutcome::Applied)
            }
            Ok(false) | Err(StoreError::AlreadyExists(_)) => Ok(WebhookOutcome::NoChange),
            Err(e) => Err(e.into()),
        }
    }

    async fn record_only(
        &self,
        provider: &dyn PaymentProvider,
        event: &WebhookEvent,
    ) -> Result<WebhookOutcome, WebhookFailure> {
        match self
            .store
            .transact(vec![self.dedupe_record(provider, event)])
            .await
        {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => Ok(WebhookOutcome::NoChange),
            Err(e) => Err(e.into()),
        }
    }
}
