//! `SimPsp` as the `PaymentProvider` port: idempotency keys replayed as Stripe does, money
//! movements recorded, events emitted, faults applied where the simulation armed them.

use async_trait::async_trait;
use encaisse::domain::Money;
use encaisse::ports::{
    AfterCapture, AmountRefusal, Capabilities, Charges, Customers, HostedPages, HostedPayment,
    HostedPaymentRequest, HostedPaymentState, HostedPaymentStatus, Multicapture,
    NotificationRequest, Notifications, PaymentProvider, ProviderError, ProviderPayment,
    ProviderPaymentStatus, ProviderRefund, RefundState, Refunds, SavedCard, SavedCardCharge,
    SavedPaymentMethods, ThreeDsOptions, WebhookError, WebhookEvent,
};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::{unavailable, Fault, Movement, Session, SimPsp, SIM_SIGNATURE};

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
    saved_card_checkout: false,
    embedded_page: false,
    wallets: &[],
    mandates: false,
    mandate_bank_details: false,
    mandate_refused_countries: &[],
    mandate_return_url_max: None,
    signed_notifications: true,
};

impl PaymentProvider for SimPsp {
    fn name(&self) -> &'static str {
        "stripe"
    }

    /// The Stripe connector's, except multicapture, which the model decides per payment.
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    /// The model takes any positive amount.
    fn check_amount(&self, amount: &Money) -> Result<(), AmountRefusal> {
        match amount.amount() > Decimal::ZERO {
            true => Ok(()),
            false => Err(AmountRefusal::amount("must be above zero")),
        }
    }
}

#[async_trait]
impl Customers for SimPsp {
    async fn create_customer(
        &self,
        email: &str,
        _name: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        // Lets concurrent simulated calls interleave at the PSP as they would over a network.
        tokio::task::yield_now().await;
        let mut st = self.lock();
        if let Some(answer) = st.replay(idempotency_key, email) {
            return answer;
        }
        let id = st.id("cus_sim_");
        st.customers.insert(id.clone(), email.into());
        st.answers
            .insert(idempotency_key.into(), (email.into(), Ok(id.clone())));
        Ok(id)
    }
}

#[async_trait]
impl HostedPages for SimPsp {
    async fn open_hosted_payment(
        &self,
        request: &HostedPaymentRequest,
    ) -> Result<HostedPayment, ProviderError> {
        tokio::task::yield_now().await;
        let mut st = self.lock();
        let fingerprint = format!("{}|{}", request.payment_id, request.amount.amount());
        let id = match st.replay(&request.idempotency_key, &fingerprint) {
            Some(answer) => answer?,
            None => {
                let id = st.id("cs_sim_");
                st.sessions.insert(
                    id.clone(),
                    Session {
                        state: HostedPaymentState::Open,
                        intent: None,
                        reference: request.order_reference.to_string(),
                        payment_id: request.payment_id.clone(),
                        amount: request.amount.amount(),
                        currency: request.amount.currency(),
                        customer: request.customer.clone(),
                        save_card: request.save_card,
                    },
                );
                st.answers.insert(
                    request.idempotency_key.clone(),
                    (fingerprint, Ok(id.clone())),
                );
                id
            }
        };
        Ok(HostedPayment {
            url: Some(format!("https://psp.example/pay/{id}")),
            embedded: None,
            session_id: id,
        })
    }

    async fn hosted_payment_status(
        &self,
        session_id: &str,
    ) -> Result<HostedPaymentStatus, ProviderError> {
        tokio::task::yield_now().await;
        Self::session_status(&self.lock(), session_id)
    }

    async fn expire_hosted_payment(
        &self,
        session_id: &str,
        _idempotency_key: &str,
    ) -> Result<HostedPaymentStatus, ProviderError> {
        tokio::task::yield_now().await;
        let mut st = self.lock();
        let expired = match st.sessions.get_mut(session_id) {
            Some(s) if s.state == HostedPaymentState::Open => {
                s.state = HostedPaymentState::Expired;
                Some(s.intent.clone())
            }
            Some(_) => None,
            None => return Err(ProviderError::NotFound(session_id.into())),
        };
        if let Some(intent) = expired {
            // Its unpaid intent is cancelled with it, as Stripe does.
            if let Some(intent) = intent {
                st.cancel_intent(&intent);
            }
            st.emit("checkout.session.expired", None, Some(session_id.into()));
        }
        Self::session_status(&st, session_id)
    }
}

#[async_trait]
impl encaisse::ports::CardForms for SimPsp {}

#[async_trait]
impl SavedPaymentMethods for SimPsp {
    async fn list_saved_cards(&self, customer: &str) -> Result<Vec<SavedCard>, ProviderError> {
        tokio::task::yield_now().await;
        self.lock().saved_cards_of(customer)
    }

    async fn update_saved_card(
        &self,
        payment_method: &str,
        update: &encaisse::ports::CardUpdate,
        _idempotency_key: &str,
    ) -> Result<SavedCard, ProviderError> {
        tokio::task::yield_now().await;
        let mut st = self.lock();
        if st.owner_of(payment_method).is_none() {
            return Err(ProviderError::NotFound(payment_method.into()));
        }
        st.card_updates
            .insert(payment_method.to_string(), update.clone());
        Ok(st.saved_card(payment_method))
    }

    async fn detach_saved_card(
        &self,
        payment_method: &str,
        _idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        tokio::task::yield_now().await;
        let mut st = self.lock();
        let owner = st.owner_of(payment_method).ok_or_else(|| {
            ProviderError::InvalidRequest(format!("{payment_method} is not attached"))
        })?;
        if let Some(methods) = st.saved_cards.get_mut(&owner) {
            methods.retain(|m| m != payment_method);
        }
        Ok(())
    }
}

/// The simulation models cards only: it declares no mandates (`Capabilities::mandates`).
#[async_trait]
impl encaisse::ports::Mandates for SimPsp {
    async fn open_mandate_setup(
        &self,
        _request: &encaisse::ports::MandateSetupRequest,
    ) -> Result<encaisse::ports::MandateSetupPage, ProviderError> {
        Err(no_mandates())
    }

    async fn mandate_setup_status(
        &self,
        _setup_id: &str,
    ) -> Result<encaisse::ports::MandateSetupStatus, ProviderError> {
        Err(no_mandates())
    }

    async fn fetch_mandate(
        &self,
        _mandate: &str,
    ) -> Result<encaisse::ports::ProviderMandate, ProviderError> {
        Err(no_mandates())
    }

    async fn revoke_mandate(
        &self,
        _payment_method: &str,
        _idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        Err(no_mandates())
    }

    async fn debit_mandate(
        &self,
        _debit: &encaisse::ports::MandateDebit,
    ) -> Result<ProviderPayment, ProviderError> {
        Err(no_mandates())
    }
}

fn no_mandates() -> ProviderError {
    ProviderError::InvalidRequest("the simulated PSP has no SEPA mandates".into())
}

#[async_trait]
impl Charges for SimPsp {
    async fn charge_saved_card(
        &self,
        charge: &SavedCardCharge,
    ) -> Result<ProviderPayment, ProviderError> {
        tokio::task::yield_now().await;
        self.lock().charge_saved_card(charge)
    }

    async fn fetch_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        tokio::task::yield_now().await;
        self.lock().view(id)
    }

    async fn capture(
        &self,
        id: &str,
        amount: Option<Money>,
        after: AfterCapture,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        tokio::task::yield_now().await;
        let mut st = self.lock();
        let fault = st.fault();
        if fault == Some(Fault::Refuse) {
            return Err(unavailable("sim: 500 before capturing"));
        }
        let requested = amount.map(|a| a.amount().to_string());
        let fingerprint = format!(
            "capture|{id}|{}|{after:?}",
            requested.as_deref().unwrap_or("all")
        );
        let final_capture = after.is_final();
        if let Some(answer) = st.replay(idempotency_key, &fingerprint) {
            answer?;
            return st.view(id);
        }
        let result = {
            let intent = st
                .intents
                .get_mut(id)
                .ok_or_else(|| ProviderError::NotFound(id.into()))?;
            // Without an amount: everything capturable, as Stripe does.
            let wanted = amount.map_or(intent.capturable, |a| a.amount());
            if intent.status != ProviderPaymentStatus::RequiresCapture {
                Err(ProviderError::InvalidRequest(
                    "payment_intent_unexpected_state".into(),
                ))
            } else if wanted <= Decimal::ZERO || wanted > intent.capturable {
                Err(ProviderError::InvalidRequest(
                    "amount_to_capture too large".into(),
                ))
            } else {
                intent.received += wanted;
                intent.capturable -= wanted;
                intent.release_reason = after.release_reason().or(intent.release_reason);
                // Without multicapture on the card the first capture is final whatever was
                // asked (the PSP contract); the simulation checks we never ask otherwise.
                if final_capture || intent.capturable == Decimal::ZERO || !intent.multicapture {
                    // A final capture releases whatever was not captured, as Stripe does.
                    intent.capturable = Decimal::ZERO;
                    intent.status = ProviderPaymentStatus::Succeeded;
                }
                Ok(wanted)
            }
        };
        st.answers.insert(
            idempotency_key.into(),
            (fingerprint, result.clone().map(|_| id.to_string())),
        );
        let captured = result?;
        st.movements.push(Movement::Capture {
            intent: id.into(),
            key: idempotency_key.into(),
            amount: captured,
            final_capture,
        });
        let kind = match st.intents.get(id).map(|i| i.status) {
            Some(ProviderPaymentStatus::Succeeded) => "payment_intent.succeeded",
            _ => "payment_intent.amount_capturable_updated",
        };
        st.emit(kind, Some(id.into()), None);
        if fault == Some(Fault::Lose) {
            return Err(unavailable("sim: timed out after capturing"));
        }
        st.view(id)
    }

    async fn cancel(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        tokio::task::yield_now().await;
        self.lock().cancel(id, idempotency_key)
    }
}

#[async_trait]
impl Refunds for SimPsp {
    async fn refund(
        &self,
        id: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<ProviderRefund, ProviderError> {
        tokio::task::yield_now().await;
        let mut st = self.lock();
        let fault = st.fault();
        if fault == Some(Fault::Refuse) {
            return Err(unavailable("sim: 500 before refunding"));
        }
        let fingerprint = format!("refund|{id}|{}", amount.amount());
        if let Some(answer) = st.replay(idempotency_key, &fingerprint) {
            let refund_id = answer?;
            return st
                .refunds
                .get(&refund_id)
                .cloned()
                .ok_or_else(|| unavailable("sim: refund lost"));
        }
        let refund_id = st.id("re_sim_");
        let result = {
            let intent = st
                .intents
                .get_mut(id)
                .ok_or_else(|| ProviderError::NotFound(id.into()))?;
            if amount.amount() <= Decimal::ZERO
                || intent.refunded + amount.amount() > intent.received
            {
                Err(ProviderError::InvalidRequest(
                    "refund exceeds the amount captured".into(),
                ))
            } else {
                intent.refunded += amount.amount();
                Ok(refund_id.clone())
            }
        };
        st.answers
            .insert(idempotency_key.into(), (fingerprint, result.clone()));
        result?;
        let refund = ProviderRefund {
            id: refund_id.clone(),
            payment: id.into(),
            amount,
            state: RefundState::Succeeded,
        };
        st.refunds.insert(refund_id, refund.clone());
        st.movements.push(Movement::Refund {
            intent: id.into(),
            key: idempotency_key.into(),
            amount: amount.amount(),
        });
        st.emit("charge.refunded", Some(id.into()), None);
        if fault == Some(Fault::Lose) {
            return Err(unavailable("sim: timed out after refunding"));
        }
        Ok(refund)
    }

    async fn fetch_refund(&self, id: &str) -> Result<ProviderRefund, ProviderError> {
        self.lock()
            .refunds
            .get(id)
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(id.into()))
    }
}

impl Notifications for SimPsp {
    fn parse_notification(
        &self,
        request: &NotificationRequest,
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        if request.header("stripe-signature") != Some(SIM_SIGNATURE) {
            return Err(WebhookError::BadSignature);
        }
        let v: serde_json::Value = serde_json::from_slice(&request.body)
            .map_err(|e| WebhookError::InvalidPayload(e.to_string()))?;
        let text = |k: &str| v[k].as_str().map(str::to_owned);
        Ok(WebhookEvent {
            id: text("id").ok_or_else(|| WebhookError::InvalidPayload("id".into()))?,
            kind: text("type").unwrap_or_default(),
            created_at: now,
            payment: text("payment"),
            session: text("session"),
            refund: None,
            mandate: None,
        })
    }
}
