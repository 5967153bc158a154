//! `MangopayConnector` as the PSP port: customers, charges (pre-authorisations and their
//! pay-ins), refunds, saved cards, notifications. Card forms are in `port_cards`, SEPA in
//! `port_mandates`.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::client::check_id;
use super::transformers as wire;
use super::{hooks, MangopayConnector, CAPABILITIES};
use crate::domain::Money;
use crate::ports::{
    AfterCapture, AmountRefusal, Capabilities, CardUpdate, Charges, Customers, HostedPages,
    HostedPayment, HostedPaymentRequest, HostedPaymentStatus, NotificationRequest, Notifications,
    PaymentProvider, ProviderError, ProviderPayment, ProviderRefund, RefundState, Refunds,
    SavedCard, SavedCardCharge, SavedPaymentMethods, WebhookError, WebhookEvent,
};

impl PaymentProvider for MangopayConnector {
    fn name(&self) -> &'static str {
        "mangopay"
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn check_amount(&self, amount: &Money) -> Result<(), AmountRefusal> {
        wire::check(amount)
    }
}

pub(super) fn refused(e: AmountRefusal) -> ProviderError {
    ProviderError::InvalidRequest(e.to_string())
}

pub(super) fn unreadable(e: String) -> ProviderError {
    ProviderError::Unavailable(format!("MangoPay answered something unreadable: {e}"))
}

/// A replayed answer (the key was used before) that does not answer this request.
pub(super) fn same_request(holds: bool) -> Result<(), ProviderError> {
    match holds {
        true => Ok(()),
        false => Err(ProviderError::IdempotencyConflict),
    }
}

#[async_trait]
impl Customers for MangopayConnector {
    async fn create_customer(
        &self,
        email: &str,
        name: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let (first, last) = wire::split_name(name);
        let user: wire::User = self
            .post(
                "create_user",
                "/users/natural",
                &wire::NewNaturalUser {
                    first_name: &first,
                    last_name: &last,
                    email,
                    user_category: "PAYER",
                    terms_and_conditions_accepted: true,
                    tag: "encaisse",
                },
                idempotency_key,
            )
            .await?;
        same_request(user.email.as_deref() == Some(email))?;
        Ok(user.id)
    }
}

/// MangoPay has no hosted page that authorises for a later capture: our card form instead.
#[async_trait]
impl HostedPages for MangopayConnector {
    async fn open_hosted_payment(
        &self,
        _request: &HostedPaymentRequest,
    ) -> Result<HostedPayment, ProviderError> {
        Err(no_hosted_page())
    }

    async fn hosted_payment_status(
        &self,
        _session_id: &str,
    ) -> Result<HostedPaymentStatus, ProviderError> {
        Err(no_hosted_page())
    }

    async fn expire_hosted_payment(
        &self,
        _session_id: &str,
        _idempotency_key: &str,
    ) -> Result<HostedPaymentStatus, ProviderError> {
        Err(no_hosted_page())
    }
}

fn no_hosted_page() -> ProviderError {
    ProviderError::InvalidRequest(
        "MangoPay has no hosted page for a later capture: use the card form".into(),
    )
}

#[async_trait]
impl SavedPaymentMethods for MangopayConnector {
    /// The user's active cards (a deactivated card can never be charged again).
    async fn list_saved_cards(&self, customer: &str) -> Result<Vec<SavedCard>, ProviderError> {
        let customer = check_id(customer)?;
        let cards: Vec<wire::Card> = self
            .get("list_cards", &format!("/users/{customer}/cards"))
            .await?;
        Ok(cards
            .iter()
            .filter(|c| c.active)
            .filter_map(wire::Card::saved)
            .collect())
    }

    /// MangoPay keeps a card's expiry as registered: a renewed card is registered anew.
    async fn update_saved_card(
        &self,
        _payment_method: &str,
        _update: &CardUpdate,
        _idempotency_key: &str,
    ) -> Result<SavedCard, ProviderError> {
        Err(ProviderError::InvalidRequest(
            "MangoPay cannot change a card's expiry or holder: register the card again".into(),
        ))
    }

    async fn detach_saved_card(
        &self,
        payment_method: &str,
        _idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        let card = check_id(payment_method)?;
        let _: wire::Card = self
            .put(
                "deactivate_card",
                &format!("/cards/{card}"),
                &wire::CardDeactivation { active: false },
            )
            .await?;
        Ok(())
    }
}

impl MangopayConnector {
    pub(super) async fn preauthorization(
        &self,
        id: &str,
    ) -> Result<wire::Preauthorization, ProviderError> {
        let id = check_id(id)?;
        self.get(
            "fetch_preauthorization",
            &format!("/preauthorizations/{id}"),
        )
        .await
    }

    /// The pre-authorisation's pay-ins (captures), and the refunds of those that succeeded.
    async fn money_moved(
        &self,
        id: &str,
    ) -> Result<(Vec<wire::PayIn>, Vec<wire::Refund>), ProviderError> {
        let id = check_id(id)?;
        let payins: Vec<wire::PayIn> = self
            .get(
                "list_captures",
                &format!("/preauthorizations/{id}/transactions?per_page=100&Sort=CreationDate:ASC"),
            )
            .await?;
        let mut refunds = Vec::new();
        for payin in payins.iter().filter(|p| p.status == "SUCCEEDED") {
            let of_payin: Vec<wire::Refund> = self
                .get(
                    "list_refunds",
                    &format!(
                        "/payins/{}/refunds?per_page=100&Sort=CreationDate:ASC",
                        check_id(&payin.id)?
                    ),
                )
                .await?;
            refunds.extend(of_payin);
        }
        Ok((payins, refunds))
    }

    pub(super) async fn payment(
        &self,
        preauth: &wire::Preauthorization,
    ) -> Result<ProviderPayment, ProviderError> {
        let (payins, refunds) = match preauth.status.as_str() {
            "SUCCEEDED" => self.money_moved(&preauth.id).await?,
            _ => (Vec::new(), Vec::new()),
        };
        preauth.to_provider(&payins, &refunds).map_err(unreadable)
    }
}

#[async_trait]
impl Charges for MangopayConnector {
    /// Not wired: an off-session charge at MangoPay goes through its recurring card
    /// registrations (CIT then MIT), which this connector does not set up
    /// (`Capabilities::saved_cards` is false).
    async fn charge_saved_card(
        &self,
        _charge: &SavedCardCharge,
    ) -> Result<ProviderPayment, ProviderError> {
        Err(ProviderError::InvalidRequest(
            "saved-card charges are not wired for MangoPay".into(),
        ))
    }

    async fn fetch_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        if let Some(payin) = id.strip_prefix(wire::DIRECT_DEBIT_PREFIX) {
            return self.payin_payment(payin).await;
        }
        if let Some(dispute) = id.strip_prefix(wire::DISPUTE_PREFIX) {
            return self.disputed_payment(dispute).await;
        }
        let preauth = self.preauthorization(id).await?;
        self.payment(&preauth).await
    }

    async fn capture(
        &self,
        id: &str,
        amount: Option<Money>,
        after: AfterCapture,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        let preauth = self.preauthorization(id).await?;
        let current = self.payment(&preauth).await?;
        let asked = amount;
        let amount = amount.unwrap_or(current.amount_capturable);
        if asked.is_none() && amount.amount().is_zero() {
            // "All that is left", and nothing is: a retried final capture whose first try went
            // through. Nothing to post (MangoPay refuses an amount of 0).
            return match current.amount_received.amount().is_zero() {
                true => Err(ProviderError::InvalidRequest(
                    "nothing is left to capture on this pre-authorisation".into(),
                )),
                false => Ok(current),
            };
        }
        let funds = wire::funds(&amount).map_err(refused)?;
        let ours = wire::OurTag::parse(preauth.tag.as_deref());
        let payin: wire::PayIn = self
            .post(
                "capture",
                "/payins/preauthorized/direct",
                &wire::NewCapture {
                    author_id: preauth.author_id.clone(),
                    credited_wallet_id: self.config.wallet_id.clone(),
                    debited_funds: funds,
                    fees: wire::zero_funds(amount.currency()),
                    preauthorization_id: preauth.id.clone(),
                    tag: ours.render(),
                },
                idempotency_key,
            )
            .await?;
        // "All that is left" may be less on a retry than on the first try: the same
        // pre-authorisation is then the same request.
        same_request(
            payin.preauthorization_id.as_deref() == Some(preauth.id.as_str())
                && (asked.is_none() || payin.debited_funds == funds),
        )?;
        if payin.status == "FAILED" {
            return Err(ProviderError::InvalidRequest(format!(
                "MangoPay refused the capture of {amount}: the pre-authorisation has less left"
            )));
        }
        if after.is_final() {
            self.release_rest(&preauth.id, ours, after).await?;
        }
        self.fetch_payment(&preauth.id).await
    }

    /// Releases what is left: `CANCELED` before any capture, `VALIDATED` after one (MangoPay
    /// takes only these). Already released, lapsed or failed: nothing to do. Captured in full:
    /// refused, there is nothing to release.
    async fn cancel(
        &self,
        id: &str,
        _idempotency_key: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        let preauth = self.preauthorization(id).await?;
        let current = self.payment(&preauth).await?;
        let waiting =
            preauth.payment_status.as_deref() == Some("WAITING") && preauth.status != "FAILED";
        if waiting {
            let captured = current.amount_received.amount() > rust_decimal::Decimal::ZERO;
            let _: wire::Preauthorization = self
                .put(
                    "cancel",
                    &format!("/preauthorizations/{}", check_id(id)?),
                    &wire::PreauthorizationUpdate {
                        payment_status: Some(if captured { "VALIDATED" } else { "CANCELED" }),
                        tag: None,
                    },
                )
                .await?;
        } else if current.amount_received == current.amount {
            return Err(ProviderError::InvalidRequest(
                "captured in full at MangoPay: nothing to release".into(),
            ));
        }
        self.fetch_payment(id).await
    }
}

impl MangopayConnector {
    /// After a final capture: what is left is released (`VALIDATED`, the reason kept in the
    /// tag). A capture of all that was left is `VALIDATED` by MangoPay already: nothing is left
    /// to release, and MangoPay takes no other change on it (a PUT needs `PaymentStatus`).
    async fn release_rest(
        &self,
        id: &str,
        mut ours: wire::OurTag,
        after: AfterCapture,
    ) -> Result<(), ProviderError> {
        let fresh = self.preauthorization(id).await?;
        if fresh.payment_status.as_deref() != Some("WAITING") {
            return Ok(());
        }
        ours.release_reason = after.release_reason().or(ours.release_reason);
        let _: wire::Preauthorization = self
            .put(
                "release_rest",
                &format!("/preauthorizations/{}", check_id(id)?),
                &wire::PreauthorizationUpdate {
                    payment_status: Some("VALIDATED"),
                    tag: Some(ours.render()),
                },
            )
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Refunds for MangopayConnector {
    /// Taken from the pay-ins (captures), newest first, as one refund per pay-in needed; the id
    /// of a refund over several is theirs joined by `+`. Refunds are tagged with the key's
    /// digest, so a retry splits the amount the same way and replays each part.
    async fn refund(
        &self,
        id: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<ProviderRefund, ProviderError> {
        let preauth = self.preauthorization(id).await?;
        let (payins, refunds) = self.money_moved(&preauth.id).await?;
        let marker = format!(
            "encaisse;refund={}",
            super::client::idempotency_key(idempotency_key)?
        );
        let plan = wire::refund_plan(&payins, &refunds, &marker, &amount)
            .map_err(ProviderError::InvalidRequest)?;
        let mut made = Vec::new();
        for (n, (payin, part)) in plan.iter().enumerate() {
            let funds = wire::funds(part).map_err(refused)?;
            let refund: wire::Refund = self
                .post(
                    "refund",
                    &format!(
                        "/payins/{}/refunds?per_page=100&Sort=CreationDate:ASC",
                        check_id(&payin.id)?
                    ),
                    &wire::NewRefund {
                        author_id: payin.author_id.clone(),
                        debited_funds: funds,
                        fees: wire::zero_funds(part.currency()),
                        tag: marker.clone(),
                    },
                    &format!("{idempotency_key}:{n}"),
                )
                .await?;
            same_request(
                refund.debited_funds == funds
                    && refund.initial_transaction_id.as_deref() == Some(payin.id.as_str()),
            )?;
            made.push(refund);
        }
        combine(&made, &preauth.id)
    }

    async fn fetch_refund(&self, id: &str) -> Result<ProviderRefund, ProviderError> {
        let mut parts = Vec::new();
        for part in id.split('+') {
            let refund: wire::Refund = self
                .get("fetch_refund", &format!("/refunds/{}", check_id(part)?))
                .await?;
            parts.push(refund);
        }
        let payin_id = parts
            .first()
            .and_then(|r| r.initial_transaction_id.clone())
            .ok_or_else(|| ProviderError::NotFound(format!("refund {id} has no pay-in")))?;
        let payin: wire::PayIn = self
            .get("fetch_payin", &format!("/payins/{}", check_id(&payin_id)?))
            .await?;
        let preauth = payin.preauthorization_id.ok_or_else(|| {
            ProviderError::NotFound(format!("refund {id} is not of a card pre-authorisation"))
        })?;
        combine(&parts, &preauth)
    }
}

/// One refund as the port sees it, from its parts (one per pay-in).
fn combine(parts: &[wire::Refund], payment: &str) -> Result<ProviderRefund, ProviderError> {
    let first = parts
        .first()
        .ok_or_else(|| ProviderError::InvalidRequest("nothing to refund".into()))?;
    let mut combined = wire::provider_refund(first, payment).map_err(unreadable)?;
    for part in &parts[1..] {
        let next = wire::provider_refund(part, payment).map_err(unreadable)?;
        combined.amount = combined
            .amount
            .checked_add(next.amount)
            .map_err(|e| unreadable(e.to_string()))?;
        combined.state = match (combined.state, next.state) {
            (RefundState::Failed, _) | (_, RefundState::Failed) => RefundState::Failed,
            (RefundState::Pending, _) | (_, RefundState::Pending) => RefundState::Pending,
            (state, _) => state,
        };
    }
    combined.id = parts
        .iter()
        .map(|r| r.id.as_str())
        .collect::<Vec<_>>()
        .join("+");
    Ok(combined)
}

impl Notifications for MangopayConnector {
    fn parse_notification(
        &self,
        request: &NotificationRequest,
        _now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        hooks::parse(request)
    }
}
