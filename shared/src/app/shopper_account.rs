//! The shopper's account: sign-in by a one-time code emailed to them (no password), a
//! revocable session, their profile and billing details, their orders (newest first), an order
//! access token for one of their own orders, deleting an order nothing was paid on, and the
//! cards and mandates on file.
//!
//! The answer to a sign-in request never says whether the email has an account, in what it
//! says nor in how long it takes: a code is stored for any email (so checking a code behaves
//! the same), the same reads are made, and an email goes out either way: the code to a
//! customer (a profile or an order under that email), "there is no account here" otherwise.

use std::sync::Arc;

use hmac::Mac;
use time::{Duration, OffsetDateTime};

use super::access_token::{AccessTokens, TokenError};
use super::order_lookup::client_key;
use super::session_token::{SessionClaims, SessionTokens};
use super::start_payment::{StartPayment, StartPaymentError};
use super::start_payment_request::{checked_billing, BillingInput};
use super::validate::email as checked_email;
use crate::domain::log_safe::LogSafe;
use crate::domain::sign_in_email::{render_no_account, render_sign_in_code};
use crate::domain::{
    customer_id, CustomerProfile, FieldError, Locale, Order, OrderStatus, Payment, Reference,
};
use crate::ports::{
    mask_address, Clock, CodeIssue, Mailer, OrderPage, OutgoingEmail, ProviderError,
    ProviderRegistry, Session, SignInLimits, Store, StoreError, StoredSignInCode, Write,
};

pub const CODE_LIFETIME: Duration = Duration::minutes(10);
pub const MAX_CODE_TRIES: u32 = 5;
/// Codes per email, and per client IP, in an hour; per email in a day (so at most 50 guesses a
/// day at one account's codes, 5 tries each).
pub const CODES_PER_EMAIL: u32 = 5;
pub const CODES_PER_CLIENT: u32 = 20;
pub const CODES_PER_EMAIL_DAY: u32 = 10;
const WINDOW_SECONDS: i64 = 3600;
const DAY_SECONDS: i64 = 86_400;
pub const MAX_PAGE: usize = 50;

pub mod bank_account;
mod cards;
pub mod mandates;
pub use cards::CardUpdateInput;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("too many sign-in requests")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("wrong sign-in code")]
    CodeInvalid,
    #[error("no usable sign-in code: ask for a new one")]
    CodeExpired,
    #[error("missing, expired or revoked session")]
    Unauthorized,
    #[error("order not found")]
    NotFound,
    #[error("no such saved card")]
    CardNotFound,
    #[error("no such mandate")]
    MandateNotFound,
    #[error("this shop does not offer SEPA direct debit")]
    SepaNotOffered,
    #[error("the order cannot be deleted ({0:?})")]
    NotDeletable(OrderStatus),
    #[error("the order changed meanwhile")]
    Conflict,
    #[error("payment provider: {0}")]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<StartPaymentError> for AccountError {
    fn from(e: StartPaymentError) -> Self {
        match e {
            StartPaymentError::NotFound => AccountError::NotFound,
            StartPaymentError::NotPayable(status) => AccountError::NotDeletable(status),
            // The shopper finished paying on the PSP's page meanwhile: no longer deletable.
            StartPaymentError::AttemptCompleted => {
                AccountError::NotDeletable(OrderStatus::PaymentPending)
            }
            StartPaymentError::Provider(p) => AccountError::Provider(p),
            StartPaymentError::Store(s) => AccountError::Store(s),
            _ => AccountError::Conflict,
        }
    }
}

/// The profile as the account shows it (the session's email when no profile exists yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub email: String,
    pub locale: Locale,
    pub billing: Option<crate::domain::Billing>,
}

/// One of the shopper's orders, with its unfinished payment when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct MyOrder {
    pub order: Order,
    pub unfinished: Option<Payment>,
}

pub struct ShopperAccount {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    access: AccessTokens,
    sessions: SessionTokens,
    payments: Arc<StartPayment>,
    providers: Arc<ProviderRegistry>,
}

/// The fixed window of `seconds` holding `now`: its number and when it ends.
fn window_of(now: OffsetDateTime, seconds: i64) -> (i64, OffsetDateTime) {
    let window = now.unix_timestamp().div_euclid(seconds);
    let ends = OffsetDateTime::from_unix_timestamp((window + 1) * seconds)
        .unwrap_or(now + Duration::seconds(seconds));
    (window, ends)
}

fn six_digits() -> String {
    format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}

fn normalised_email(raw: &str) -> Result<String, FieldError> {
    Ok(checked_email("email", raw)?.to_lowercase())
}

impl ShopperAccount {
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        access: AccessTokens,
        payments: Arc<StartPayment>,
        providers: Arc<ProviderRegistry>,
    ) -> Self {
        Self {
            store,
            mailer,
            clock,
            sessions: SessionTokens::new(access.clone()),
            access,
            payments,
            providers,
        }
    }

    /// The keyed digest of a code, bound to its customer (never the code itself in store).
    fn digest(&self, customer: &str, code: &str) -> String {
        let mut mac = self.access.keyed_mac();
        mac.update(format!("sign-in:{customer}:{code}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// `POST /v1/me/sign-in`: a new code (the old one stops working), within the limits.
    pub async fn request_code(&self, email: &str, client_ip: &str) -> Result<(), AccountError> {
        let email = normalised_email(email)?;
        let now = self.clock.now();
        let customer = customer_id(&email);
        let code = six_digits();
        let (window, window_ends_at) = window_of(now, WINDOW_SECONDS);
        let (day, day_ends_at) = window_of(now, DAY_SECONDS);
        let limits = SignInLimits {
            email_key: format!("EMAIL#{customer}"),
            per_email: CODES_PER_EMAIL,
            client_key: format!("CLIENT#{}", client_key(client_ip)),
            per_client: CODES_PER_CLIENT,
            window,
            window_ends_at,
            email_day_key: format!("EMAILDAY#{customer}"),
            per_email_day: CODES_PER_EMAIL_DAY,
            day,
            day_ends_at,
        };
        let stored = StoredSignInCode {
            customer_id: customer.clone(),
            digest: self.digest(&customer, &code),
            expires_at: now + CODE_LIFETIME,
            tries: 0,
        };
        let mut issued = Err(StoreError::Contention);
        for _ in 0..3 {
            issued = self.store.issue_sign_in_code(&stored, &limits).await;
            // Two requests for the same email at the same instant: try again.
            if !matches!(issued, Err(StoreError::Contention)) {
                break;
            }
        }
        if let CodeIssue::Limited { retry_at } = issued? {
            let wait = (retry_at - now).whole_seconds().max(1);
            return Err(AccountError::TooManyRequests {
                retry_after_seconds: u64::try_from(wait).unwrap_or(1),
            });
        }
        let rendered = match self.known_customer(&customer).await? {
            Some(locale) => render_sign_in_code(&code, CODE_LIFETIME.whole_minutes(), locale),
            None => render_no_account(Locale::default()),
        };
        let sent = self
            .mailer
            .send(&OutgoingEmail {
                to: email.clone(),
                subject: rendered.subject,
                text: rendered.text,
                html: rendered.html,
                idempotency_key: format!("sign-in#{customer}#{}", now.unix_timestamp()),
                attachments: Vec::new(),
            })
            .await;
        // Answered like any other request whatever happened: an error here would tell that
        // the email has an account. The shopper asks again if no code arrives.
        if let Err(error) = sent {
            tracing::warn!(to = %mask_address(&email), error = %LogSafe(&error), "sign-in code not sent");
            return Ok(());
        }
        tracing::info!(to = %mask_address(&email), "sign-in code sent");
        Ok(())
    }

    /// The customer's language when they are one (a profile, or an order under that email).
    /// Both reads are always made, so a known email takes as long as an unknown one.
    async fn known_customer(&self, customer: &str) -> Result<Option<Locale>, AccountError> {
        let (profile, orders) = tokio::join!(
            self.store.get_customer(customer),
            self.store.customer_orders(customer, None, 1)
        );
        if let Some(profile) = profile? {
            return Ok(Some(profile.value.locale));
        }
        Ok(orders?.orders.first().map(|o| o.customer.locale))
    }

    /// `POST /v1/me/sessions`: one try counted before the code is compared; a right code
    /// opens a session and is used up.
    pub async fn open_session(
        &self,
        email: &str,
        code: &str,
    ) -> Result<(String, OffsetDateTime), AccountError> {
        let email = normalised_email(email)?;
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new("code", "must be the 6 digits of the emailed code").into());
        }
        let now = self.clock.now();
        let customer = customer_id(&email);
        let Some(stored) = self
            .store
            .count_sign_in_try(&customer, MAX_CODE_TRIES, now)
            .await?
        else {
            return Err(AccountError::CodeExpired);
        };
        let expected =
            hex::decode(&stored.digest).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut mac = self.access.keyed_mac();
        mac.update(format!("sign-in:{customer}:{code}").as_bytes());
        if mac.verify_slice(&expected).is_err() {
            return Err(if stored.tries >= MAX_CODE_TRIES {
                AccountError::CodeExpired
            } else {
                AccountError::CodeInvalid
            });
        }
        let (claims, token) = self.sessions.issue(&customer, now);
        let session = Session {
            id: claims.session_id,
            customer_id: customer,
            email,
            expires_at: claims.expires_at,
        };
        match self.store.open_session(&stored, &session).await {
            Ok(()) => Ok((token, claims.expires_at)),
            // Used by a concurrent right answer, or replaced by a new code meanwhile.
            Err(StoreError::Missing(_)) => Err(AccountError::CodeExpired),
            Err(e) => Err(e.into()),
        }
    }

    /// The session a bearer token stands for: signed by us, unexpired, not signed out.
    pub async fn session(&self, token: Option<&str>) -> Result<Session, AccountError> {
        let token = token.ok_or(AccountError::Unauthorized)?;
        let claims: SessionClaims = self
            .sessions
            .open(token, self.clock.now())
            .map_err(|_: TokenError| AccountError::Unauthorized)?;
        let session = self
            .store
            .get_session(&claims.session_id)
            .await?
            .filter(|s| s.customer_id == claims.customer_id)
            .ok_or(AccountError::Unauthorized)?;
        Ok(session)
    }

    pub async fn sign_out(&self, session: &Session) -> Result<(), AccountError> {
        self.store.delete_session(&session.id).await?;
        Ok(())
    }

    pub async fn profile(&self, session: &Session) -> Result<Profile, AccountError> {
        Ok(match self.store.get_customer(&session.customer_id).await? {
            Some(found) => Profile {
                email: found.value.email,
                locale: found.value.locale,
                billing: found.value.billing,
            },
            None => Profile {
                email: session.email.clone(),
                locale: self
                    .known_customer(&session.customer_id)
                    .await?
                    .unwrap_or_default(),
                billing: None,
            },
        })
    }

    /// `PUT /v1/me/billing`: the details the next payments use (a conditional write on the
    /// profile, created when the customer has none yet).
    pub async fn update_billing(
        &self,
        session: &Session,
        input: &BillingInput,
    ) -> Result<Profile, AccountError> {
        let billing = checked_billing(input, "")?;
        for _ in 0..3 {
            let found = self.store.get_customer(&session.customer_id).await?;
            let (profile, expected_version) = match found {
                Some(found) => (
                    CustomerProfile {
                        billing: Some(billing.clone()),
                        ..found.value
                    },
                    Some(found.version),
                ),
                None => (
                    CustomerProfile {
                        id: session.customer_id.clone(),
                        email: session.email.clone(),
                        locale: self
                            .known_customer(&session.customer_id)
                            .await?
                            .unwrap_or_default(),
                        billing: Some(billing.clone()),
                        provider_customers: Default::default(),
                    },
                    None,
                ),
            };
            match self
                .store
                .transact(vec![Write::PutCustomer {
                    customer: profile.clone(),
                    expected_version,
                }])
                .await
            {
                Ok(()) => {
                    return Ok(Profile {
                        email: profile.email,
                        locale: profile.locale,
                        billing: profile.billing,
                    })
                }
                Err(StoreError::VersionConflict(_)) | Err(StoreError::AlreadyExists(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AccountError::Conflict)
    }

    /// A page of the shopper's orders, newest first (deleted ones left out), each with its
    /// unfinished payment if any (read only for orders whose status says one is open).
    pub async fn orders(
        &self,
        session: &Session,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<MyOrder>, Option<String>), AccountError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let OrderPage { orders, next } = match self
            .store
            .customer_orders(&session.customer_id, cursor, limit)
            .await
        {
            Err(StoreError::Missing(what)) if what == "cursor" => {
                return Err(FieldError::new("cursor", "is not a cursor this API gave").into())
            }
            other => other?,
        };
        let mut mine = Vec::with_capacity(orders.len());
        for order in orders {
            if order.status == OrderStatus::Deleted {
                continue;
            }
            let unfinished = if order.status == OrderStatus::PaymentPending {
                self.store
                    .get_order_with_payments(&order.reference)
                    .await?
                    .and_then(|s| {
                        s.payments
                            .into_iter()
                            .rev()
                            .map(|p| p.value)
                            .find(|p| p.status.is_unfinished())
                    })
            } else {
                None
            };
            mine.push(MyOrder { order, unfinished });
        }
        Ok((mine, next))
    }

    /// The shopper's own order, deleted ones included (another customer's is not found, like
    /// an unknown one).
    async fn own_order(&self, session: &Session, reference: &str) -> Result<Order, AccountError> {
        let reference = Reference::parse(reference).map_err(|_| AccountError::NotFound)?;
        let order = self
            .store
            .get_order(&reference)
            .await?
            .map(|v| v.value)
            .filter(|o| customer_id(&o.customer.email) == session.customer_id)
            .ok_or(AccountError::NotFound)?;
        Ok(order)
    }

    /// An order access token (as the lookup gives) for one of the shopper's own orders.
    pub async fn order_access(
        &self,
        session: &Session,
        reference: &str,
    ) -> Result<(String, OffsetDateTime), AccountError> {
        let order = self.own_order(session, reference).await?;
        if order.status == OrderStatus::Deleted {
            return Err(AccountError::NotFound);
        }
        Ok(self.access.issue(&order.reference, self.clock.now()))
    }

    /// Deleting an order already deleted answers the same.
    pub async fn delete_order(
        &self,
        session: &Session,
        reference: &str,
    ) -> Result<Reference, AccountError> {
        let order = self.own_order(session, reference).await?;
        self.payments.delete_order(&order.reference).await?;
        Ok(order.reference)
    }
}
