//! A notification about a SEPA mandate (MangoPay's `MANDATE_*`): the mandate read again from
//! the PSP and ours brought in line, so a mandate the debtor cancelled at their bank, that
//! expired, or that failed is inactive here before a month is debited on it, and one confirmed
//! on the PSP's page is active without waiting for the shopper's account to list it. A
//! child of `handle_webhook` (its store, clock and dedupe record).

use time::OffsetDateTime;

use super::{HandleWebhook, WebhookFailure, WebhookOutcome};
use crate::domain::sepa::{Mandate, MandateStatus};
use crate::ports::{
    PaymentProvider, ProviderError, ProviderMandate, SepaWrite, StoreError, WebhookEvent, Write,
};

/// Ours as the PSP's mandate leaves it; None when nothing changes. An inactive mandate is
/// never revived (revoked here, or over at the PSP), and an active one only ends.
pub fn mandate_after(
    stored: &Mandate,
    fresh: &ProviderMandate,
    now: OffsetDateTime,
) -> Option<Mandate> {
    let mut next = stored.clone();
    match (stored.status, fresh.status) {
        (MandateStatus::Inactive, _) => return None,
        (_, MandateStatus::Inactive) => next.status = MandateStatus::Inactive,
        (MandateStatus::Pending, MandateStatus::Active) => {
            next.status = MandateStatus::Active;
            next.psp_mandate = Some(fresh.id.clone());
            next.payment_method = Some(fresh.payment_method.clone());
            next.reference = fresh.reference.clone();
            next.iban_last4 = fresh.iban_last4.clone();
            next.bank_country = fresh.bank_country.clone();
            next.accepted_at = fresh.accepted_at;
        }
        _ => return None,
    }
    next.updated_at = now;
    Some(next)
}

impl HandleWebhook {
    pub(super) async fn apply_mandate(
        &self,
        provider: &dyn PaymentProvider,
        event: &WebhookEvent,
        psp_mandate: &str,
    ) -> Result<WebhookOutcome, WebhookFailure> {
        let fresh = match provider.fetch_mandate(psp_mandate).await {
            Ok(fresh) => fresh,
            // Not one of this account's: nothing of ours to move.
            Err(ProviderError::NotFound(_)) => return Ok(WebhookOutcome::Ignored),
            Err(e) => return Err(e.into()),
        };
        let (Some(customer), Some(ours)) = (&fresh.customer_id, &fresh.mandate_id) else {
            return Ok(WebhookOutcome::Ignored);
        };
        let snapshot = self.store.load_sepa(customer).await?;
        // Ours only if it is this very mandate at this very PSP (a tag can be copied).
        let Some(stored) = snapshot.mandate(ours).filter(|m| {
            m.value.provider == provider.name()
                && (m.value.setup_session == fresh.id
                    || m.value.psp_mandate.as_deref() == Some(fresh.id.as_str()))
        }) else {
            return Ok(WebhookOutcome::Ignored);
        };
        if stored.value.status == MandateStatus::Inactive && fresh.status == MandateStatus::Active {
            // Revoked here while still unconfirmed, then confirmed on the PSP's page (another
            // tab): cancelled there too, so no debit can ever be taken on it.
            provider
                .revoke_mandate(
                    &fresh.payment_method,
                    &format!("revoke-{}", stored.value.id),
                )
                .await?;
            tracing::info!(mandate = %stored.value.id, "a revoked mandate confirmed at the PSP was cancelled there");
            return self.record_only(provider, event).await;
        }
        let Some(next) = mandate_after(&stored.value, &fresh, self.clock.now()) else {
            return self.record_only(provider, event).await;
        };
        tracing::info!(mandate = %next.id, status = next.status.as_str(), "mandate changed at the PSP");
        let writes = vec![
            Write::Sepa(SepaWrite::PutMandate {
                mandate: next,
                expected_version: Some(stored.version),
            }),
            self.dedupe_record(provider, event),
        ];
        match self.store.transact(writes).await {
            Ok(()) => Ok(WebhookOutcome::Applied),
            // Delivered before: nothing to do again.
            Err(StoreError::AlreadyExists(_)) => Ok(WebhookOutcome::NoChange),
            // Changed meanwhile (listed, revoked): the PSP delivers the hook again.
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(status: MandateStatus) -> Mandate {
        let now = OffsetDateTime::UNIX_EPOCH;
        Mandate {
            id: "mdt_1".into(),
            customer_id: "cus_1".into(),
            provider: "mangopay".into(),
            setup_session: "mdt_m_1".into(),
            psp_mandate: None,
            payment_method: None,
            reference: None,
            iban_last4: None,
            bank_country: None,
            accepted_at: None,
            status,
            created_at: now,
            updated_at: now,
        }
    }

    fn fresh(status: MandateStatus) -> ProviderMandate {
        ProviderMandate {
            id: "mdt_m_1".into(),
            payment_method: "mdt_m_1".into(),
            status,
            reference: Some("MANGOPAY-8TA5P7Z67".into()),
            accepted_at: None,
            iban_last4: Some("3000".into()),
            bank_country: Some("DE".into()),
            customer_id: Some("cus_1".into()),
            mandate_id: Some("mdt_1".into()),
        }
    }

    #[test]
    fn a_mandate_only_moves_forward() {
        use MandateStatus::*;
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let confirmed = mandate_after(&stored(Pending), &fresh(Active), now).unwrap();
        assert_eq!(confirmed.status, Active);
        assert!(confirmed.is_usable());
        assert_eq!(confirmed.iban_last4.as_deref(), Some("3000"));
        let cancelled = mandate_after(&confirmed, &fresh(Inactive), now).unwrap();
        assert_eq!(cancelled.status, Inactive);
        assert_eq!(
            mandate_after(&cancelled, &fresh(Active), now),
            None,
            "never revived"
        );
        assert_eq!(mandate_after(&confirmed, &fresh(Active), now), None);
        assert_eq!(mandate_after(&stored(Pending), &fresh(Pending), now), None);
    }
}
