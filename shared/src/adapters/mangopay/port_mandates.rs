//! `MangopayConnector` as the `Mandates` capability: the IBAN we pass on becomes a bank
//! account on the user, a web mandate on it is confirmed by the user on MangoPay's page, the
//! month's debit is a direct-debit pay-in on the mandate, and revoking cancels the mandate.

use async_trait::async_trait;

use super::client::check_id;
use super::port::{same_request, unreadable};
use super::transformers as wire;
use super::MangopayConnector;
use crate::ports::{
    MandateDebit, MandateSetupPage, MandateSetupRequest, MandateSetupState, MandateSetupStatus,
    Mandates, ProviderError, ProviderMandate, ProviderPayment,
};

impl MangopayConnector {
    async fn mandate(&self, id: &str) -> Result<wire::Mandate, ProviderError> {
        let path = format!("/mandates/{}", check_id(id)?);
        self.get("fetch_mandate", &path).await
    }

    async fn bank_account(
        &self,
        mandate: &wire::Mandate,
    ) -> Result<wire::BankAccount, ProviderError> {
        let path = format!(
            "/users/{}/bankaccounts/{}",
            check_id(&mandate.user_id)?,
            check_id(&mandate.bank_account_id)?
        );
        self.get("fetch_bank_account", &path).await
    }

    async fn provider_mandate(
        &self,
        mandate: &wire::Mandate,
    ) -> Result<ProviderMandate, ProviderError> {
        let account = self.bank_account(mandate).await?;
        Ok(mandate.to_provider(&account))
    }

    /// The disputed pay-in's payment (a month's debit, or a card pre-authorisation), with the
    /// dispute as MangoPay has it now.
    pub(super) async fn disputed_payment(
        &self,
        id: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        let path = format!("/disputes/{}", check_id(id)?);
        let dispute: wire::MangopayDispute = self.get("fetch_dispute", &path).await?;
        let mut payment = self.payin_payment(&dispute.initial_transaction_id).await?;
        payment.dispute = Some(dispute.to_dispute().map_err(unreadable)?);
        Ok(payment)
    }

    /// A pay-in named by a notification or by our own id for a debit: a month's debit as
    /// itself, a card capture as its pre-authorisation (the card payment).
    pub(super) async fn payin_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        let path = format!("/payins/{}", check_id(id)?);
        let payin: wire::DirectDebitPayIn = self.get("fetch_payin", &path).await?;
        if payin.is_direct_debit() {
            return payin.to_provider().map_err(unreadable);
        }
        let preauth = payin.preauthorization_id.as_deref().ok_or_else(|| {
            ProviderError::NotFound(format!("pay-in {id} is neither a debit nor a capture"))
        })?;
        let preauth = self.preauthorization(preauth).await?;
        self.payment(&preauth).await
    }
}

#[async_trait]
impl Mandates for MangopayConnector {
    async fn open_mandate_setup(
        &self,
        request: &MandateSetupRequest,
    ) -> Result<MandateSetupPage, ProviderError> {
        let details = request.bank_account.as_ref().ok_or_else(|| {
            ProviderError::InvalidRequest(
                "MangoPay sets a mandate up on a bank account: its IBAN is needed".into(),
            )
        })?;
        let max = super::CAPABILITIES
            .mandate_return_url_max
            .unwrap_or(usize::MAX);
        if request.success_url.len() > max {
            return Err(ProviderError::InvalidRequest(format!(
                "the return address is longer than MangoPay's {max} characters"
            )));
        }
        let customer = check_id(&request.customer)?;
        let account: wire::BankAccount = self
            .post(
                "create_bank_account",
                &format!("/users/{customer}/bankaccounts/iban"),
                &wire::NewIbanAccount::new(details, &request.mandate_id),
                &wire::bank_account_key(customer, &details.iban),
            )
            .await?;
        same_request(account.holds(&details.iban))?;
        let mandate: wire::Mandate = self
            .post(
                "open_mandate_setup",
                "/mandates/directdebit/web",
                &wire::NewMandate {
                    bank_account_id: account.id.clone(),
                    culture: wire::culture(request.locale),
                    return_url: request.success_url.clone(),
                    tag: wire::mandate_tag(&request.mandate_id, &request.customer_id),
                },
                &request.idempotency_key,
            )
            .await?;
        same_request(mandate.bank_account_id == account.id)?;
        let url = mandate.redirect_url.clone().ok_or_else(|| {
            ProviderError::Unavailable(format!("mandate {} has no confirmation page", mandate.id))
        })?;
        tracing::debug!(mandate = %mandate.id, mandate_id = %request.mandate_id, "mandate set up");
        Ok(MandateSetupPage {
            setup_id: mandate.id,
            url,
        })
    }

    /// The mandate itself stands for its set-up: CREATED is still open, SUBMITTED or ACTIVE
    /// complete, FAILED or EXPIRED over.
    async fn mandate_setup_status(
        &self,
        setup_id: &str,
    ) -> Result<MandateSetupStatus, ProviderError> {
        let mandate = self.mandate(setup_id).await?;
        let state = mandate.setup_state();
        let accepted = match state {
            MandateSetupState::Complete => Some(self.provider_mandate(&mandate).await?),
            _ => None,
        };
        Ok(MandateSetupStatus {
            setup_id: mandate.id,
            state,
            mandate: accepted,
        })
    }

    async fn fetch_mandate(&self, mandate: &str) -> Result<ProviderMandate, ProviderError> {
        let mandate = self.mandate(mandate).await?;
        self.provider_mandate(&mandate).await
    }

    /// `payment_method` is the mandate (MangoPay debits mandates). Cancelled, it reads FAILED.
    async fn revoke_mandate(
        &self,
        payment_method: &str,
        _idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        let path = format!("/mandates/{}/cancel", check_id(payment_method)?);
        let result: Result<wire::Mandate, _> = self.put_empty("revoke_mandate", &path).await;
        match result {
            Ok(_) => Ok(()),
            // Only a SUBMITTED or ACTIVE mandate can be cancelled: one already over is what the
            // caller wants; one still CREATED fails by itself within the hour.
            Err(ProviderError::InvalidRequest(reason)) => {
                let mandate = self.mandate(payment_method).await?;
                match mandate.status() {
                    crate::domain::sepa::MandateStatus::Active => {
                        Err(ProviderError::InvalidRequest(reason))
                    }
                    _ => Ok(()),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn debit_mandate(&self, debit: &MandateDebit) -> Result<ProviderPayment, ProviderError> {
        let funds = wire::funds(&debit.amount).map_err(super::port::refused)?;
        let payin: wire::DirectDebitPayIn = self
            .post(
                "debit_mandate",
                "/payins/directdebit/direct",
                &wire::NewDirectDebit {
                    author_id: check_id(&debit.customer)?.to_owned(),
                    credited_wallet_id: self.config.wallet_id.clone(),
                    debited_funds: funds,
                    fees: wire::zero_funds(debit.amount.currency()),
                    mandate_id: check_id(&debit.mandate)?.to_owned(),
                    statement_descriptor: wire::statement_descriptor(&debit.description),
                    tag: wire::OurTag::direct_debit(&debit.debit_id).render(),
                },
                &debit.idempotency_key,
            )
            .await?;
        same_request(
            payin.mandate_id.as_deref() == Some(debit.mandate.as_str())
                && payin.debited_funds == funds,
        )?;
        tracing::debug!(payin = %payin.id, "sepa debit submitted");
        payin.to_provider().map_err(unreadable)
    }
}
