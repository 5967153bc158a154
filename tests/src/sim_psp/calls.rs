//! The bodies of the PSP calls the simulation added behaviour to (a saved card charged
//! off-session, a cancel replayed under its key, the cards a customer saved), kept here so
//! `provider.rs` stays the port's thin shape.

use encaisse::ports::{
    PaymentFailure, ProviderError, ProviderPayment, ProviderPaymentStatus, SavedCard,
    SavedCardCharge,
};

use super::control::OffSession;
use super::{unavailable, Fault, Intent, State};

impl State {
    /// Off-session, manual capture: the card's issuer answers as its profile says.
    pub(super) fn charge_saved_card(
        &mut self,
        charge: &SavedCardCharge,
    ) -> Result<ProviderPayment, ProviderError> {
        let fault = self.fault();
        if fault == Some(Fault::Refuse) {
            return Err(unavailable("sim: 500 before charging"));
        }
        let fingerprint = format!(
            "charge|{}|{}|{}|{}",
            charge.payment_id,
            charge.amount.amount(),
            charge.customer,
            charge.payment_method
        );
        if let Some(answer) = self.replay(&charge.idempotency_key, &fingerprint) {
            let id = answer?;
            return self.view(&id);
        }
        let saved = self
            .saved_cards
            .get(&charge.customer)
            .is_some_and(|cards| cards.contains(&charge.payment_method));
        let profile = self.cards.get(&charge.payment_method).copied();
        let failure = |code: &str| PaymentFailure {
            code: code.into(),
            decline_code: None,
            message: code.into(),
        };
        let result = match profile.filter(|_| saved) {
            None => Err(ProviderError::InvalidRequest("no such saved card".into())),
            Some(card) => match card.off_session {
                OffSession::Decline => Err(ProviderError::Declined(failure("card_declined"))),
                OffSession::Authenticate => Err(ProviderError::AuthenticationRequired(failure(
                    "authentication_required",
                ))),
                OffSession::Accept | OffSession::Challenge => {
                    let id = self.id("pi_sim_");
                    let mut intent = Intent::new(
                        charge.amount.amount(),
                        charge.amount.currency(),
                        charge.order_reference.as_str(),
                        &charge.payment_id,
                    );
                    intent.customer = Some(charge.customer.clone());
                    intent.payment_method = Some(charge.payment_method.clone());
                    intent.multicapture = card.multicapture;
                    if card.off_session == OffSession::Accept {
                        intent.authorise();
                    } else {
                        intent.status = ProviderPaymentStatus::RequiresAction;
                    }
                    self.intents.insert(id.clone(), intent);
                    if card.off_session == OffSession::Accept {
                        self.emit(
                            "payment_intent.amount_capturable_updated",
                            Some(id.clone()),
                            None,
                        );
                    }
                    Ok(id)
                }
            },
        };
        self.answers.insert(
            charge.idempotency_key.clone(),
            (fingerprint, result.clone()),
        );
        let id = result?;
        if fault == Some(Fault::Lose) {
            return Err(unavailable("sim: timed out after charging"));
        }
        self.view(&id)
    }

    /// As the Stripe connector answers: an intent already cancelled is answered as is, one that
    /// succeeded is refused.
    pub(super) fn cancel(
        &mut self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        let fault = self.fault();
        if fault == Some(Fault::Refuse) {
            return Err(unavailable("sim: 500 before cancelling"));
        }
        let fingerprint = format!("cancel|{id}");
        if let Some(answer) = self.replay(idempotency_key, &fingerprint) {
            answer?;
            return self.view(id);
        }
        let status = self
            .intents
            .get(id)
            .ok_or_else(|| ProviderError::NotFound(id.into()))?
            .status;
        let result = match status {
            ProviderPaymentStatus::Succeeded => Err(ProviderError::InvalidRequest(
                "payment_intent_unexpected_state".into(),
            )),
            ProviderPaymentStatus::Canceled => Ok(id.to_string()),
            _ => {
                self.cancel_intent(id);
                Ok(id.to_string())
            }
        };
        self.answers
            .insert(idempotency_key.into(), (fingerprint, result.clone()));
        result?;
        if fault == Some(Fault::Lose) {
            return Err(unavailable("sim: timed out after cancelling"));
        }
        self.view(id)
    }

    pub(super) fn saved_cards_of(&self, customer: &str) -> Result<Vec<SavedCard>, ProviderError> {
        if !self.customers.contains_key(customer) {
            return Err(ProviderError::NotFound(customer.into()));
        }
        Ok(self
            .saved_cards
            .get(customer)
            .into_iter()
            .flatten()
            .map(|method| self.saved_card(method))
            .collect())
    }

    pub(super) fn saved_card(&self, method: &str) -> SavedCard {
        let update = self.card_updates.get(method);
        SavedCard {
            payment_method: method.to_string(),
            brand: "visa".into(),
            last4: "4242".into(),
            exp_month: update.map_or(12, |u| u.exp_month),
            exp_year: update.map_or(2030, |u| u.exp_year),
            holder: update.and_then(|u| u.holder.clone()),
        }
    }

    /// The customer a saved card is attached to.
    pub(super) fn owner_of(&self, method: &str) -> Option<String> {
        self.saved_cards
            .iter()
            .find(|(_, methods)| methods.iter().any(|m| m == method))
            .map(|(customer, _)| customer.clone())
    }
}
