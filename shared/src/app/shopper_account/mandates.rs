//! The shopper's SEPA mandates: added on the PSP's page (Stripe: the IBAN goes there, never
//! here; MangoPay: the IBAN given here passes through to it, never kept, and the shopper
//! confirms the mandate on its page),
//! brought up to date from the PSP while pending, revoked; and their SEPA standing (cap, used
//! this month, what remains, the next collection, the months collected).

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::bank_account::{bank_details_for, BankAccountInput};
use super::{AccountError, ShopperAccount};
use crate::app::return_url::with_query;
use crate::domain::paris_time::paris_date;
use crate::domain::sepa::{
    calendar::add_business_days, DebitMonth, Mandate, MandateStatus, MonthId, SepaAccount,
};
use crate::domain::{CustomerProfile, FieldError};
use crate::ports::{
    Capabilities, MandateSetupRequest, MandateSetupState, PaymentProvider, ProviderError,
    SepaWrite, Session, Write,
};

/// The business days between the month's close (the 1st) and its collection, unless the seller
/// says otherwise (`SEPA_NOTICE_DAYS`), as the mandate text agrees.
pub const DEFAULT_NOTICE_DAYS: u32 = 2;

/// A mandate added: where the shopper gives their IBAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSetup {
    pub mandate: Mandate,
    pub url: String,
}

/// The account's SEPA page: standing, this month, the months collected.
#[derive(Debug, Clone, PartialEq)]
pub struct SepaOverview {
    pub account: SepaAccount,
    pub month: MonthId,
    pub used: Decimal,
    pub remaining: Decimal,
    /// When this month's purchases are collected (its close plus the notice).
    pub next_collection: time::Date,
    /// Newest first.
    pub months: Vec<DebitMonth>,
    /// A new mandate needs the IBAN on our page (MangoPay), not on the PSP's (Stripe).
    pub bank_details_here: bool,
}

/// A pending mandate brought up to date from its set-up page (accepted, or abandoned); None
/// when nothing changed.
pub(crate) async fn refresh_mandate(
    provider: &dyn PaymentProvider,
    stored: &Mandate,
    now: OffsetDateTime,
) -> Result<Option<Mandate>, ProviderError> {
    let mut mandate = stored.clone();
    let status = provider
        .mandate_setup_status(&mandate.setup_session)
        .await?;
    match (status.state, status.mandate) {
        (_, Some(accepted)) => {
            mandate.psp_mandate = Some(accepted.id);
            mandate.payment_method = Some(accepted.payment_method);
            mandate.reference = accepted.reference;
            mandate.iban_last4 = accepted.iban_last4;
            mandate.bank_country = accepted.bank_country;
            mandate.accepted_at = accepted.accepted_at;
            mandate.status = accepted.status;
        }
        (MandateSetupState::Expired, None) => mandate.status = MandateStatus::Inactive,
        _ => return Ok(None),
    }
    mandate.updated_at = now;
    Ok((mandate != *stored).then_some(mandate))
}

/// Our return address with its parameters, within what the PSP takes (checked before anything
/// is asked of it).
fn fits_the_psp(
    capabilities: &Capabilities,
    return_url: &str,
    success_url: &str,
    cancel_url: &str,
) -> Result<(), FieldError> {
    let Some(max) = capabilities.mandate_return_url_max else {
        return Ok(());
    };
    let longest = success_url.len().max(cancel_url.len());
    match longest <= max {
        true => Ok(()),
        false => Err(FieldError::new(
            "return_url",
            format!(
                "too long for our payment provider: at most {} characters",
                max.saturating_sub(longest - return_url.len())
            ),
        )),
    }
}

impl ShopperAccount {
    /// Opens the PSP's page for a new mandate; the mandate is `pending` until the PSP says the
    /// customer accepted it.
    pub async fn add_mandate(
        &self,
        session: &Session,
        return_url: &str,
        bank_account: Option<&BankAccountInput>,
    ) -> Result<MandateSetup, AccountError> {
        self.payments
            .return_origins()
            .check("return_url", return_url)?;
        let provider = self.providers.for_mandates();
        let capabilities = provider.capabilities();
        if !capabilities.mandates {
            return Err(AccountError::SepaNotOffered);
        }
        let stored = self.store.get_customer(&session.customer_id).await?;
        let billing = stored.as_ref().and_then(|p| p.value.billing.as_ref());
        let bank_account = bank_details_for(capabilities, bank_account, billing)?;
        let mandate_id = Mandate::new_id();
        let back = |outcome: &str| {
            with_query(
                return_url,
                &[("mandate", mandate_id.as_str()), ("outcome", outcome)],
            )
        };
        fits_the_psp(capabilities, return_url, &back("success"), &back("cancel"))?;
        let now = self.clock.now();
        let mut profile = stored
            .as_ref()
            .map(|p| p.value.clone())
            .unwrap_or(CustomerProfile {
                id: session.customer_id.clone(),
                email: session.email.clone(),
                locale: Default::default(),
                billing: None,
                provider_customers: Default::default(),
            });
        let known = profile.provider_customers.get(provider.name()).cloned();
        let psp_customer = match known {
            Some(id) => id,
            None => {
                let name = profile
                    .billing
                    .as_ref()
                    .map_or(profile.email.as_str(), |b| b.name.as_str());
                let created = provider
                    .create_customer(&profile.email, name, &format!("customer-{}", profile.id))
                    .await?;
                profile
                    .provider_customers
                    .insert(provider.name().to_owned(), created.clone());
                created
            }
        };
        let page = provider
            .open_mandate_setup(&MandateSetupRequest {
                mandate_id: mandate_id.clone(),
                customer_id: profile.id.clone(),
                customer: psp_customer,
                success_url: back("success"),
                cancel_url: back("cancel"),
                idempotency_key: format!("mandate-setup-{mandate_id}"),
                locale: profile.locale,
                bank_account,
            })
            .await?;
        let mandate = Mandate {
            id: mandate_id,
            customer_id: profile.id.clone(),
            provider: provider.name().to_owned(),
            setup_session: page.setup_id,
            psp_mandate: None,
            payment_method: None,
            reference: None,
            iban_last4: None,
            bank_country: None,
            accepted_at: None,
            status: MandateStatus::Pending,
            created_at: now,
            updated_at: now,
        };
        let mut writes = vec![Write::Sepa(SepaWrite::PutMandate {
            mandate: mandate.clone(),
            expected_version: None,
        })];
        if stored.as_ref().is_none_or(|s| s.value != profile) {
            writes.push(Write::PutCustomer {
                customer: profile,
                expected_version: stored.map(|s| s.version),
            });
        }
        self.store.transact(writes).await?;
        Ok(MandateSetup {
            mandate,
            url: page.url,
        })
    }

    /// The shopper's mandates, oldest first; pending ones asked of the PSP first.
    pub async fn mandates(&self, session: &Session) -> Result<Vec<Mandate>, AccountError> {
        let snapshot = self.store.load_sepa(&session.customer_id).await?;
        let now = self.clock.now();
        let mut list = Vec::with_capacity(snapshot.mandates.len());
        for stored in &snapshot.mandates {
            if stored.value.status != MandateStatus::Pending {
                list.push(stored.value.clone());
                continue;
            }
            let provider = self
                .providers
                .get(&stored.value.provider)
                .map_err(|e| AccountError::Provider(ProviderError::from(e)))?;
            match refresh_mandate(provider.as_ref(), &stored.value, now).await? {
                Some(changed) => {
                    let write = SepaWrite::PutMandate {
                        mandate: changed.clone(),
                        expected_version: Some(stored.version),
                    };
                    // Another request refreshed it meanwhile: theirs is as good.
                    match self.store.transact(vec![Write::Sepa(write)]).await {
                        Ok(()) | Err(crate::ports::StoreError::VersionConflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    list.push(changed);
                }
                None => list.push(stored.value.clone()),
            }
        }
        Ok(list)
    }

    /// Revokes one of the shopper's mandates at its PSP; no debit can be taken on it after.
    /// Changed meanwhile (the PSP's notification recorded it): read again and revoked again
    /// (revoking at the PSP twice is what was asked).
    pub async fn revoke_mandate(
        &self,
        session: &Session,
        id: &str,
    ) -> Result<Mandate, AccountError> {
        let mut tries = 0;
        loop {
            match self.revoke_mandate_once(session, id).await {
                Err(AccountError::Store(crate::ports::StoreError::VersionConflict(_)))
                    if tries < 3 =>
                {
                    tries += 1;
                }
                // Still changing under us: the shopper may try again.
                Err(AccountError::Store(crate::ports::StoreError::VersionConflict(_))) => {
                    return Err(AccountError::Conflict)
                }
                other => return other,
            }
        }
    }

    async fn revoke_mandate_once(
        &self,
        session: &Session,
        id: &str,
    ) -> Result<Mandate, AccountError> {
        let snapshot = self.store.load_sepa(&session.customer_id).await?;
        let stored = snapshot.mandate(id).ok_or(AccountError::MandateNotFound)?;
        let mut mandate = stored.value.clone();
        if mandate.status == MandateStatus::Inactive {
            return Ok(mandate);
        }
        let provider = self
            .providers
            .get(&mandate.provider)
            .map_err(|e| AccountError::Provider(ProviderError::from(e)))?;
        // Accepted at the PSP since we last looked: it is the mandate that must be revoked.
        if mandate.status == MandateStatus::Pending {
            if let Some(fresh) =
                refresh_mandate(provider.as_ref(), &mandate, self.clock.now()).await?
            {
                mandate = fresh;
            }
        }
        match &mandate.payment_method {
            Some(method) => {
                provider
                    .revoke_mandate(method, &format!("revoke-{}", mandate.id))
                    .await?
            }
            // Never accepted: its set-up page is closed where the PSP has one (Stripe); a
            // MangoPay mandate never confirmed fails by itself within the hour.
            None if provider.capabilities().hosted_page => {
                let closing = provider
                    .expire_hosted_payment(
                        &mandate.setup_session,
                        &format!("expire-{}", mandate.setup_session),
                    )
                    .await;
                if let Err(e) = closing {
                    tracing::warn!(error = %crate::domain::log_safe::LogSafe(&e), "mandate set-up page not closed");
                }
            }
            None => {}
        }
        mandate.status = MandateStatus::Inactive;
        mandate.updated_at = self.clock.now();
        self.store
            .transact(vec![Write::Sepa(SepaWrite::PutMandate {
                mandate: mandate.clone(),
                expected_version: Some(stored.version),
            })])
            .await?;
        Ok(mandate)
    }

    /// The SEPA standing as the account shows it ("Suivi de mes prélèvements").
    pub async fn sepa_overview(&self, session: &Session) -> Result<SepaOverview, AccountError> {
        let settings = self
            .payments
            .sepa_settings()
            .ok_or(AccountError::SepaNotOffered)?;
        let snapshot = self.store.load_sepa(&session.customer_id).await?;
        let now = self.clock.now();
        let month = MonthId::of(paris_date(now));
        let used = snapshot
            .month(month)
            .map_or(Decimal::ZERO, |m| m.value.total);
        let account = snapshot
            .account
            .map(|a| a.value)
            .unwrap_or_else(|| SepaAccount::new(&session.customer_id, &settings.rule, now));
        Ok(SepaOverview {
            remaining: crate::domain::sepa::purchase::remaining(&account, used),
            next_collection: add_business_days(month.next().first_day(), settings.notice_days),
            account,
            month,
            used,
            months: snapshot.months.into_iter().map(|m| m.value).collect(),
            bank_details_here: self
                .providers
                .for_mandates()
                .capabilities()
                .mandate_bank_details,
        })
    }
}
