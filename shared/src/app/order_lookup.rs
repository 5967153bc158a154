//! "Pay now": the shopper finds an order by its reference and shipping postcode.
//!
//! An unknown reference and a wrong postcode are indistinguishable (same answer, same store
//! traffic, constant-time comparison), and failures are counted per client address and per
//! (reference, client) so neither can be brute-forced; a reference guessed at from everywhere
//! slows down instead of locking its shopper out. The quote's pay link carries a pay token
//! that opens the order without a postcode and is never limited.

use crate::domain::log_safe::LogSafe;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::pay_token::PayTokens;
use super::{AccessTokens, TokenError};
use crate::domain::throttle::{
    LookupGuards, ReserveGuard, MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_PAIR,
};
use crate::domain::{
    customer_id, Billing, FieldError, Order, OrderStatus, Payment, Postcode, Reference,
};
use crate::ports::{Clock, LookupKeys, LookupReservation, LookupSnapshot, Store, StoreError};

/// Tries per lookup to reserve its attempt: a refusal is either the room taken meanwhile (the
/// next read shows the limit: 429 with its wait) or, on DynamoDB, another transaction on the
/// same log at that instant (`TransactionConflict`, many shoppers behind one address): that
/// one passes after a short random wait.
const RESERVE_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct LookupGranted {
    pub order: Order,
    /// Oldest first; read only when the order has had payments.
    pub payments: Vec<Payment>,
    pub access_token: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("order not found")]
    NotFound,
    #[error("too many failed attempts; retry after {retry_after_seconds} s")]
    TooManyAttempts { retry_after_seconds: u64 },
    #[error("missing or invalid access token")]
    Unauthorized(Option<TokenError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct OrderLookup {
    store: Arc<dyn Store>,
    tokens: AccessTokens,
    clock: Arc<dyn Clock>,
    card_saving: crate::domain::card_saving::CardSavingPolicy,
    saved_card_checkout: bool,
    wallets: Vec<crate::domain::Wallet>,
    instalments: Option<crate::domain::instalments::InstalmentPolicy>,
    /// The order's invoices and credit notes; None where no document store is configured.
    documents: Option<super::order_documents::OrderDocuments>,
    /// Bank transfer and cheque, when the seller takes them.
    offline: crate::domain::offline_instructions::OfflineInstructions,
    /// The payment modes of the web channel: the checkout offers only these.
    modes: crate::domain::payment_modes::ChannelModes,
}

/// What the checkout offers for an order beyond the card.
pub struct CheckoutOffer {
    pub billing: Option<Billing>,
    pub currency: crate::domain::Currency,
    /// The instalment plans open to what it owes: count and schedule.
    pub plans: Vec<(u32, Vec<crate::domain::instalments::Instalment>)>,
    /// How to pay what it owes by bank transfer or cheque, for each the seller takes.
    pub offline: Vec<crate::domain::offline_instructions::PayInstructions>,
    /// The customer's credit balance in the order's currency, when there is some.
    pub credit: Option<rust_decimal::Decimal>,
    /// What on account can still take, when the seller allows it for this customer.
    pub on_account: Option<rust_decimal::Decimal>,
}

/// Postcodes are hashed before the constant-time comparison so their lengths leak nothing.
fn postcode_digest(postcode: &str) -> [u8; 32] {
    Sha256::digest(postcode.as_bytes()).into()
}

/// We count failures per client address without keeping the address itself (a SHA-256
/// digest, not keyed: it hides the address from a casual reader, not from a search of every
/// IPv4 address). An IPv6 address counts by its /64, the block one subscriber is given, so
/// walking through one's own addresses does not reset the count.
pub fn client_key(client_ip: &str) -> String {
    let client = match client_ip.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => client_ip.to_string(),
    };
    let digest = Sha256::digest(format!("encaisse-lookup-client:{client}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl OrderLookup {
    pub fn new(store: Arc<dyn Store>, tokens: AccessTokens, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            tokens,
            clock,
            card_saving: Default::default(),
            saved_card_checkout: false,
            wallets: Vec::new(),
            instalments: None,
            documents: None,
            offline: Default::default(),
            modes: Default::default(),
        }
    }

    /// The payment modes of the web channel (`WEB_PAYMENT_MODES`; every type by default).
    pub fn with_modes(mut self, modes: crate::domain::payment_modes::ChannelModes) -> Self {
        self.modes = modes;
        self
    }

    pub fn modes(&self) -> &crate::domain::payment_modes::ChannelModes {
        &self.modes
    }

    /// The web channel's modes this deployment can serve: a saved card where the PSP has a
    /// security-code page, wallets, plans, transfer and cheque only when configured
    /// (`sepa_debit` as configured: the account route says whether it is open to a shopper).
    pub fn served_modes(&self) -> impl Iterator<Item = &crate::domain::payment_modes::PaymentMode> {
        use crate::domain::payment_modes::ModeKind;
        self.modes.modes().iter().filter(move |m| match m.kind {
            ModeKind::SavedCard => self.saved_card_checkout,
            ModeKind::Wallet => !self.wallets.is_empty(),
            ModeKind::Instalments => self.instalments.is_some(),
            ModeKind::BankTransfer => self.offline.bank_transfer.is_some(),
            ModeKind::Cheque => self.offline.cheque.is_some(),
            _ => true,
        })
    }

    /// Bank transfer and cheque, as the seller takes them.
    pub fn with_offline(
        mut self,
        offline: crate::domain::offline_instructions::OfflineInstructions,
    ) -> Self {
        self.offline = offline;
        self
    }

    /// The instalment plans the checkout offers (`INSTALMENT_PLANS`; None: none).
    pub fn with_instalments(
        mut self,
        policy: Option<crate::domain::instalments::InstalmentPolicy>,
    ) -> Self {
        self.instalments = policy;
        self
    }

    /// Whether a saved card can pay at checkout (the PSP has a page for its security code).
    /// Serves the order's invoices and credit notes (`GET /v1/orders/{reference}/documents`).
    pub fn with_documents(mut self, documents: super::order_documents::OrderDocuments) -> Self {
        self.documents = Some(documents);
        self
    }

    pub fn with_saved_card_checkout(mut self, offered: bool) -> Self {
        self.saved_card_checkout = offered;
        self
    }

    pub fn saved_card_checkout(&self) -> bool {
        self.saved_card_checkout
    }

    /// The wallets the checkout offers (`PAYMENT_WALLETS`).
    pub fn with_wallets(mut self, wallets: Vec<crate::domain::Wallet>) -> Self {
        self.wallets = wallets;
        self
    }

    pub fn wallets(&self) -> &[crate::domain::Wallet] {
        &self.wallets
    }

    /// Whether the checkout offers to keep the card (`SAVE_CARD_POLICY`), told with the
    /// billing on file.
    pub fn with_card_saving(
        mut self,
        policy: crate::domain::card_saving::CardSavingPolicy,
    ) -> Self {
        self.card_saving = policy;
        self
    }

    pub fn card_saving_offered(&self) -> bool {
        self.card_saving.is_offered()
    }

    pub async fn lookup(
        &self,
        reference: &str,
        postcode: &str,
        client_ip: &str,
    ) -> Result<LookupGranted, LookupError> {
        let reference = Reference::parse(reference)?;
        let postcode = Postcode::parse(postcode)?;
        let keys = LookupKeys {
            reference,
            client: client_key(client_ip),
        };
        let now = self.clock.now();
        let (snapshot, reservation) = self.reserve_attempt(&keys, now).await?;

        let candidate = postcode_digest(postcode.as_str());
        let found = snapshot
            .order
            .as_ref()
            .filter(|o| o.value.status != OrderStatus::Deleted);
        // Compare against a dummy when there is no order, so both failures cost the same.
        let stored = found
            .and_then(|o| Postcode::parse(&o.value.shipping.address.postcode).ok())
            .map(|p| postcode_digest(p.as_str()))
            .unwrap_or_else(|| postcode_digest("\u{0}no-order"));
        let matches: bool = stored.ct_eq(&candidate).into();

        match found {
            Some(order) if matches => {
                // A right postcode is not a failure: its attempt is given back. Should that
                // write fail, the shopper still gets in and one failure stays counted.
                if let Err(e) = self.store.release_lookup_attempt(&keys, reservation).await {
                    tracing::warn!(error = %LogSafe(&e), "lookup attempt not given back");
                }
                let (access_token, expires_at) = self.tokens.issue(&keys.reference, now);
                // An order never paid needs no second read: the common case stays one request.
                let payments = if order.value.payment_attempts == 0 {
                    Vec::new()
                } else {
                    self.payments_of(&keys.reference).await?
                };
                Ok(LookupGranted {
                    order: order.value.clone(),
                    payments,
                    access_token,
                    expires_at,
                })
            }
            _ => {
                tracing::info!(reference = %keys.reference, "order lookup failed");
                Err(LookupError::NotFound)
            }
        }
    }

    /// Counts this attempt against the reference, the client and the pair before anything is
    /// compared, by a write conditioned on the room each limit has left: of many guesses sent
    /// at once, no more pass than the limits allow, and lookups within them never conflict.
    /// Re-reads when the room was taken meanwhile (the next read answers 429 with the wait).
    async fn reserve_attempt(
        &self,
        keys: &LookupKeys,
        now: OffsetDateTime,
    ) -> Result<(LookupSnapshot, LookupReservation), LookupError> {
        for attempt in 0..RESERVE_ATTEMPTS {
            if attempt > 0 {
                // 5 to 20 ms times the attempt, spread so colliding lookups do not collide again.
                let spread = u64::from(uuid::Uuid::new_v4().as_bytes()[0] % 16);
                let wait = (5 + spread) * u64::from(attempt);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
            let snapshot = self.store.load_lookup(keys).await?;
            let wait = [
                snapshot
                    .pair_failures
                    .retry_after(now, MAX_FAILURES_PER_PAIR),
                snapshot
                    .client_failures
                    .retry_after(now, MAX_FAILURES_PER_CLIENT),
                snapshot.reference_failures.slowdown(now),
            ]
            .into_iter()
            .flatten()
            .max();
            if let Some(retry_after_seconds) = wait {
                return Err(LookupError::TooManyAttempts {
                    retry_after_seconds,
                });
            }
            let guards = LookupGuards {
                reference: snapshot.reference_failures.slowdown_guard(now),
                client: ReserveGuard::BucketBelow(
                    snapshot
                        .client_failures
                        .room_this_minute(now, MAX_FAILURES_PER_CLIENT),
                ),
                pair: ReserveGuard::BucketBelow(
                    snapshot
                        .pair_failures
                        .room_this_minute(now, MAX_FAILURES_PER_PAIR),
                ),
            };
            match self
                .store
                .reserve_lookup_attempt(keys, &snapshot, &guards, now)
                .await
            {
                Ok(reservation) => return Ok((snapshot, reservation)),
                Err(StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        // Guesses on this reference or from this client are arriving together: one at a time.
        Err(LookupError::TooManyAttempts {
            retry_after_seconds: 1,
        })
    }

    /// The quote's "Pay now" link: its pay token opens the order, with no postcode and no
    /// throttling (it cannot be guessed). A token that is not ours, or expired, is the same 404
    /// as an unknown order. One Query (the order with its payments).
    pub async fn open_with_pay_token(&self, token: &str) -> Result<LookupGranted, LookupError> {
        let now = self.clock.now();
        let reference = PayTokens::with_key_of(&self.tokens)
            .verify(token, now)
            .map_err(|_| LookupError::NotFound)?;
        let found = self
            .store
            .get_order_with_payments(&reference)
            .await?
            .filter(|found| found.order.value.status != OrderStatus::Deleted)
            .ok_or(LookupError::NotFound)?;
        let (access_token, expires_at) = self.tokens.issue(&reference, now);
        Ok(LookupGranted {
            order: found.order.value,
            payments: found.payments.into_iter().map(|p| p.value).collect(),
            access_token,
            expires_at,
        })
    }

    async fn payments_of(&self, reference: &Reference) -> Result<Vec<Payment>, LookupError> {
        Ok(self
            .store
            .get_order_with_payments(reference)
            .await?
            .map(|found| found.payments.into_iter().map(|p| p.value).collect())
            .unwrap_or_default())
    }

    /// The billing details kept for the order's customer (saved by an earlier payment), so a
    /// returning shopper need not type them again. Callers show them redacted.
    pub async fn billing_on_file(&self, order: &Order) -> Result<Option<Billing>, LookupError> {
        let profile = self
            .store
            .get_customer(&customer_id(&order.customer.email))
            .await?;
        Ok(profile.and_then(|p| p.value.billing))
    }

    /// `billing_on_file` behind a shopper's access token: GetItem (order) + GetItem (customer).
    pub async fn billing_on_file_for(
        &self,
        reference: &str,
        token: Option<&str>,
    ) -> Result<Option<Billing>, LookupError> {
        let reference = self.authorise(reference, token)?;
        match self.store.get_order(&reference).await? {
            Some(found) if found.value.status != OrderStatus::Deleted => {
                self.billing_on_file(&found.value).await
            }
            _ => Err(LookupError::NotFound),
        }
    }

    /// What the checkout offers for the order: its customer's billing on file and the
    /// instalment plans open to what it owes now (the same two reads as the billing alone).
    pub async fn checkout_for(
        &self,
        reference: &str,
        token: Option<&str>,
    ) -> Result<CheckoutOffer, LookupError> {
        let reference = self.authorise(reference, token)?;
        let order = match self.store.get_order(&reference).await? {
            Some(found) if found.value.status != OrderStatus::Deleted => found.value,
            _ => return Err(LookupError::NotFound),
        };
        use crate::domain::payment_modes::ModeKind;
        let offers = |kind: ModeKind| self.modes.offers(kind);
        let plans = match &self.instalments {
            Some(policy)
                if order.amount_due() > rust_decimal::Decimal::ZERO
                    && offers(ModeKind::Instalments) =>
            {
                policy.offers(
                    order.amount_due(),
                    order.currency,
                    crate::domain::paris_time::paris_date(self.clock.now()),
                    order.event_date,
                )
            }
            _ => Vec::new(),
        };
        let offline = crate::domain::Money::new(order.amount_due(), order.currency)
            .ok()
            .filter(|due| due.amount() > rust_decimal::Decimal::ZERO)
            .map_or_else(Vec::new, |due| {
                [
                    crate::domain::OfflineKind::BankTransfer,
                    crate::domain::OfflineKind::Cheque,
                ]
                .into_iter()
                .filter(|kind| {
                    offers(match kind {
                        crate::domain::OfflineKind::BankTransfer => ModeKind::BankTransfer,
                        crate::domain::OfflineKind::Cheque => ModeKind::Cheque,
                    })
                })
                .filter_map(|kind| self.offline.for_order(kind, &order.reference, due))
                .collect()
            });
        // The credit balance and on account, for the checkout to offer (one GetItem).
        let balance = self
            .store
            .load_tenders(&[], &customer_id(&order.customer.email), order.currency)
            .await?
            .balance
            .map(|b| b.value);
        Ok(CheckoutOffer {
            billing: self.billing_on_file(&order).await?,
            currency: order.currency,
            plans,
            offline,
            credit: balance
                .as_ref()
                .map(|b| b.credit)
                .filter(|c| *c > rust_decimal::Decimal::ZERO && offers(ModeKind::CreditBalance)),
            on_account: balance
                .as_ref()
                .filter(|b| b.on_account.allowed && offers(ModeKind::OnAccount))
                .map(|b| b.on_account.available()),
        })
    }

    fn authorise(&self, reference: &str, token: Option<&str>) -> Result<Reference, LookupError> {
        let token = token.ok_or(LookupError::Unauthorized(None))?;
        let reference = Reference::parse(reference).map_err(|_| LookupError::Unauthorized(None))?;
        self.tokens
            .verify(token, &reference, self.clock.now())
            .map_err(|e| LookupError::Unauthorized(Some(e)))?;
        Ok(reference)
    }

    /// The invoices and credit notes of the order behind a shopper's access token, each with a
    /// short-lived link (a GetItem for the order, a Query for its documents).
    pub async fn documents(
        &self,
        reference: &str,
        token: Option<&str>,
    ) -> Result<Vec<super::order_documents::DocumentEntry>, LookupError> {
        let reference = self.authorise(reference, token)?;
        let documents = self.documents.as_ref().ok_or_else(|| {
            LookupError::Store(StoreError::Unavailable(
                "no document store configured".into(),
            ))
        })?;
        match self.store.get_order(&reference).await? {
            Some(order) if order.value.status != OrderStatus::Deleted => {}
            _ => return Err(LookupError::NotFound),
        }
        Ok(documents.list(&reference).await?)
    }

    /// The order behind a shopper's access token, with its payments (one request).
    pub async fn view(
        &self,
        reference: &str,
        token: Option<&str>,
    ) -> Result<(Order, Vec<Payment>), LookupError> {
        let reference = self.authorise(reference, token)?;
        match self.store.get_order_with_payments(&reference).await? {
            Some(found) if found.order.value.status != OrderStatus::Deleted => Ok((
                found.order.value,
                found.payments.into_iter().map(|p| p.value).collect(),
            )),
            _ => Err(LookupError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;
    use crate::domain::{BillingAddress, CustomerProfile, Locale};
    use crate::ports::prelude::*;
    use crate::ports::{SystemClock, Write};

    #[tokio::test]
    async fn billing_on_file_is_the_order_customers_saved_billing() {
        let store = Arc::new(MemoryStore::new());
        let lookup = OrderLookup::new(
            store.clone(),
            AccessTokens::new([7u8; 32]),
            Arc::new(SystemClock),
        );
        let order = crate::domain::order::tests::sample_order("ORD-10042");
        assert_eq!(lookup.billing_on_file(&order).await.unwrap(), None);

        let billing = Billing {
            company: None,
            name: "Jeanne Martin".into(),
            email: "compta@example.fr".into(),
            phone: None,
            address: BillingAddress {
                line1: "1 place de la Liberté".into(),
                line2: None,
                postcode: "83000".into(),
                city: "Toulon".into(),
                country: "FR".into(),
            },
        };
        let profile = |billing| CustomerProfile {
            id: customer_id(&order.customer.email),
            email: order.customer.email.clone(),
            locale: Locale::Fr,
            billing,
            provider_customers: Default::default(),
        };
        store
            .transact(vec![Write::PutCustomer {
                customer: profile(None),
                expected_version: None,
            }])
            .await
            .unwrap();
        // A profile without billing (PSP customer only) is not "on file".
        assert_eq!(lookup.billing_on_file(&order).await.unwrap(), None);
        store
            .transact(vec![Write::PutCustomer {
                customer: profile(Some(billing.clone())),
                expected_version: Some(1),
            }])
            .await
            .unwrap();
        assert_eq!(lookup.billing_on_file(&order).await.unwrap(), Some(billing));

        store.insert_order(&order).await.unwrap();
        let (token, _) =
            AccessTokens::new([7u8; 32]).issue(&order.reference, time::OffsetDateTime::now_utc());
        let found = lookup
            .billing_on_file_for("ORD-10042", Some(&token))
            .await
            .unwrap();
        assert_eq!(found.map(|b| b.address.city), Some("Toulon".into()));
        assert!(matches!(
            lookup.billing_on_file_for("ORD-10042", None).await,
            Err(LookupError::Unauthorized(_))
        ));
        assert!(matches!(
            lookup.billing_on_file_for("ORD-10043", Some(&token)).await,
            Err(LookupError::Unauthorized(_))
        ));

        let mut stranger = order.clone();
        stranger.customer.email = "someone.else@example.fr".into();
        assert_eq!(lookup.billing_on_file(&stranger).await.unwrap(), None);
    }
}

#[cfg(test)]
mod client_key_tests {
    use super::client_key;

    #[test]
    fn an_ipv6_address_counts_by_its_64_and_a_mapped_ipv4_as_itself() {
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1"),
            client_key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"));
        assert_eq!(client_key("::ffff:192.0.2.7"), client_key("192.0.2.7"));
        assert_ne!(client_key("192.0.2.7"), client_key("192.0.2.8"));
    }
}
