//! What happens at the PSP without us asking: the shopper on the hosted page, a page that
//! expires, an authorisation the PSP cancels by itself; and what the checks read back.

use encaisse::ports::{HostedPaymentState, PaymentFailure, ProviderPayment, ProviderPaymentStatus};
use rust_decimal::Decimal;

use super::{Intent, SimPsp};

/// How an issuer answers an off-session charge of a saved card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffSession {
    Accept,
    Decline,
    /// `authentication_required`: the shopper must be present.
    Authenticate,
    /// Accepted into `requires_action` (3-D Secure nobody will answer).
    Challenge,
}

/// A card: whether it can be captured more than once, and how its issuer answers off-session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardProfile {
    pub multicapture: bool,
    pub off_session: OffSession,
}

/// The shopper's card on the hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    Authorised(CardProfile),
    Declined,
}

/// An intent as the checks read it.
#[derive(Debug, Clone)]
pub struct IntentView {
    pub payment: ProviderPayment,
    pub multicapture: bool,
    pub was_authorised: bool,
    pub cancelled_by_psp: bool,
}

impl SimPsp {
    /// The shopper submits a card on the hosted page `session`; false if the page is closed.
    pub fn pay(&self, session: &str, card: Card) -> bool {
        let mut st = self.lock();
        let Some(s) = st.sessions.get(session).cloned() else {
            return false;
        };
        if s.state != HostedPaymentState::Open {
            return false;
        }
        let intent_id = match s.intent.clone() {
            Some(id) => id,
            None => {
                let id = st.id("pi_sim_");
                let mut intent = Intent::new(s.amount, s.currency, &s.reference, &s.payment_id);
                intent.customer = s.customer.clone();
                st.intents.insert(id.clone(), intent);
                if let Some(page) = st.sessions.get_mut(session) {
                    page.intent = Some(id.clone());
                }
                id
            }
        };
        match card {
            Card::Declined => {
                if let Some(intent) = st.intents.get_mut(&intent_id) {
                    intent.failure = Some(PaymentFailure {
                        code: "card_declined".into(),
                        decline_code: Some("generic_decline".into()),
                        message: "Your card was declined.".into(),
                    });
                }
                st.emit("payment_intent.payment_failed", Some(intent_id), None);
            }
            Card::Authorised(profile) => {
                let method = st.id("pm_sim_");
                st.cards.insert(method.clone(), profile);
                if let (true, Some(customer)) = (s.save_card, s.customer.clone()) {
                    st.saved_cards
                        .entry(customer)
                        .or_default()
                        .push(method.clone());
                }
                if let Some(intent) = st.intents.get_mut(&intent_id) {
                    intent.payment_method = Some(method);
                    intent.multicapture = profile.multicapture;
                    intent.authorise();
                }
                if let Some(page) = st.sessions.get_mut(session) {
                    page.state = HostedPaymentState::Complete;
                }
                st.emit("checkout.session.completed", None, Some(session.into()));
                st.emit(
                    "payment_intent.amount_capturable_updated",
                    Some(intent_id),
                    None,
                );
            }
        }
        true
    }

    /// The page's lifetime ran out: expired, its unpaid intent cancelled, as Stripe does.
    /// False if it was not open.
    pub fn expire_session(&self, session: &str) -> bool {
        let mut st = self.lock();
        let Some(page) = st.sessions.get_mut(session) else {
            return false;
        };
        if page.state != HostedPaymentState::Open {
            return false;
        }
        page.state = HostedPaymentState::Expired;
        if let Some(intent) = page.intent.clone() {
            st.cancel_intent(&intent);
        }
        st.emit("checkout.session.expired", None, Some(session.into()));
        true
    }

    /// Stripe cancels an authorisation left uncaptured for 7 days (`payment_intent.canceled`,
    /// nothing captured). False if `intent` holds no such authorisation.
    pub fn cancel_by_psp(&self, intent: &str) -> bool {
        let mut st = self.lock();
        let eligible = st.intents.get(intent).is_some_and(|i| {
            i.status == ProviderPaymentStatus::RequiresCapture && i.received == Decimal::ZERO
        });
        if !eligible {
            return false;
        }
        if let Some(i) = st.intents.get_mut(intent) {
            i.cancelled_by_psp = true;
        }
        st.cancel_intent(intent)
    }

    /// The PSP's truth about a payment, by our payment id.
    pub fn payment_of(&self, payment_id: &str) -> Option<ProviderPayment> {
        let st = self.lock();
        let id = st
            .intents
            .iter()
            .find(|(_, i)| i.payment_id == payment_id)
            .map(|(id, _)| id.clone())?;
        st.view(&id).ok()
    }

    /// Every intent of an order (by our reference), oldest first.
    pub fn intents_of(&self, reference: &str) -> Vec<IntentView> {
        let st = self.lock();
        let mut ids: Vec<&String> = st
            .intents
            .iter()
            .filter(|(_, i)| i.reference == reference)
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        ids.into_iter()
            .filter_map(|id| {
                let i = &st.intents[id];
                Some(IntentView {
                    payment: st.view(id).ok()?,
                    multicapture: i.multicapture,
                    was_authorised: i.was_authorised,
                    cancelled_by_psp: i.cancelled_by_psp,
                })
            })
            .collect()
    }
}
