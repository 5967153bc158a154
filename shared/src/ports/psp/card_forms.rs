//! Our own card form, for a PSP with no hosted page that can authorise and capture later
//! (MangoPay): the shopper's browser posts the card to the PSP's tokenisation server (never to
//! us), and the token it answers becomes a card and an authorisation on our side's call.
//! `Capabilities::card_form` says whether a connector works this way.

use crate::domain::three_d_secure::ThreeDSecureRequest;
use crate::domain::{Currency, Money, Reference};

/// One card attempt: a form the PSP prepared for one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFormRequest {
    pub order_reference: Reference,
    /// Ours (`pay_…`), kept by the PSP with the attempt.
    pub payment_id: String,
    pub currency: Currency,
    /// The PSP customer to keep the card on; None (or `save_card` false): the card is kept on
    /// a customer of its own, so it is never listed among anyone's saved cards.
    pub customer: Option<String>,
    pub customer_email: String,
    pub save_card: bool,
    pub idempotency_key: String,
}

/// Where the shopper's browser posts the card, and the fields to post with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardForm {
    /// The PSP's id of this form (a MangoPay CardRegistration).
    pub form_id: String,
    /// The PSP's tokenisation server.
    pub post_url: String,
    /// Posted with the card fields, as the PSP gave them (not secrets: the shopper sees them).
    pub fields: Vec<(String, String)>,
    /// The names the PSP expects for the card number, its expiry (`MMYY`) and security code.
    pub card_fields: CardFieldNames,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFieldNames {
    pub number: String,
    pub expiry: String,
    pub security_code: String,
}

/// The browser's details that 3-D Secure needs (EMV 3DS browser data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserDetails {
    pub accept_header: String,
    pub user_agent: String,
    pub language: String,
    pub color_depth: u8,
    pub screen_height: u32,
    pub screen_width: u32,
    /// Minutes from UTC, as `Date.getTimezoneOffset()` gives them.
    pub time_zone_offset: i32,
    pub java_enabled: bool,
    pub javascript_enabled: bool,
}

/// What the tokenisation server answered the browser, sent on to authorise `amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFormSubmission {
    pub form_id: String,
    /// The tokenisation server's answer, untouched (a token, or its error code).
    pub token_data: String,
    pub order_reference: Reference,
    pub payment_id: String,
    pub amount: Money,
    /// Where 3-D Secure sends the shopper back (the PSP adds its payment's id).
    pub return_url: String,
    pub browser: BrowserDetails,
    pub ip_address: String,
    pub three_d_secure: ThreeDSecureRequest,
    pub idempotency_key: String,
}
