//! The connectors by name: a new payment goes to the provider configured for its method, and
//! everything after (capture, cancel, refund, notifications) to the payment's own provider.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::PaymentProvider;
use crate::domain::Payment;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no payment provider named {0:?} is configured")]
pub struct UnknownProvider(pub String);

/// Not a PSP problem but ours (configuration, or a payment with no PSP): never retried.
impl From<UnknownProvider> for super::ProviderError {
    fn from(e: UnknownProvider) -> Self {
        super::ProviderError::InvalidRequest(e.to_string())
    }
}

#[derive(Clone)]
pub struct ProviderRegistry {
    connectors: BTreeMap<&'static str, Arc<dyn PaymentProvider>>,
    /// Serves new card payments.
    cards: &'static str,
    /// Sets up new SEPA mandates, when configured (else see `for_mandates`).
    mandates: Option<&'static str>,
}

impl ProviderRegistry {
    /// One connector serving everything.
    pub fn single(provider: Arc<dyn PaymentProvider>) -> Self {
        let name = provider.name();
        Self {
            connectors: BTreeMap::from([(name, provider)]),
            cards: name,
            mandates: None,
        }
    }

    /// Adds (or replaces) a connector under its own name.
    pub fn with(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.connectors.insert(provider.name(), provider);
        self
    }

    /// New card payments go to `name` (which must be registered).
    pub fn with_cards_on(mut self, name: &str) -> Result<Self, UnknownProvider> {
        let (&key, _) = self
            .connectors
            .get_key_value(name)
            .ok_or_else(|| UnknownProvider(name.to_owned()))?;
        self.cards = key;
        Ok(self)
    }

    /// New SEPA mandates go to `name` (which must be registered and take mandates).
    pub fn with_mandates_on(mut self, name: &str) -> Result<Self, UnknownProvider> {
        let (&key, provider) = self
            .connectors
            .get_key_value(name)
            .ok_or_else(|| UnknownProvider(name.to_owned()))?;
        if !provider.capabilities().mandates {
            return Err(UnknownProvider(format!(
                "{name} (it takes no SEPA mandate)"
            )));
        }
        self.mandates = Some(key);
        Ok(self)
    }

    pub fn get(&self, name: &str) -> Result<&Arc<dyn PaymentProvider>, UnknownProvider> {
        self.connectors
            .get(name)
            .ok_or_else(|| UnknownProvider(name.to_owned()))
    }

    /// The provider that opens new card payments.
    pub fn for_cards(&self) -> &Arc<dyn PaymentProvider> {
        &self.connectors[self.cards]
    }

    /// The provider that sets up new SEPA mandates: the one configured, else the card
    /// provider when it can, else the first one that can, else the card provider (whose
    /// capabilities then say no).
    pub fn for_mandates(&self) -> &Arc<dyn PaymentProvider> {
        if let Some(name) = self.mandates {
            return &self.connectors[name];
        }
        let cards = self.for_cards();
        if cards.capabilities().mandates {
            return cards;
        }
        self.connectors
            .values()
            .find(|c| c.capabilities().mandates)
            .unwrap_or(cards)
    }

    /// The payment's own provider (an error for a payment no PSP takes part in).
    pub fn for_payment(
        &self,
        payment: &Payment,
    ) -> Result<&Arc<dyn PaymentProvider>, UnknownProvider> {
        self.get(payment.provider().unwrap_or("(none)"))
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.connectors.keys().copied()
    }
}
