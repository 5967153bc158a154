//! The method-specific step of starting a payment: a card typed on the PSP's page, or a saved
//! card confirmed there with its security code. Each opens something at the PSP and says where
//! the shopper goes next; the use case records the payment and commits.

use time::OffsetDateTime;

use super::hosted_page::{open_page, page_expiry};
use super::start_payment::StartPaymentError;
use crate::domain::three_d_secure::ThreeDSecureRequest;
use crate::domain::{FieldError, Money, PaymentMethod, PspLink, Reference};
use crate::ports::{
    CardForm, CardFormRequest, EmbeddedPage, HostedPaymentRequest, PaymentProvider, ProviderError,
    ProviderPaymentStatus, SavedCardCharge,
};

/// What is open at the PSP for this attempt, to close if the commit loses a race.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenedAtPsp {
    /// A hosted page (Checkout Session).
    Page(String),
    /// A payment waiting for the shopper (a saved card's PaymentIntent).
    Payment(String),
    /// Nothing (a SEPA line: the PSP is asked at the month's debit only).
    Nothing,
}

impl OpenedAtPsp {
    /// Closes it so it can no longer be paid; errors are left to the PSP's own expiry.
    pub async fn close(&self, provider: &dyn PaymentProvider) {
        let _ = match self {
            OpenedAtPsp::Page(session) => provider
                .expire_hosted_payment(session, &format!("expire-{session}"))
                .await
                .map(|_| ()),
            OpenedAtPsp::Payment(id) => provider
                .cancel(id, &format!("abandon-{id}"))
                .await
                .map(|_| ()),
            OpenedAtPsp::Nothing => Ok(()),
        };
    }
}

/// What the method's step opened: the payment's method, PSP link and expiry, and where the
/// shopper goes.
pub struct Opened {
    pub method: PaymentMethod,
    pub psp: PspLink,
    pub capture: crate::domain::CaptureTiming,
    pub expires_at: OffsetDateTime,
    pub next: NextStep,
    pub at_psp: OpenedAtPsp,
}

/// Where the shopper goes next.
pub enum NextStep {
    /// To the PSP's page (hosted page, security-code page).
    Redirect(String),
    /// The PSP's form, shown inside our checkout page.
    Embedded(EmbeddedPage),
    /// Our card form: the browser posts the card to the PSP's tokenisation server, then the
    /// answer to us (`POST …/payments/{id}/card-form`).
    CardForm(CardForm),
}

/// What both methods share.
pub struct Attempt<'a> {
    pub provider: &'a dyn PaymentProvider,
    pub reference: &'a Reference,
    pub payment_id: &'a str,
    pub amount: Money,
    pub psp_customer: Option<String>,
    pub customer_email: &'a str,
    /// Where the shopper comes back: `outcome` is `returned` or `cancelled`.
    pub back: &'a (dyn Fn(&str) -> String + Sync),
    pub three_d_secure: ThreeDSecureRequest,
}

/// What the PSP's page is opened for.
pub struct PageChoice {
    /// A wallet instead of a card.
    pub wallet: Option<crate::domain::Wallet>,
    pub save_card: bool,
    pub embedded: bool,
    /// Taken as soon as it is paid (an instalment), whatever the method.
    pub capture_at_once: bool,
}

pub async fn open_card_page(
    a: Attempt<'_>,
    choice: PageChoice,
    expires_at: OffsetDateTime,
) -> Result<Opened, StartPaymentError> {
    let PageChoice {
        wallet,
        save_card,
        embedded,
        capture_at_once: at_once_asked,
    } = choice;
    let caps = a.provider.capabilities();
    if embedded && !caps.embedded_page && !caps.card_form {
        return Err(FieldError::new(
            "ui",
            "embedded is not offered by this shop's payment provider: use redirect",
        )
        .into());
    }
    let capture_at_once = at_once_asked
        || match wallet {
            None => false,
            Some(w) => match a.provider.capabilities().wallet(w) {
                Some(support) => !support.manual_capture,
                None => {
                    return Err(FieldError::new(
                        "wallet",
                        "is not offered by this shop's payment provider",
                    )
                    .into())
                }
            },
        };
    if !a.provider.capabilities().hosted_page && a.provider.capabilities().card_form {
        return open_card_form(a, save_card, capture_at_once, expires_at).await;
    }
    let hosted = open_page(
        a.provider,
        HostedPaymentRequest {
            order_reference: a.reference.clone(),
            payment_id: a.payment_id.to_owned(),
            amount: a.amount,
            description: format!("Order {}", a.reference),
            customer: a.psp_customer,
            customer_email: a.customer_email.to_owned(),
            success_url: (a.back)("returned"),
            cancel_url: (a.back)("cancelled"),
            save_card,
            expires_at,
            three_d_secure: a.three_d_secure,
            embedded,
            wallet,
            capture_at_once,
            idempotency_key: format!("hosted-{}", a.payment_id),
        },
    )
    .await?;
    let next = match (hosted.embedded, hosted.url) {
        (Some(page), _) if embedded => NextStep::Embedded(page),
        (_, Some(url)) if !embedded => NextStep::Redirect(url),
        _ => {
            return Err(ProviderError::InvalidRequest(format!(
                "the PSP's page {} is not shown as asked",
                hosted.session_id
            ))
            .into())
        }
    };
    Ok(Opened {
        method: match wallet {
            Some(wallet) => PaymentMethod::Wallet { wallet },
            None => PaymentMethod::Card,
        },
        capture: if capture_at_once {
            crate::domain::CaptureTiming::AtOnce
        } else {
            crate::domain::CaptureTiming::AtShipment
        },
        psp: PspLink {
            provider: a.provider.name().to_string(),
            payment: None,
            hosted_session: Some(hosted.session_id.clone()),
            multicapture: None,
            card_form: None,
        },
        expires_at,
        next,
        at_psp: OpenedAtPsp::Page(hosted.session_id),
    })
}

/// Our card form, where the PSP has no hosted page that authorises for a later capture
/// (MangoPay): the PSP prepares a form for one card; nothing is authorised before the shopper
/// submits it (`SubmitCardForm`).
async fn open_card_form(
    a: Attempt<'_>,
    save_card: bool,
    capture_at_once: bool,
    expires_at: OffsetDateTime,
) -> Result<Opened, StartPaymentError> {
    // Our form is always in our page: `ui` `redirect` and `embedded` alike get it.
    if capture_at_once {
        return Err(FieldError::new(
            "method",
            "this shop's payment provider takes cards on our form, authorised for a capture at \
             shipment: a payment taken at once (an instalment, gift vouchers only) is not offered",
        )
        .into());
    }
    let form = a
        .provider
        .open_card_form(&CardFormRequest {
            order_reference: a.reference.clone(),
            payment_id: a.payment_id.to_owned(),
            currency: a.amount.currency(),
            customer: a.psp_customer,
            customer_email: a.customer_email.to_owned(),
            save_card,
            idempotency_key: format!("form-{}", a.payment_id),
        })
        .await?;
    Ok(Opened {
        method: PaymentMethod::Card,
        capture: crate::domain::CaptureTiming::AtShipment,
        psp: PspLink {
            provider: a.provider.name().to_string(),
            payment: None,
            hosted_session: None,
            multicapture: None,
            card_form: Some(crate::domain::CardFormLink {
                form: form.form_id.clone(),
                return_url: (a.back)("returned"),
            }),
        },
        expires_at,
        next: NextStep::CardForm(form),
        // A card form cannot be closed at the PSP: our own payment refuses it once closed.
        at_psp: OpenedAtPsp::Nothing,
    })
}

/// A payment on a card saved on the order's customer at the PSP: checked to be one of theirs,
/// then created for the shopper to confirm with its security code on the PSP's side (and
/// 3-D Secure there when asked). Nothing is charged before the shopper confirms.
pub async fn confirm_saved_card(
    a: Attempt<'_>,
    payment_method: &str,
    now: OffsetDateTime,
    lifetime: time::Duration,
) -> Result<Opened, StartPaymentError> {
    let not_theirs = || {
        FieldError::new(
            "saved_card_id",
            "is not one of this customer's saved cards (it may have been deleted)",
        )
    };
    if !a.provider.capabilities().saved_card_checkout {
        return Err(FieldError::new(
            "method",
            "saved_card is not offered by this shop's payment provider",
        )
        .into());
    }
    let customer = a.psp_customer.clone().ok_or_else(not_theirs)?;
    let cards = a.provider.list_saved_cards(&customer).await?;
    if !cards.iter().any(|c| c.payment_method == payment_method) {
        return Err(not_theirs().into());
    }
    let charge = SavedCardCharge {
        capture_at_once: false,
        order_reference: a.reference.clone(),
        payment_id: a.payment_id.to_owned(),
        amount: a.amount,
        customer,
        payment_method: payment_method.to_owned(),
        off_session: false,
        return_url: Some((a.back)("returned")),
        shopper_confirms: true,
        three_d_secure: a.three_d_secure,
        idempotency_key: format!("saved-{}", a.payment_id),
    };
    let created = match a.provider.charge_saved_card(&charge).await {
        Ok(created) => created,
        // Detached between the list and the charge.
        Err(ProviderError::NotFound(_)) => return Err(not_theirs().into()),
        Err(e) => return Err(e.into()),
    };
    let redirect_to = match (&created.status, &created.next_action_url) {
        (ProviderPaymentStatus::RequiresConfirmation, Some(url)) => url.clone(),
        _ => {
            // Not what a shopper-confirmed charge answers: close it rather than leave a
            // payment nobody is sent to.
            let _ = a
                .provider
                .cancel(&created.id, &format!("abandon-{}", created.id))
                .await;
            return Err(ProviderError::InvalidRequest(format!(
                "a saved-card payment to confirm came back {:?}",
                created.status
            ))
            .into());
        }
    };
    Ok(Opened {
        capture: Default::default(),
        method: PaymentMethod::SavedCard {
            payment_method: payment_method.to_owned(),
        },
        psp: PspLink {
            provider: a.provider.name().to_string(),
            payment: Some(created.id.clone()),
            hosted_session: None,
            multicapture: None,
            card_form: None,
        },
        expires_at: page_expiry(now, lifetime),
        next: NextStep::Redirect(redirect_to),
        at_psp: OpenedAtPsp::Payment(created.id),
    })
}
