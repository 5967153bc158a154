//! What a connector can do, read by the use cases instead of constants.

use time::Duration;
/// Whether an authorisation can be captured more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Multicapture {
    /// Never: a partial capture releases the rest.
    Never,
    /// Depends on the card: the PSP says so on each payment (`ProviderPayment::multicapture`);
    /// when it did not, assume not.
    PerPayment,
    Always,
}

/// How 3-D Secure can be steered on a card payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreeDsOptions {
    /// The connector can ask for a challenge (Stripe: `request_three_d_secure=any`).
    pub can_request: bool,
    /// The connector can ask for none (exemptions).
    pub can_skip: bool,
}

/// A wallet a connector's page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletSupport {
    pub wallet: crate::domain::Wallet,
    /// Authorised now, captured at shipment (else captured at once).
    pub manual_capture: bool,
}

/// What a connector can do; the use cases read this instead of constants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub multicapture: Multicapture,
    /// How long after an authorisation a capture is safe (shortest scheme rule).
    pub capture_window: Duration,
    /// When the PSP cancels an uncaptured authorisation by itself, if it does.
    pub cancels_uncaptured_after: Option<Duration>,
    pub three_ds: ThreeDsOptions,
    /// Hosted page, saved cards (off-session charges), SEPA mandates.
    pub hosted_page: bool,
    /// No hosted page that authorises for a later capture, but our own card form posting to
    /// the PSP's tokenisation server (`CardForms`).
    pub card_form: bool,
    pub saved_cards: bool,
    /// A shopper can pay on session with a saved card, its security code asked again on the
    /// PSP's side (`SavedCardCharge::shopper_confirms`).
    pub saved_card_checkout: bool,
    /// The hosted page can be shown inside our checkout page (`HostedPaymentRequest::embedded`).
    pub embedded_page: bool,
    /// The wallets its hosted page offers, and whether each can be authorised now and captured
    /// later (else it is captured at once).
    pub wallets: &'static [WalletSupport],
    pub mandates: bool,
    /// A mandate is set up on a bank account we pass on (`MandateSetupRequest::bank_account`:
    /// the shopper types the IBAN on our page and it goes through us to the PSP, never kept),
    /// rather than on the PSP's own page where the IBAN is typed (Stripe).
    pub mandate_bank_details: bool,
    /// Countries whose IBANs the PSP refuses for a mandate (MangoPay: DK and SE).
    pub mandate_refused_countries: &'static [&'static str],
    /// The longest return address the PSP takes for a mandate's set-up (MangoPay's
    /// `ReturnURL`: 220 characters), ours with its parameters included.
    pub mandate_return_url_max: Option<usize>,
    /// Notifications carry a signature (else each is only a hint: always re-fetch).
    pub signed_notifications: bool,
}

impl Capabilities {
    /// How this connector's page takes `wallet`, if it offers it.
    pub fn wallet(&self, wallet: crate::domain::Wallet) -> Option<WalletSupport> {
        self.wallets.iter().copied().find(|w| w.wallet == wallet)
    }

    /// Whether this payment's authorisation can be captured again after a partial capture.
    pub fn can_capture_twice(&self, said_by_psp: Option<bool>) -> bool {
        match self.multicapture {
            Multicapture::Never => false,
            Multicapture::Always => true,
            Multicapture::PerPayment => said_by_psp.unwrap_or(false),
        }
    }
}
