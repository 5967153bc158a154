//! `StartPayment`'s construction with the seller's settings (`with_*`), and the accessors the
//! method steps (`start_sepa`, the account) read them through. A child of `start_payment`.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::{StartPayment, DEFAULT_ATTEMPT_LIFETIME};
use crate::app::return_url::ReturnOrigins;
use crate::app::AccessTokens;
use crate::domain::three_d_secure::ThreeDSecurePolicy;
use crate::ports::{Clock, ProviderRegistry, Store};

impl StartPayment {
    pub(in crate::app) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub(in crate::app) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub(in crate::app) fn providers(&self) -> &ProviderRegistry {
        &self.providers
    }

    pub(crate) fn return_origins(&self) -> &ReturnOrigins {
        &self.origins
    }

    pub(crate) fn sepa_settings(&self) -> Option<&crate::app::start_sepa::SepaSettings> {
        self.sepa.as_ref()
    }

    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<ProviderRegistry>,
        tokens: AccessTokens,
        clock: Arc<dyn Clock>,
        origins: ReturnOrigins,
    ) -> Self {
        Self {
            store,
            providers,
            tokens,
            clock,
            origins,
            attempt_lifetime: DEFAULT_ATTEMPT_LIFETIME,
            three_d_secure: ThreeDSecurePolicy::default(),
            card_saving: Default::default(),
            wallets: Vec::new(),
            instalments: None,
            sepa: None,
            offline: Default::default(),
            modes: Default::default(),
        }
    }

    /// The payment modes of the web channel (every type by default).
    pub fn with_modes(mut self, modes: crate::domain::payment_modes::ChannelModes) -> Self {
        self.modes = modes;
        self
    }

    /// Bank transfer and cheque, as the seller takes them (none by default).
    pub fn with_offline(
        mut self,
        offline: crate::domain::offline_instructions::OfflineInstructions,
    ) -> Self {
        self.offline = offline;
        self
    }

    pub(in crate::app) fn offline(
        &self,
    ) -> &crate::domain::offline_instructions::OfflineInstructions {
        &self.offline
    }

    /// SEPA direct debit offered, with the seller's cap rule and score provider.
    pub fn with_sepa(mut self, settings: Option<crate::app::start_sepa::SepaSettings>) -> Self {
        self.sepa = settings;
        self
    }

    /// The instalment plans shoppers may choose (`INSTALMENT_PLANS`; None: none offered).
    pub fn with_instalments(
        mut self,
        policy: Option<crate::domain::instalments::InstalmentPolicy>,
    ) -> Self {
        self.instalments = policy;
        self
    }

    /// The wallets shoppers may choose (`PAYMENT_WALLETS`), within what the PSP offers.
    pub fn with_wallets(mut self, wallets: Vec<crate::domain::Wallet>) -> Self {
        self.wallets = wallets;
        self
    }

    /// Whether shoppers may ask to keep their card (`SAVE_CARD_POLICY`).
    pub fn with_card_saving(
        mut self,
        policy: crate::domain::card_saving::CardSavingPolicy,
    ) -> Self {
        self.card_saving = policy;
        self
    }

    /// The seller's 3-D Secure policy (`THREE_D_SECURE_POLICY`), applied to every page.
    pub fn with_three_d_secure(mut self, policy: ThreeDSecurePolicy) -> Self {
        self.three_d_secure = policy;
        self
    }

    /// How long a started payment stays payable (its hosted page's expiry).
    pub fn with_attempt_lifetime(mut self, lifetime: Duration) -> Self {
        self.attempt_lifetime = lifetime;
        self
    }
}
