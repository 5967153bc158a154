//! `POST /v1/orders/{reference}/payments`: the shopper starts paying the amount due.
//!
//! Idempotent like AWS Lambda Powertools: the key is claimed first (INPROGRESS), and the same
//! transaction that records the payment, moves the order and saves the customer also stores the
//! response (COMPLETED). The PSP calls use keys derived from ours, so a retry after a crash
//! reuses the same PSP customer and hosted page instead of opening new ones.

use crate::telemetry::StartedWith;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::hosted_page::page_expiry;
use super::idempotency::{completion, run_once, Refusal};
use super::payment_view::{NextAction, PaymentView, StartedPaymentView};
use super::return_url::{with_query, ReturnOrigins};
use super::settle::{settle, PaymentChange};
use super::start_instalments::{first_method, plan_schedule, scheduled_after};
pub use super::start_payment_error::{parse_idempotency_key, StartPaymentError};
use super::start_payment_method::{confirm_saved_card, open_card_page, Attempt, PageChoice};
use super::start_payment_request::{check, Checked, CheckedMethod, Offered};
pub use super::start_payment_request::{BillingAddressInput, BillingInput, StartPaymentCommand};
use super::AccessTokens;
use crate::domain::three_d_secure::ThreeDSecurePolicy;
use crate::domain::{
    customer_id, CustomerProfile, FieldError, Money, OrderStatus, Payment, PaymentStatus, Reference,
};
use crate::ports::{
    merge_adjustments, Clock, HostedPaymentState, IdempotencyKey, ItemKind, ProviderError,
    ProviderRegistry, Store, StoreError, StoredResponse,
};

// The seller's settings (`with_*`) and the accessors the method steps use.
#[path = "start_payment_settings.rs"]
mod settings;

/// How long a started card payment stays payable (Stripe Checkout's minimum is 30 minutes).
pub const DEFAULT_ATTEMPT_LIFETIME: Duration = Duration::minutes(30);

/// Payment attempts an order may start in all (each opens a PSP page): enough for a shopper
/// trying several cards, not for a script opening pages at the PSP in our name. Enforced by the
/// order's conditional write, which counts them (`payment_attempts`).
pub const MAX_PAYMENT_ATTEMPTS: u32 = 20;

pub(super) fn hex_digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct StartPayment {
    store: Arc<dyn Store>,
    providers: Arc<ProviderRegistry>,
    tokens: AccessTokens,
    clock: Arc<dyn Clock>,
    origins: ReturnOrigins,
    attempt_lifetime: Duration,
    three_d_secure: ThreeDSecurePolicy,
    card_saving: crate::domain::card_saving::CardSavingPolicy,
    /// The wallets the checkout offers (`PAYMENT_WALLETS`).
    wallets: Vec<crate::domain::Wallet>,
    /// The seller's instalment plans (`INSTALMENT_PLANS`), if any.
    instalments: Option<crate::domain::instalments::InstalmentPolicy>,
    /// SEPA direct debit, when the seller offers it (`SEPA_DEBIT`).
    sepa: Option<super::start_sepa::SepaSettings>,
    /// Bank transfer and cheque, when the seller takes them (`BANK_TRANSFER_*`, `CHEQUE_*`).
    offline: crate::domain::offline_instructions::OfflineInstructions,
    /// The payment modes of the web channel (`WEB_PAYMENT_MODES`).
    modes: crate::domain::payment_modes::ChannelModes,
}

/// What the router answers; for a replay, exactly what was answered the first time.
pub type StartPaymentResponse = StoredResponse;

impl StartPayment {
    pub fn authorize(
        &self,
        reference: &str,
        token: Option<&str>,
    ) -> Result<Reference, StartPaymentError> {
        let token = token.ok_or(StartPaymentError::Unauthorized(None))?;
        let reference =
            Reference::parse(reference).map_err(|_| StartPaymentError::Unauthorized(None))?;
        self.tokens
            .verify(token, &reference, self.clock.now())
            .map_err(|e| StartPaymentError::Unauthorized(Some(e)))?;
        Ok(reference)
    }

    /// `body` is the raw request body (its hash binds the idempotency key), `command` its parse.
    /// `in_progress_until` is when this invocation will surely have ended (the Lambda deadline).
    pub async fn start(
        &self,
        reference: &Reference,
        idempotency_key: &str,
        body: &[u8],
        command: StartPaymentCommand,
        in_progress_until: OffsetDateTime,
    ) -> Result<StartPaymentResponse, StartPaymentError> {
        self.start_checked(
            None,
            reference,
            idempotency_key,
            body,
            command,
            in_progress_until,
        )
        .await
    }

    /// `start` from a client address: its wrong codes are counted against it too (an hour at
    /// a time, `MAX_CODE_FAILURES_PER_CLIENT`), besides the order's own limit.
    pub async fn start_from_client(
        &self,
        client_ip: &str,
        reference: &Reference,
        idempotency_key: &str,
        body: &[u8],
        command: StartPaymentCommand,
        in_progress_until: OffsetDateTime,
    ) -> Result<StartPaymentResponse, StartPaymentError> {
        let client = super::order_lookup::client_key(client_ip);
        self.start_checked(
            Some(client),
            reference,
            idempotency_key,
            body,
            command,
            in_progress_until,
        )
        .await
    }

    async fn start_checked(
        &self,
        client: Option<String>,
        reference: &Reference,
        idempotency_key: &str,
        body: &[u8],
        command: StartPaymentCommand,
        in_progress_until: OffsetDateTime,
    ) -> Result<StartPaymentResponse, StartPaymentError> {
        let mut checked = check(
            command,
            &Offered {
                origins: &self.origins,
                card_saving: self.card_saving,
                wallets: &self.wallets,
                instalments: self.instalments.as_ref(),
                sepa_offered: self.sepa.is_some(),
                offline: &self.offline,
                modes: &self.modes,
            },
        )?;
        checked.tenders.client = client;
        let now = self.clock.now();
        let key = IdempotencyKey {
            scope: format!("payments#{reference}"),
            key: idempotency_key.to_string(),
        };
        let request_hash = hex_digest(&[body]);
        run_once(
            self.store.as_ref(),
            &key,
            &request_hash,
            in_progress_until,
            now,
            |refusal| match refusal {
                Refusal::InProgress => StartPaymentError::InProgress,
                Refusal::Mismatch => StartPaymentError::KeyReused,
            },
            || self.start_with_retries(reference, &key, &request_hash, checked, now),
        )
        .await
    }

    /// Retries on a concurrent change: the PSP calls reuse their keys, so a retry gets the same
    /// customer and page back. After the last try, the page is closed.
    async fn start_with_retries(
        &self,
        reference: &Reference,
        key: &IdempotencyKey,
        request_hash: &str,
        checked: Checked,
        now: OffsetDateTime,
    ) -> Result<StartPaymentResponse, StartPaymentError> {
        let mut opened = None;
        // A SEPA purchase opens nothing at the PSP: losing a race to another purchase on the
        // same month only costs a read, so it tries longer.
        let tries = match checked.method {
            CheckedMethod::SepaDebit { .. } => 20,
            _ => 3,
        };
        for _ in 0..tries {
            match self
                .start_claimed(reference, key, request_hash, checked.clone(), now)
                .await
            {
                Err(StartPaymentError::Raced { opened: at_psp }) => opened = Some(at_psp),
                Err(
                    refused @ (StartPaymentError::Invalid(_)
                    | StartPaymentError::Sepa(_)
                    | StartPaymentError::TendersChanged),
                ) => {
                    self.count_refusal_with_codes(&checked, now).await?;
                    return Err(refused);
                }
                other => return other,
            }
        }
        if let Some(at_psp) = opened {
            at_psp.close(self.providers.for_cards().as_ref()).await;
        }
        Err(StartPaymentError::Conflict)
    }

    /// Closes an unfinished attempt at the PSP and returns the change that cancels it here.
    pub(super) async fn close_attempt(
        &self,
        old: crate::ports::Versioned<Payment>,
        now: OffsetDateTime,
    ) -> Result<PaymentChange, StartPaymentError> {
        close_attempt(&self.providers, old, now).await
    }

    async fn start_claimed(
        &self,
        reference: &Reference,
        key: &IdempotencyKey,
        request_hash: &str,
        checked: Checked,
        now: OffsetDateTime,
    ) -> Result<StartPaymentResponse, StartPaymentError> {
        let snapshot = self
            .store
            .get_order_with_payments(reference)
            .await?
            .filter(|s| s.order.value.status != OrderStatus::Deleted)
            .ok_or(StartPaymentError::NotFound)?;
        let order = &snapshot.order.value;
        // An attempt the shopper did not finish is replaced: resume = a new page, the old one
        // closed (api.md, unfinished payments).
        let unfinished = snapshot
            .payments
            .iter()
            .rev()
            .find(|p| p.value.status.is_unfinished())
            .cloned();
        // What is due ignores unfinished attempts (they cover nothing): with one open, this
        // request resumes it (a new page, the old one closed).
        // Tenders reserved with that attempt are given back when it closes: due again.
        let held: Vec<Payment> = unfinished
            .iter()
            .flat_map(|old| {
                snapshot.payments.iter().filter(move |p| {
                    p.value.reserved_for.as_deref() == Some(old.value.id.as_str())
                        && p.value.status == PaymentStatus::Processing
                })
            })
            .map(|p| p.value.clone())
            .collect();
        let released_with_unfinished: rust_decimal::Decimal = held.iter().map(|p| p.amount).sum();
        // A promo code held for that attempt is given back too: the order as it stands then
        // (`base`) is what this checkout pays, and a promo code applies to.
        let released_discount = order.discount.as_ref().filter(|d| {
            d.reserved_for.is_some()
                && d.reserved_for.as_deref() == unfinished.as_ref().map(|u| u.value.id.as_str())
        });
        let mut base = order.clone();
        if released_discount.is_some() {
            base.discount = None;
        }
        let paid_besides = order.amounts.settled - released_with_unfinished;
        let amount = (base.totals().gross - paid_besides).max(rust_decimal::Decimal::ZERO);
        if order.closure.is_some() || amount <= rust_decimal::Decimal::ZERO {
            return Err(StartPaymentError::NotPayable(order.status));
        }
        // A quote is an offer until its expiry; an order already paid in part (a lapsed
        // authorisation's rest) stays payable whatever the quote said.
        if let Some(expired) = order
            .expires_at
            .filter(|at| now >= *at && paid_besides.is_zero())
        {
            return Err(StartPaymentError::Expired(expired));
        }
        // The order's write below is conditioned on the version read here: concurrent starts
        // cannot both take the last attempt.
        if order.payment_attempts >= MAX_PAYMENT_ATTEMPTS {
            return Err(StartPaymentError::TooManyAttempts);
        }
        let mut moved_order = order.clone();
        moved_order.payment_attempts += 1;
        // Derived from our key: a retry of this request reuses the same PSP page.
        let payment_id = format!(
            "pay_{}",
            &hex_digest(&[key.scope.as_bytes(), key.key.as_bytes()])[..32]
        );
        // Vouchers, credit and on account first: checked before anything is opened or closed
        // at the PSP; the PSP takes the rest.
        let rest = super::start_tenders::Rest {
            due: amount,
            payment: &payment_id,
            held: &held,
            paid_besides,
            released_promo: released_discount.map(|d| d.code.as_str()),
        };
        let mut tenders = self
            .tenders_for(&snapshot, &base, &checked, rest, now)
            .await?;
        // The order carries the promo code applied now, or none when the one held by the
        // replaced attempt is given back (its uses with it).
        if let Some(released) = released_discount {
            let customer = customer_id(&order.customer.email);
            let today = crate::domain::paris_time::paris_date(now);
            tenders.draws.extend(super::start_promo::uses(
                &released.code,
                &customer,
                -1,
                None,
                today,
            ));
            moved_order.discount = None;
        }
        if let Some(discount) = tenders.discount.clone() {
            moved_order.discount = Some(discount);
        }
        let mut closed = Vec::new();
        if let Some(old) = unfinished {
            closed.push(self.close_attempt(old, now).await?);
        }
        let amount = Money::new(tenders.remainder, order.currency)
            .map_err(|e| StoreError::Corrupt(format!("order amount: {e}")))?;
        // A plan is checked before anything is opened at the PSP: its first instalment is
        // what the shopper pays now.
        let schedule = match &checked.method {
            CheckedMethod::Instalments { count } => Some(plan_schedule(
                self.instalments.as_ref(),
                amount,
                *count,
                now,
                order.event_date,
            )?),
            _ => None,
        };
        let amount = match schedule.as_ref().and_then(|s| s.first()) {
            Some(first) => Money::new(first.amount, order.currency)
                .map_err(|e| StoreError::Corrupt(format!("first instalment: {e}")))?,
            None => amount,
        };

        let id = customer_id(&order.customer.email);
        let stored_customer = self.store.get_customer(&id).await?;
        let mut customer =
            stored_customer
                .as_ref()
                .map(|c| c.value.clone())
                .unwrap_or(CustomerProfile {
                    id: id.clone(),
                    email: order.customer.email.clone(),
                    locale: order.customer.locale,
                    billing: None,
                    provider_customers: Default::default(),
                });
        match checked.billing {
            Some(b) => customer.billing = Some(b),
            None if customer.billing.is_some() => {}
            None => {
                return Err(FieldError::new(
                    "billing",
                    "is required: there are no billing details on file for this customer yet",
                )
                .into())
            }
        }
        let Some(billing) = customer.billing.clone() else {
            return Err(FieldError::new("billing", "is required").into());
        };
        let tenders = tenders.with_billing(&billing);
        if tenders.remainder.is_zero() {
            let paid = super::start_tenders_commit::TendersOnly {
                snapshot: &snapshot,
                moved_order,
                closed,
                tenders,
                customer,
                customer_version: stored_customer.map(|c| c.version),
            };
            return self.commit_tenders_only(paid, key, request_hash, now).await;
        }
        let tender_changes: Vec<PaymentChange> = tenders
            .payments
            .iter()
            .map(|payment| PaymentChange {
                payment: payment.clone(),
                expected_version: None,
            })
            .collect();
        let tender_views: Vec<PaymentView> =
            tenders.payments.iter().map(PaymentView::new).collect();
        closed.extend(tender_changes);
        if let CheckedMethod::SepaDebit { mandate_id } = &checked.method {
            let sepa = super::start_sepa::SepaStart {
                payment_id: &payment_id,
                mandate_id: mandate_id.as_deref(),
                amount,
                customer,
                customer_version: stored_customer.map(|c| c.version),
                billing,
                closed,
                draws: tenders.draws,
                tender_views,
            };
            return self
                .start_sepa(&snapshot, moved_order, sepa, key, request_hash, now)
                .await;
        }
        if let CheckedMethod::Offline { kind } = checked.method {
            let offline = super::start_offline::OfflineStart {
                payment_id: &payment_id,
                kind,
                amount,
                customer,
                customer_version: stored_customer.map(|c| c.version),
                billing,
                closed,
                draws: tenders.draws,
                tender_views,
            };
            return self
                .start_offline(&snapshot, moved_order, offline, key, request_hash, now)
                .await;
        }
        let provider = self.providers.for_cards();
        if !customer.provider_customers.contains_key(provider.name()) {
            let created = provider
                .create_customer(&billing.email, &billing.name, &format!("customer-{id}"))
                .await?;
            customer
                .provider_customers
                .insert(provider.name().to_owned(), created);
        }

        let back = |outcome: &str| {
            with_query(
                &checked.return_url,
                &[
                    ("reference", reference.as_str()),
                    ("payment", &payment_id),
                    ("outcome", outcome),
                ],
            )
        };
        let three_ds = provider.capabilities().three_ds;
        let attempt = Attempt {
            provider: provider.as_ref(),
            reference,
            payment_id: &payment_id,
            amount,
            psp_customer: customer.provider_customers.get(provider.name()).cloned(),
            customer_email: &billing.email,
            back: &back,
            three_d_secure: self.three_d_secure.for_payment(
                order.event_date,
                crate::domain::paris_time::paris_date(now),
                three_ds.can_request,
                three_ds.can_skip,
            ),
        };
        // The expiry is computed at the call, after the customer was created: the PSP's
        // minimum lifetime counts from when it receives the page request.
        let started_with = match &checked.method {
            CheckedMethod::Card { .. } => StartedWith::Card,
            CheckedMethod::Instalments { .. } => StartedWith::Instalments,
            CheckedMethod::Wallet { .. } => StartedWith::Wallet,
            CheckedMethod::SepaDebit { .. } => StartedWith::SepaDebit,
            CheckedMethod::SavedCard { .. } => StartedWith::SavedCard,
            CheckedMethod::OnAccount => StartedWith::Tenders,
            CheckedMethod::Offline { .. } => StartedWith::Offline,
        };
        let opened = match &checked.method {
            CheckedMethod::Card { save_card } => {
                let expires_at = page_expiry(self.clock.now(), self.attempt_lifetime);
                // Nothing to ship (gift vouchers only): taken at once, the vouchers then issued.
                let choice = PageChoice {
                    wallet: None,
                    save_card: *save_card,
                    embedded: checked.embedded,
                    capture_at_once: order.ships_nothing(),
                };
                open_card_page(attempt, choice, expires_at).await?
            }
            CheckedMethod::Instalments { count } => {
                let expires_at = page_expiry(self.clock.now(), self.attempt_lifetime);
                // The card is kept for the instalments to come; each is taken when paid.
                let choice = PageChoice {
                    wallet: None,
                    save_card: true,
                    embedded: checked.embedded,
                    capture_at_once: true,
                };
                let mut opened = open_card_page(attempt, choice, expires_at).await?;
                opened.method = first_method(&payment_id, *count);
                opened
            }
            CheckedMethod::Wallet { wallet } => {
                let expires_at = page_expiry(self.clock.now(), self.attempt_lifetime);
                let choice = PageChoice {
                    wallet: Some(*wallet),
                    save_card: false,
                    embedded: false,
                    capture_at_once: order.ships_nothing(),
                };
                open_card_page(attempt, choice, expires_at).await?
            }
            CheckedMethod::SepaDebit { .. }
            | CheckedMethod::OnAccount
            | CheckedMethod::Offline { .. } => {
                return Err(StoreError::Corrupt(
                    "a SEPA, on-account or offline purchase reached the card step".into(),
                )
                .into())
            }
            CheckedMethod::SavedCard { payment_method } => {
                confirm_saved_card(
                    attempt,
                    payment_method,
                    self.clock.now(),
                    self.attempt_lifetime,
                )
                .await?
            }
        };
        let payment = Payment {
            id: payment_id,
            order_reference: reference.clone(),
            method: opened.method,
            status: PaymentStatus::Created,
            amount: amount.amount(),
            currency: amount.currency(),
            psp: Some(opened.psp),
            captured_amount: rust_decimal::Decimal::ZERO,
            refunded_amount: rust_decimal::Decimal::ZERO,
            shipped_amount: rust_decimal::Decimal::ZERO,
            shipped_at: None,
            released: None,
            failure_code: None,
            billing: Some(billing.clone()),
            created_at: now,
            updated_at: now,
            expires_at: opened.expires_at,
            authorised_at: None,
            dispute: None,
            review: None,
            capture: opened.capture,
            due_on: None,
            reserved_for: None,
            credited_amount: rust_decimal::Decimal::ZERO,
        };
        let scheduled = schedule
            .as_deref()
            .map_or_else(Vec::new, |s| scheduled_after(&payment, s));
        let view = StartedPaymentView {
            payment: PaymentView::new(&payment),
            next_action: Some(NextAction::from(opened.next)),
            instalments: scheduled.iter().map(PaymentView::new).collect(),
            tenders: tender_views,
        };
        let response = StoredResponse {
            status: 201,
            body: serde_json::to_string(&view).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        closed.push(PaymentChange {
            payment,
            expected_version: None,
        });
        closed.extend(scheduled.into_iter().map(|payment| PaymentChange {
            payment,
            expected_version: None,
        }));
        let settled = settle(&snapshot, &moved_order, closed, now);
        let mut writes = settled.into_writes(snapshot.order.version, true);
        writes.extend(tenders.draws);
        writes.extend([
            crate::ports::Write::PutCustomer {
                customer,
                expected_version: stored_customer.map(|c| c.version),
            },
            completion(key, request_hash, &response, now),
        ]);
        match self.store.transact(merge_adjustments(writes)).await {
            Ok(()) => {
                crate::telemetry::payment_started(started_with);
                Ok(response)
            }
            // A voucher or balance was spent meanwhile: the page opened for this remainder
            // may no longer be the right amount, so it is closed and the shopper asked again.
            // The client's wrong codes reached their limit meanwhile: this one is not answered.
            Err(StoreError::VersionConflict(item)) if item.kind == ItemKind::CodeGuesses => {
                opened.at_psp.close(provider.as_ref()).await;
                Err(StartPaymentError::TooManyCodeAttemptsFromClient {
                    retry_after_seconds: crate::domain::tenders::code_guesses::seconds_to_next_hour(
                        now,
                    ),
                })
            }
            Err(StoreError::VersionConflict(item))
                if matches!(
                    item.kind,
                    ItemKind::Voucher | ItemKind::Balance | ItemKind::Promo
                ) =>
            {
                opened.at_psp.close(provider.as_ref()).await;
                Err(StartPaymentError::TendersChanged)
            }
            // Someone else moved the order or the customer first: read again and retry.
            Err(StoreError::VersionConflict(_) | StoreError::AlreadyExists(_)) => {
                Err(StartPaymentError::Raced {
                    opened: opened.at_psp,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Closes an unfinished attempt at the PSP (none for an awaited transfer) and returns the
/// change that cancels it here.
pub(super) async fn close_attempt(
    providers: &ProviderRegistry,
    old: crate::ports::Versioned<Payment>,
    now: OffsetDateTime,
) -> Result<PaymentChange, StartPaymentError> {
    if let Some(session) = old.value.hosted_session() {
        let closed = providers
            .for_payment(&old.value)
            .map_err(ProviderError::from)?
            .expire_hosted_payment(session, &format!("expire-{session}"))
            .await?;
        if closed.state == HostedPaymentState::Complete {
            return Err(StartPaymentError::AttemptCompleted);
        }
    } else if let Some(intent) = old.value.provider_payment() {
        // Off the hosted page (a saved card waiting for 3-D Secure): the PSP's payment
        // itself is abandoned, so it cannot complete after the order moved on.
        let cancelled = providers
            .for_payment(&old.value)
            .map_err(ProviderError::from)?
            .cancel(intent, &format!("abandon-{intent}"))
            .await?;
        // Cancelled, or failed at the PSP (3-D Secure failed, its hook not here yet): closed.
        if !matches!(
            cancelled.status,
            crate::ports::ProviderPaymentStatus::Canceled
                | crate::ports::ProviderPaymentStatus::Failed
        ) {
            return Err(StartPaymentError::AttemptCompleted);
        }
    }
    let mut cancelled = old.value;
    cancelled.status = PaymentStatus::Cancelled;
    cancelled.updated_at = now;
    Ok(PaymentChange {
        payment: cancelled,
        expected_version: Some(old.version),
    })
}
