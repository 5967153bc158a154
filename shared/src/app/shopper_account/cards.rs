//! The shopper's saved cards: listed at each PSP the customer has an id with, a renewed card's
//! expiry or holder name changed, a card detached; only one of the shopper's own cards.

use std::sync::Arc;

use sha2::Digest;

use super::{AccountError, ShopperAccount};
use crate::domain::FieldError;
use crate::ports::{SavedCard, Session};

/// `PATCH /v1/me/cards/{id}`'s body.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardUpdateInput {
    #[serde(deserialize_with = "crate::app::validate::whole_number::exact")]
    pub exp_month: u8,
    #[serde(deserialize_with = "crate::app::validate::whole_number::exact")]
    pub exp_year: u16,
    #[serde(default)]
    pub holder: Option<String>,
}

impl CardUpdateInput {
    /// A month and year not past, at most 50 years ahead; a holder name of 100 characters at
    /// most (empty: none given).
    fn checked(&self, today: time::Date) -> Result<crate::ports::CardUpdate, FieldError> {
        if !(1..=12).contains(&self.exp_month) {
            return Err(FieldError::new("exp_month", "must be a month from 1 to 12"));
        }
        let year = i32::from(self.exp_year);
        if year > today.year() + 50 {
            return Err(FieldError::new(
                "exp_year",
                "must be at most 50 years ahead",
            ));
        }
        if (year, self.exp_month) < (today.year(), u8::from(today.month())) {
            return Err(FieldError::new(
                "exp_year",
                "the card would already have expired",
            ));
        }
        Ok(crate::ports::CardUpdate {
            exp_month: self.exp_month,
            exp_year: self.exp_year,
            holder: crate::app::validate::optional_text("holder", self.holder.as_deref(), 100)?,
        })
    }
}

impl ShopperAccount {
    /// One of the shopper's own saved cards, and the connector it is saved at (another
    /// customer's card, or an unknown one, is not found).
    async fn own_card(
        &self,
        session: &Session,
        payment_method: &str,
    ) -> Result<(Arc<dyn crate::ports::PaymentProvider>, SavedCard), AccountError> {
        let Some(profile) = self.store.get_customer(&session.customer_id).await? else {
            return Err(AccountError::CardNotFound);
        };
        for (provider, customer) in &profile.value.provider_customers {
            let Ok(connector) = self.providers.get(provider) else {
                continue;
            };
            let cards = connector.list_saved_cards(customer).await?;
            if let Some(card) = cards
                .into_iter()
                .find(|c| c.payment_method == payment_method)
            {
                return Ok((connector.clone(), card));
            }
        }
        Err(AccountError::CardNotFound)
    }

    /// A renewed card's expiry, or its holder name (the number never changes).
    pub async fn update_card(
        &self,
        session: &Session,
        payment_method: &str,
        input: &CardUpdateInput,
    ) -> Result<SavedCard, AccountError> {
        let update = input.checked(crate::domain::paris_time::paris_date(self.clock.now()))?;
        let (connector, _) = self.own_card(session, payment_method).await?;
        let holder = update.holder.as_deref().unwrap_or("");
        let key = format!(
            "card-{payment_method}-{}-{}-{}",
            update.exp_month,
            update.exp_year,
            &hex::encode(sha2::Sha256::digest(holder.as_bytes()))[..16]
        );
        Ok(connector
            .update_saved_card(payment_method, &update, &key)
            .await?)
    }

    /// Takes a saved card off the customer at its PSP: it can no longer be charged.
    pub async fn delete_card(
        &self,
        session: &Session,
        payment_method: &str,
    ) -> Result<(), AccountError> {
        let (connector, _) = self.own_card(session, payment_method).await?;
        connector
            .detach_saved_card(payment_method, &format!("detach-{payment_method}"))
            .await?;
        Ok(())
    }

    /// Cards saved at each PSP the customer has an id with.
    pub async fn cards(&self, session: &Session) -> Result<Vec<SavedCard>, AccountError> {
        let Some(profile) = self.store.get_customer(&session.customer_id).await? else {
            return Ok(Vec::new());
        };
        let mut cards = Vec::new();
        for (provider, customer) in &profile.value.provider_customers {
            let Ok(connector) = self.providers.get(provider) else {
                continue;
            };
            cards.extend(connector.list_saved_cards(customer).await?);
        }
        Ok(cards)
    }
}
