//! `StripeConnector` as the `Mandates` capability: SEPA mandates set up on a Checkout Session in
//! setup mode, read back through its SetupIntent, revoked by detaching the payment method, and
//! the month's debit as an off-session sepa_debit PaymentIntent.

use async_trait::async_trait;

use super::client::check_id;
use super::transformers as wire;
use super::StripeConnector;
use crate::ports::{
    MandateDebit, MandateSetupPage, MandateSetupRequest, MandateSetupState, MandateSetupStatus,
    Mandates, ProviderError, ProviderMandate, ProviderPayment,
};

impl StripeConnector {
    async fn payment_method(&self, id: &str) -> Result<wire::PaymentMethod, ProviderError> {
        let path = format!("/v1/payment_methods/{}", check_id(id)?);
        self.get("fetch_payment_method", path, Vec::new()).await
    }
}

#[async_trait]
impl Mandates for StripeConnector {
    async fn open_mandate_setup(
        &self,
        request: &MandateSetupRequest,
    ) -> Result<MandateSetupPage, ProviderError> {
        let session: wire::CheckoutSession = self
            .post(
                "open_mandate_setup",
                "/v1/checkout/sessions".into(),
                wire::mandate_setup_form(request),
                &request.idempotency_key,
            )
            .await?;
        let url = session.url.clone().ok_or_else(|| {
            ProviderError::Unavailable(format!("setup session {} has no url", session.id))
        })?;
        tracing::debug!(session = %session.id, mandate_id = %request.mandate_id, "mandate setup opened");
        Ok(MandateSetupPage {
            setup_id: session.id,
            url,
        })
    }

    async fn mandate_setup_status(
        &self,
        setup_id: &str,
    ) -> Result<MandateSetupStatus, ProviderError> {
        let path = format!("/v1/checkout/sessions/{}", check_id(setup_id)?);
        let session: wire::CheckoutSession = self
            .get("mandate_setup_status", path, wire::setup_session_query())
            .await?;
        let state = match session.status {
            Some(wire::CheckoutSessionStatus::Complete) => MandateSetupState::Complete,
            Some(wire::CheckoutSessionStatus::Expired) => MandateSetupState::Expired,
            _ => MandateSetupState::Open,
        };
        let mandate = match session.setup_intent {
            Some(wire::Expandable::Object(intent)) => intent.mandate.map(|m| m.id().to_string()),
            _ => None,
        };
        let mandate = match mandate {
            Some(id) => Some(self.fetch_mandate(&id).await?),
            None => None,
        };
        Ok(MandateSetupStatus {
            setup_id: session.id,
            state,
            mandate,
        })
    }

    async fn fetch_mandate(&self, mandate: &str) -> Result<ProviderMandate, ProviderError> {
        let path = format!("/v1/mandates/{}", check_id(mandate)?);
        let mandate: wire::StripeMandate = self.get("fetch_mandate", path, Vec::new()).await?;
        let method = self.payment_method(mandate.payment_method.id()).await?;
        Ok(mandate.into_mandate(method.sepa_debit.as_ref())?)
    }

    async fn revoke_mandate(
        &self,
        payment_method: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        let path = format!("/v1/payment_methods/{}/detach", check_id(payment_method)?);
        let result: Result<wire::PaymentMethod, _> = self
            .post("revoke_mandate", path, Vec::new(), idempotency_key)
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already detached (revoked before): what the caller wants.
            Err(ProviderError::InvalidRequest(reason)) => {
                let method = self.payment_method(payment_method).await?;
                match method.customer {
                    None => Ok(()),
                    Some(_) => Err(ProviderError::InvalidRequest(reason)),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn debit_mandate(&self, debit: &MandateDebit) -> Result<ProviderPayment, ProviderError> {
        let intent: wire::PaymentIntent = self
            .post(
                "debit_mandate",
                "/v1/payment_intents".into(),
                wire::sepa_debit_form(debit)?,
                &debit.idempotency_key,
            )
            .await?;
        tracing::debug!(payment = %intent.id, "sepa debit submitted");
        self.complete(intent).await
    }
}
