//! `StripeConnector` as the PSP port, one impl per capability.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::client::check_id;
use super::transformers as wire;
use super::{webhook, StripeConnector};
use crate::domain::Money;
use crate::ports::{
    AfterCapture, AmountRefusal, Capabilities, CardUpdate, Charges, Customers, HostedPages,
    HostedPayment, HostedPaymentRequest, HostedPaymentState, HostedPaymentStatus,
    NotificationRequest, Notifications, PaymentProvider, ProviderError, ProviderPayment,
    ProviderPaymentStatus, ProviderRefund, Refunds, SavedCard, SavedCardCharge,
    SavedPaymentMethods, WebhookError, WebhookEvent,
};

impl PaymentProvider for StripeConnector {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn check_amount(&self, amount: &Money) -> Result<(), AmountRefusal> {
        wire::amounts::chargeable(amount)
    }
}

#[async_trait]
impl Customers for StripeConnector {
    async fn create_customer(
        &self,
        email: &str,
        name: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let customer: wire::Customer = self
            .post(
                "create_customer",
                "/v1/customers".into(),
                wire::customer_form(email, name),
                idempotency_key,
            )
            .await?;
        tracing::debug!(customer = %customer.id, "stripe customer created");
        Ok(customer.id)
    }
}

#[async_trait]
impl HostedPages for StripeConnector {
    async fn open_hosted_payment(
        &self,
        request: &HostedPaymentRequest,
    ) -> Result<HostedPayment, ProviderError> {
        let session: wire::CheckoutSession = self
            .post(
                "open_hosted_payment",
                "/v1/checkout/sessions".into(),
                wire::checkout_session_form(request)?,
                &request.idempotency_key,
            )
            .await?;
        tracing::debug!(session = %session.id, payment_id = %request.payment_id, "checkout session opened");
        let script = if request.embedded {
            Some(self.config.embedded.as_ref().ok_or_else(|| {
                ProviderError::InvalidRequest("no Stripe.js key for an embedded page".into())
            })?)
        } else {
            None
        };
        Ok(session.into_hosted_payment(script)?)
    }

    async fn hosted_payment_status(
        &self,
        session_id: &str,
    ) -> Result<HostedPaymentStatus, ProviderError> {
        let path = format!("/v1/checkout/sessions/{}", check_id(session_id)?);
        let session: wire::CheckoutSession =
            self.get("hosted_payment_status", path, Vec::new()).await?;
        Ok(session.into_status()?)
    }

    /// Stripe refuses to expire a session that is no longer open (400); the caller only wants
    /// it closed, so a session already complete or expired is returned as it is.
    async fn expire_hosted_payment(
        &self,
        session_id: &str,
        idempotency_key: &str,
    ) -> Result<HostedPaymentStatus, ProviderError> {
        let path = format!("/v1/checkout/sessions/{}/expire", check_id(session_id)?);
        let result: Result<wire::CheckoutSession, _> = self
            .post("expire_hosted_payment", path, Vec::new(), idempotency_key)
            .await;
        match result {
            Ok(session) => Ok(session.into_status()?),
            Err(ProviderError::InvalidRequest(reason)) => {
                let status = self.hosted_payment_status(session_id).await?;
                match status.state {
                    HostedPaymentState::Open => Err(ProviderError::InvalidRequest(reason)),
                    HostedPaymentState::Complete | HostedPaymentState::Expired => Ok(status),
                }
            }
            Err(other) => Err(other),
        }
    }
}

/// Stripe's hosted page takes the card: no card form of ours.
#[async_trait]
impl crate::ports::CardForms for StripeConnector {}

#[async_trait]
impl SavedPaymentMethods for StripeConnector {
    async fn list_saved_cards(&self, customer: &str) -> Result<Vec<SavedCard>, ProviderError> {
        let list: wire::PaymentMethodList = self
            .get(
                "list_saved_cards",
                "/v1/payment_methods".into(),
                wire::payment_methods_query(check_id(customer)?),
            )
            .await?;
        if list.has_more {
            // Stripe's default page is 10 cards; more on one customer is not a real case yet.
            tracing::debug!(
                customer,
                "more saved cards than one page, listing the first"
            );
        }
        Ok(list
            .data
            .into_iter()
            .filter_map(wire::PaymentMethod::into_saved_card)
            .collect())
    }

    async fn update_saved_card(
        &self,
        payment_method: &str,
        update: &CardUpdate,
        idempotency_key: &str,
    ) -> Result<SavedCard, ProviderError> {
        let path = format!("/v1/payment_methods/{}", check_id(payment_method)?);
        let updated: wire::PaymentMethod = self
            .post(
                "update_saved_card",
                path,
                wire::card_update_form(update),
                idempotency_key,
            )
            .await?;
        updated
            .into_saved_card()
            .ok_or_else(|| ProviderError::Unavailable("updated card unreadable".into()))
    }

    async fn detach_saved_card(
        &self,
        payment_method: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        let path = format!("/v1/payment_methods/{}/detach", check_id(payment_method)?);
        let _: wire::PaymentMethod = self
            .post("detach_saved_card", path, Vec::new(), idempotency_key)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Charges for StripeConnector {
    async fn charge_saved_card(
        &self,
        charge: &SavedCardCharge,
    ) -> Result<ProviderPayment, ProviderError> {
        let intent: wire::PaymentIntent = self
            .post(
                "charge_saved_card",
                "/v1/payment_intents".into(),
                wire::payment_intent_form(charge)?,
                &charge.idempotency_key,
            )
            .await?;
        tracing::debug!(payment = %intent.id, payment_id = %charge.payment_id, "saved card charged");
        let confirm_url = charge
            .shopper_confirms
            .then(|| self.confirm_url(&intent, charge.return_url.as_deref()))
            .flatten();
        let mut payment = self.complete(intent).await?;
        if payment.status == ProviderPaymentStatus::RequiresConfirmation {
            payment.next_action_url = confirm_url;
        }
        Ok(payment)
    }

    async fn fetch_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        self.get_payment_intent(id).await
    }

    async fn capture(
        &self,
        id: &str,
        amount: Option<Money>,
        after: AfterCapture,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        let path = format!("/v1/payment_intents/{}/capture", check_id(id)?);
        let intent: wire::PaymentIntent = self
            .post(
                "capture",
                path,
                wire::capture_form(amount.as_ref(), after)?,
                idempotency_key,
            )
            .await?;
        self.complete(intent).await
    }

    /// As with expiry: a payment already canceled is what the caller wants, so Stripe's 400
    /// for it is answered with the payment.
    async fn cancel(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        let path = format!("/v1/payment_intents/{}/cancel", check_id(id)?);
        let result: Result<wire::PaymentIntent, _> = self
            .post("cancel", path, wire::cancel_form(), idempotency_key)
            .await;
        match result {
            Ok(intent) => self.complete(intent).await,
            Err(ProviderError::InvalidRequest(reason)) => {
                let payment = self.get_payment_intent(id).await?;
                if payment.status == ProviderPaymentStatus::Canceled {
                    Ok(payment)
                } else {
                    Err(ProviderError::InvalidRequest(reason))
                }
            }
            Err(other) => Err(other),
        }
    }
}

#[async_trait]
impl Refunds for StripeConnector {
    async fn refund(
        &self,
        id: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<ProviderRefund, ProviderError> {
        let refund: wire::Refund = self
            .post(
                "refund",
                "/v1/refunds".into(),
                wire::refund_form(check_id(id)?, &amount)?,
                idempotency_key,
            )
            .await?;
        tracing::debug!(refund = %refund.id, payment = %id, "refund created");
        Ok(refund.into_refund()?)
    }

    async fn fetch_refund(&self, id: &str) -> Result<ProviderRefund, ProviderError> {
        let path = format!("/v1/refunds/{}", check_id(id)?);
        let refund: wire::Refund = self.get("fetch_refund", path, Vec::new()).await?;
        Ok(refund.into_refund()?)
    }
}

impl Notifications for StripeConnector {
    /// Stripe signs the POST body (`Stripe-Signature`); nothing else of the request matters.
    fn parse_notification(
        &self,
        request: &NotificationRequest,
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        let signature = request
            .header("stripe-signature")
            .ok_or(WebhookError::MalformedSignature)?;
        webhook::verify(
            &request.body,
            signature,
            now,
            &self.config.webhook_secrets,
            self.config.webhook_tolerance,
        )
    }
}
