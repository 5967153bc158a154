//! The MangoPay connector: the `PaymentProvider` port over MangoPay's REST API v2.01 (the
//! subset in `docs/mangopay-subset.md`, which the sandbox PSP also speaks under `/mangopay`).
//!
//! `transformers` holds every wire type and the mapping of MangoPay's statuses and result codes
//! into the neutral ones; `client` the OAuth token, the HTTP calls with retries, idempotency
//! keys and error mapping; `port` the capabilities; `hooks` the unsigned GET notifications.
//!
//! How MangoPay's objects stand for the port's: a customer is a natural user; a card payment is
//! a card pre-authorisation (`ProviderPayment::id`), each capture a pre-authorised pay-in on
//! it, and refunds are taken from those pay-ins; pay-ins credit the seller's wallet. MangoPay has
//! no hosted page that authorises for a later capture, so cards are taken by our card form
//! (`Capabilities::card_form`): the browser posts the card to MangoPay's tokenisation server.

mod client;
mod hooks;
mod port;
mod port_cards;
mod port_mandates;
mod transformers;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use crate::config::ConfigError;
use crate::ports::{Capabilities, Multicapture, ThreeDsOptions};

pub const DEFAULT_API_BASE: &str = "https://api.mangopay.com";
pub const SANDBOX_API_BASE: &str = "https://api.sandbox.mangopay.com";

/// MangoPay: multi-capture per pre-authorisation (`MultiCapture`, read on each); a
/// pre-authorisation lasts 6.5 days (`ExpirationDate` = `AuthorizationDate` + 561,600 s in
/// MangoPay's examples), so a capture within 6 days of our own record of it is safe; 3-D Secure
/// can be forced (`SecureMode=FORCE`), an exemption cannot be asked for here; no hosted page
/// for a later capture (our card form instead); cards kept on the user but no off-session
/// charge on them (recurring registrations not wired), no wallets; SEPA mandates on an IBAN
/// bank account we pass on (`mandate_bank_details`); hooks are unsigned.
static CAPABILITIES: Capabilities = Capabilities {
    multicapture: Multicapture::PerPayment,
    capture_window: time::Duration::days(6),
    cancels_uncaptured_after: Some(time::Duration::hours(156)),
    three_ds: ThreeDsOptions {
        can_request: true,
        can_skip: false,
    },
    hosted_page: false,
    card_form: true,
    // Cards are kept on the user and listed, but charging one off-session needs MangoPay's
    // recurring registrations, not wired.
    saved_cards: false,
    saved_card_checkout: false,
    embedded_page: false,
    wallets: &[],
    mandates: true,
    mandate_bank_details: true,
    mandate_refused_countries: &["DK", "SE"],
    mandate_return_url_max: Some(220),
    signed_notifications: false,
};

#[derive(Clone)]
pub struct MangopayConfig {
    pub client_id: String,
    /// The API key (MangoPay's "passphrase"), for OAuth client credentials.
    pub api_key: String,
    /// Real MangoPay, or the sandbox PSP (`http://127.0.0.1:3000/sandbox-psp/mangopay`).
    pub api_base: String,
    /// The seller's wallet: every pay-in credits it.
    pub wallet_id: String,
    /// Retries after the first attempt, for 429, 5xx, timeouts and connection errors.
    pub max_retries: u32,
    /// First retry delay; doubled for each further retry.
    pub retry_base_delay: Duration,
    /// The whole request: connect, send and read the response.
    pub request_timeout: Duration,
}

impl MangopayConfig {
    pub fn new(client_id: &str, api_key: &str, wallet_id: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            api_key: api_key.to_owned(),
            api_base: DEFAULT_API_BASE.into(),
            wallet_id: wallet_id.to_owned(),
            max_retries: 2,
            retry_base_delay: Duration::from_millis(200),
            request_timeout: Duration::from_secs(20),
        }
    }
}

impl MangopayConfig {
    /// `MANGOPAY_CLIENT_ID`, `MANGOPAY_API_KEY` (a secret), `MANGOPAY_WALLET_ID` (the seller's
    /// wallet) and `MANGOPAY_API_BASE` (default: MangoPay's production API).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &'static str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let mut config = Self::new(
            &set("MANGOPAY_CLIENT_ID")?,
            &set("MANGOPAY_API_KEY")?,
            &set("MANGOPAY_WALLET_ID")?,
        );
        if let Ok(base) = set("MANGOPAY_API_BASE") {
            config.api_base = base.trim_end_matches('/').to_owned();
        }
        Ok(config)
    }
}

impl fmt::Debug for MangopayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MangopayConfig")
            .field("client_id", &self.client_id)
            .field("api_key", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("wallet_id", &self.wallet_id)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

pub struct MangopayConnector {
    config: MangopayConfig,
    api_base: String,
    http: reqwest::Client,
    token: client::TokenCache,
}

impl MangopayConnector {
    pub fn new(config: MangopayConfig) -> Result<Self, ConfigError> {
        let invalid = |name: &'static str, what: &str| ConfigError::Invalid(name, what.to_owned());
        if config.client_id.is_empty() || !client::is_safe_segment(&config.client_id) {
            return Err(invalid(
                "MANGOPAY_CLIENT_ID",
                "letters, digits, '-' or '_' only",
            ));
        }
        if config.api_key.trim().is_empty() {
            return Err(invalid("MANGOPAY_API_KEY", "empty"));
        }
        if !client::is_safe_segment(&config.wallet_id) {
            return Err(invalid("MANGOPAY_WALLET_ID", "not a MangoPay id"));
        }
        if !(config.api_base.starts_with("https://") || config.api_base.starts_with("http://")) {
            return Err(invalid("MANGOPAY_API_BASE", "not an http(s) URL"));
        }
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("encaisse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid("MANGOPAY_API_BASE", &format!("HTTP client: {e}")))?;
        Ok(Self {
            api_base: config.api_base.trim_end_matches('/').to_owned(),
            config,
            http,
            token: client::TokenCache::default(),
        })
    }

    /// Access tokens fetched so far (the cache asks again only when one expires).
    pub fn tokens_fetched(&self) -> u64 {
        self.token.fetched()
    }
}
