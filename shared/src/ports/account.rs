//! What the shopper account needs from the store: one-time sign-in codes with their try limit
//! and request limits (each held by a conditional write), revocable sessions, and a customer's
//! orders, newest first.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;
use crate::domain::Order;

/// A sign-in code as stored: never the code itself, its keyed digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignInCode {
    pub customer_id: String,
    pub digest: String,
    pub expires_at: OffsetDateTime,
    /// Tries counted so far, this one included when returned by `count_sign_in_try`.
    pub tries: u32,
}

/// The request limits a new code is issued under: at most `max` codes per window for each
/// key, counted by conditional writes in the same transaction as the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLimits {
    pub email_key: String,
    pub per_email: u32,
    pub client_key: String,
    pub per_client: u32,
    /// The window's start (an hour bucket) and end.
    pub window: i64,
    pub window_ends_at: OffsetDateTime,
    /// Codes per email in a day, counted the same way.
    pub email_day_key: String,
    pub per_email_day: u32,
    pub day: i64,
    pub day_ends_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeIssue {
    Issued,
    /// One of the limits is reached until `retry_at` (the end of the hour, or of the day when
    /// the daily limit is what stops it).
    Limited {
        retry_at: OffsetDateTime,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub customer_id: String,
    /// As the shopper typed it at sign-in (normalised): the account may have no profile yet.
    pub email: String,
    pub expires_at: OffsetDateTime,
}

/// One page of a customer's orders and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next: Option<String>,
}

/// The sort key an order-page cursor stands for (`ORDER#<RFC 3339 creation>#<reference>`,
/// base64url), checked whole: a cursor this API did not give is refused, never sent on.
pub fn decode_order_cursor(cursor: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    if cursor.len() > 200 {
        return None;
    }
    let sort = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let rest = sort.strip_prefix("ORDER#")?;
    let (created, reference) = rest.rsplit_once('#')?;
    time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339).ok()?;
    crate::domain::Reference::parse(reference).ok()?;
    Some(sort)
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Counts one code against both limits and stores `code` (replacing any earlier one, its
    /// tries starting again), all in one conditional transaction.
    async fn issue_sign_in_code(
        &self,
        code: &StoredSignInCode,
        limits: &SignInLimits,
    ) -> Result<CodeIssue, StoreError>;

    /// Counts one try of the customer's live code before it is compared (a conditional
    /// update: never more than `max_tries`), and returns it. None when there is no code, it
    /// expired, or its tries are used up.
    async fn count_sign_in_try(
        &self,
        customer_id: &str,
        max_tries: u32,
        now: OffsetDateTime,
    ) -> Result<Option<StoredSignInCode>, StoreError>;

    /// The code matched: it is used up (deleted if still the one compared) and the session
    /// opens, in one transaction. `Missing` when the code changed or went meanwhile.
    async fn open_session(
        &self,
        code: &StoredSignInCode,
        session: &Session,
    ) -> Result<(), StoreError>;

    async fn get_session(&self, id: &str) -> Result<Option<Session>, StoreError>;

    /// Signing out: the session stops working at once (idempotent).
    async fn delete_session(&self, id: &str) -> Result<(), StoreError>;

    /// The customer's orders, newest first, `limit` at most, from `after` (an opaque cursor
    /// given by the previous page).
    async fn customer_orders(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError>;
}
