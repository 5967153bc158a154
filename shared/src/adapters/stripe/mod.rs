//! The Stripe connector: the `PaymentProvider` port over Stripe's REST API (the subset in
//! `docs/stripe-subset.md`, which the devserver's sandbox PSP also speaks).
//!
//! `transformers` holds every wire type; `client` the HTTP calls with retries and error
//! mapping; `webhook` the Stripe-Signature check.

mod client;
mod mandates;
mod port;
mod transformers;
mod webhook;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

use self::client::check_id;
use self::transformers as wire;
use crate::config::ConfigError;
use crate::domain::Wallet;
use crate::ports::{
    Capabilities, Multicapture, ProviderError, ProviderPayment, ThreeDsOptions, WalletSupport,
};

pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// Stripe: multicapture per card (read on the charge); Visa's merchant-initiated rule keeps a
/// capture safe for 4 days 18 hours, and Stripe cancels an uncaptured authorisation after 7
/// days; 3-D Secure can be requested (`request_three_d_secure=any`), not refused.
static CAPABILITIES: Capabilities = Capabilities {
    multicapture: Multicapture::PerPayment,
    capture_window: time::Duration::hours(4 * 24 + 18),
    cancels_uncaptured_after: Some(time::Duration::days(7)),
    three_ds: ThreeDsOptions {
        can_request: true,
        can_skip: false,
    },
    hosted_page: true,
    card_form: false,
    saved_cards: true,
    // Set per connector: only with a page where the shopper confirms (`confirm_page`).
    saved_card_checkout: false,
    // Set per connector: only with a publishable key for Stripe.js.
    embedded_page: false,
    // Apple Pay and Google Pay are card wallets on Checkout; PayPal can be captured later;
    // Alipay only at once (docs.stripe.com/payments/alipay: no separate authorisation).
    wallets: &[
        WalletSupport {
            wallet: Wallet::ApplePay,
            manual_capture: true,
        },
        WalletSupport {
            wallet: Wallet::GooglePay,
            manual_capture: true,
        },
        WalletSupport {
            wallet: Wallet::Paypal,
            manual_capture: true,
        },
        WalletSupport {
            wallet: Wallet::Alipay,
            manual_capture: false,
        },
    ],
    mandates: true,
    mandate_bank_details: false,
    mandate_refused_countries: &[],
    mandate_return_url_max: None,
    signed_notifications: true,
};

#[derive(Clone)]
pub struct StripeConfig {
    pub api_key: String,
    /// Real Stripe, or the sandbox PSP (`http://127.0.0.1:3000/sandbox-psp`).
    pub api_base: String,
    /// Every secret accepted for webhook signatures: several while rotating.
    pub webhook_secrets: Vec<String>,
    pub webhook_tolerance: Duration,
    /// Retries after the first attempt, for 429, 5xx, timeouts and connection errors.
    pub max_retries: u32,
    /// First retry delay; doubled for each further retry.
    pub retry_base_delay: Duration,
    /// The whole request: connect, send and read the response.
    pub request_timeout: Duration,
    /// Where the shopper confirms a saved card with its security code (Stripe.js's CVC element
    /// and `confirmCardPayment`, on a page of ours; the sandbox serves its own at
    /// `{api_base}/confirm`). None: saved-card payments at checkout are not offered.
    pub confirm_page: Option<String>,
    /// Embedded Checkout in our page: Stripe.js and the account's publishable key
    /// (`STRIPE_PUBLISHABLE_KEY`; the sandbox's own script and `pk_test_sandbox`). None: only
    /// the redirect is offered.
    pub embedded: Option<EmbeddedScript>,
}

/// Where Stripe.js comes from and the key it is given (public, not a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedScript {
    pub script_url: String,
    pub publishable_key: String,
}

impl EmbeddedScript {
    /// The sandbox PSP's stand-in for Stripe.js, served under its API base.
    pub fn sandbox(api_base: &str) -> Self {
        EmbeddedScript {
            script_url: format!("{}/js/v3.js", api_base.trim_end_matches('/')),
            publishable_key: "pk_test_sandbox".into(),
        }
    }
}

/// Stripe.js, as Stripe requires it be loaded (never bundled).
pub const STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_key", &"<redacted>")
            .field("api_base", &self.api_base)
            .field(
                "webhook_secrets",
                &format!("<{} redacted>", self.webhook_secrets.len()),
            )
            .field("webhook_tolerance", &self.webhook_tolerance)
            .field("max_retries", &self.max_retries)
            .field("retry_base_delay", &self.retry_base_delay)
            .field("request_timeout", &self.request_timeout)
            .field("confirm_page", &self.confirm_page)
            .field("embedded", &self.embedded)
            .finish()
    }
}

impl StripeConfig {
    /// Stripe's own tolerance, and retry / timeout values that fit in a Lambda invocation.
    pub fn new(api_key: impl Into<String>, webhook_secrets: Vec<String>) -> Self {
        Self {
            api_key: api_key.into(),
            api_base: DEFAULT_API_BASE.into(),
            webhook_secrets,
            webhook_tolerance: Duration::from_secs(300),
            max_retries: 2,
            retry_base_delay: Duration::from_millis(250),
            request_timeout: Duration::from_secs(10),
            confirm_page: None,
            embedded: None,
        }
    }

    /// `STRIPE_API_KEY`, `STRIPE_API_BASE` (optional), `STRIPE_WEBHOOK_SECRET` (comma-separated),
    /// from any variable source (`config::payment_providers` passes the environment), so tests
    /// need not mutate the process environment.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &'static str| var(name).filter(|v| !v.trim().is_empty());
        let api_key = set("STRIPE_API_KEY").ok_or(ConfigError::Missing("STRIPE_API_KEY"))?;
        if HeaderValue::from_str(&format!("Bearer {}", api_key.trim())).is_err() {
            return Err(ConfigError::Invalid(
                "STRIPE_API_KEY",
                "contains characters not allowed in a header".into(),
            ));
        }
        // Only the webhook function is given the signing secret(s): without, this connector
        // calls Stripe but rejects every notification.
        let listed = set("STRIPE_WEBHOOK_SECRET");
        let secrets: Vec<String> = listed
            .iter()
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if listed.is_some() && secrets.is_empty() {
            return Err(ConfigError::Invalid(
                "STRIPE_WEBHOOK_SECRET",
                "no secret in the list".into(),
            ));
        }
        let mut config = Self::new(api_key.trim(), secrets);
        if let Some(base) = set("STRIPE_API_BASE") {
            let base = base.trim().trim_end_matches('/');
            if !(base.starts_with("https://") || base.starts_with("http://")) {
                return Err(ConfigError::Invalid(
                    "STRIPE_API_BASE",
                    "must be an http(s) URL".into(),
                ));
            }
            config.api_base = base.to_owned();
        }
        config.confirm_page = match set("STRIPE_CONFIRM_PAGE_URL") {
            Some(url) => {
                let url = url.trim().trim_end_matches('/');
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(ConfigError::Invalid(
                        "STRIPE_CONFIRM_PAGE_URL",
                        "must be an http(s) URL".into(),
                    ));
                }
                Some(url.to_owned())
            }
            // The sandbox PSP serves the page itself; real Stripe has none.
            None if config.api_base != DEFAULT_API_BASE => {
                Some(format!("{}/confirm", config.api_base))
            }
            None => None,
        };
        config.embedded = match set("STRIPE_PUBLISHABLE_KEY") {
            Some(key) if key.trim().starts_with("pk_") => Some(EmbeddedScript {
                script_url: STRIPE_JS_URL.into(),
                publishable_key: key.trim().to_owned(),
            }),
            Some(_) => {
                return Err(ConfigError::Invalid(
                    "STRIPE_PUBLISHABLE_KEY",
                    "is not a publishable key (pk_…)".into(),
                ))
            }
            None if config.api_base != DEFAULT_API_BASE => {
                Some(EmbeddedScript::sandbox(&config.api_base))
            }
            None => None,
        };
        Ok(config)
    }
}

pub struct StripeConnector {
    config: StripeConfig,
    /// Without the trailing slash; paths start with `/v1/`.
    api_base: String,
    /// Built once: connection pool, TLS and the Authorization header are reused across calls
    /// (and across invocations of a warm Lambda).
    http: reqwest::Client,
    capabilities: Capabilities,
}

impl fmt::Debug for StripeConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConnector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl StripeConnector {
    pub fn new(config: StripeConfig) -> Result<Self, ConfigError> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.api_key))
            .map_err(|_| ConfigError::Invalid("STRIPE_API_KEY", "not a header value".into()))?;
        // Keeps the key out of reqwest's and hyper's debug output.
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("encaisse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Invalid("STRIPE_API_BASE", format!("HTTP client: {e}")))?;
        let capabilities = Capabilities {
            saved_card_checkout: config.confirm_page.is_some(),
            embedded_page: config.embedded.is_some(),
            ..CAPABILITIES.clone()
        };
        Ok(Self {
            api_base: config.api_base.trim_end_matches('/').to_owned(),
            config,
            http,
            capabilities,
        })
    }

    /// The page where the shopper confirms `intent` with the card's security code, then comes
    /// back to `return_url`.
    fn confirm_url(
        &self,
        intent: &wire::PaymentIntent,
        return_url: Option<&str>,
    ) -> Option<String> {
        let page = self.config.confirm_page.as_deref()?;
        let query = serde_urlencoded::to_string([
            ("client_secret", intent.client_secret.as_deref()?),
            ("return_url", return_url?),
        ])
        .ok()?;
        Some(format!("{page}/{}?{query}", intent.id))
    }

    async fn get_payment_intent(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        let path = format!("/v1/payment_intents/{}", check_id(id)?);
        let intent: wire::PaymentIntent = self
            .get("fetch_payment", path, wire::payment_intent_query())
            .await?;
        self.with_dispute(intent).await
    }

    /// The payment, with its dispute read when the charge says it is disputed (one more call,
    /// only for those).
    async fn with_dispute(
        &self,
        intent: wire::PaymentIntent,
    ) -> Result<ProviderPayment, ProviderError> {
        let disputed = intent.disputed_charge();
        let mut payment = intent.into_payment()?;
        if let Some(charge) = disputed {
            payment.dispute = match self.dispute_of(&charge).await {
                Ok(dispute) => dispute,
                // The payment still reads (its money moved, its webhooks must not fail for
                // days): the stored dispute is kept, and the next read tries again.
                Err(error) => {
                    tracing::error!(
                        alert = "dispute_unreadable",
                        payment = %payment.id,
                        error = %crate::domain::log_safe::LogSafe(&error),
                        "the charge is disputed but its dispute could not be read"
                    );
                    None
                }
            };
        }
        Ok(payment)
    }

    async fn dispute_of(
        &self,
        charge: &str,
    ) -> Result<Option<crate::domain::Dispute>, ProviderError> {
        let list: wire::DisputeList = self
            .get(
                "fetch_dispute",
                "/v1/disputes".into(),
                wire::disputes_query(charge),
            )
            .await?;
        Ok(list
            .data
            .into_iter()
            .next()
            .map(wire::StripeDispute::into_dispute)
            .transpose()?)
    }

    /// POST responses carry the latest charge as a bare id; when money was received, refunds
    /// may exist, so the payment is re-read with the charge expanded.
    async fn complete(
        &self,
        intent: wire::PaymentIntent,
    ) -> Result<ProviderPayment, ProviderError> {
        if intent.refunds_unknown() {
            return self.get_payment_intent(&intent.id).await;
        }
        self.with_dispute(intent).await
    }
}
