//! The shopper account's items in memory, with DynamoDB's semantics (see `dynamodb/account.rs`).

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryStore;
use crate::domain::customer_id;
use crate::ports::{
    AccountStore, CodeIssue, OrderPage, Session, SignInLimits, StoreError, StoredSignInCode,
};

#[derive(Default)]
pub(crate) struct AccountTables {
    codes: HashMap<String, StoredSignInCode>,
    /// (limit key, window) → codes issued
    issued: HashMap<(String, i64), u32>,
    sessions: HashMap<String, Session>,
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn issue_sign_in_code(
        &self,
        code: &StoredSignInCode,
        limits: &SignInLimits,
    ) -> Result<CodeIssue, StoreError> {
        let mut tables = self.lock()?;
        let account = &mut tables.account;
        let email = (limits.email_key.clone(), limits.window);
        let client = (limits.client_key.clone(), limits.window);
        let day = (limits.email_day_key.clone(), limits.day);
        let full =
            |key: &(String, i64), max: u32| account.issued.get(key).copied().unwrap_or(0) >= max;
        if full(&day, limits.per_email_day) {
            return Ok(CodeIssue::Limited {
                retry_at: limits.day_ends_at,
            });
        }
        if full(&email, limits.per_email) || full(&client, limits.per_client) {
            return Ok(CodeIssue::Limited {
                retry_at: limits.window_ends_at,
            });
        }
        *account.issued.entry(email).or_default() += 1;
        *account.issued.entry(client).or_default() += 1;
        *account.issued.entry(day).or_default() += 1;
        account.codes.insert(
            code.customer_id.clone(),
            StoredSignInCode {
                tries: 0,
                ..code.clone()
            },
        );
        Ok(CodeIssue::Issued)
    }

    async fn count_sign_in_try(
        &self,
        customer_id: &str,
        max_tries: u32,
        now: OffsetDateTime,
    ) -> Result<Option<StoredSignInCode>, StoreError> {
        let mut tables = self.lock()?;
        let Some(code) = tables.account.codes.get_mut(customer_id) else {
            return Ok(None);
        };
        if code.expires_at <= now || code.tries >= max_tries {
            return Ok(None);
        }
        code.tries += 1;
        Ok(Some(code.clone()))
    }

    async fn open_session(
        &self,
        code: &StoredSignInCode,
        session: &Session,
    ) -> Result<(), StoreError> {
        let mut tables = self.lock()?;
        let account = &mut tables.account;
        let same = account
            .codes
            .get(&code.customer_id)
            .is_some_and(|stored| stored.digest == code.digest);
        if !same {
            return Err(StoreError::Missing(format!(
                "sign-in code of {}",
                code.customer_id
            )));
        }
        account.codes.remove(&code.customer_id);
        account.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn get_session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.lock()?.account.sessions.get(id).cloned())
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        self.lock()?.account.sessions.remove(id);
        Ok(())
    }

    async fn customer_orders(
        &self,
        customer: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let after = match after {
            Some(cursor) => Some(
                crate::ports::decode_order_cursor(cursor)
                    .ok_or_else(|| StoreError::Missing("cursor".into()))?,
            ),
            None => None,
        };
        let tables = self.lock()?;
        // The same sort key as DynamoDB's GSI1 (and the same opaque cursor).
        let sort_key = |o: &crate::domain::Order| {
            let created = o
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            format!("ORDER#{created}#{}", o.reference)
        };
        let mut mine: Vec<(String, crate::domain::Order)> = tables
            .orders
            .values()
            .filter(|o| customer_id(&o.value.customer.email) == customer)
            // As on DynamoDB, an order its shopper deleted leaves the customer's index.
            .filter(|o| o.value.closure != Some(crate::domain::OrderClosure::DeletedByShopper))
            .map(|o| (sort_key(&o.value), o.value.clone()))
            .collect();
        mine.sort_by(|a, b| b.0.cmp(&a.0));
        let start = match after.as_deref() {
            Some(cursor) => mine
                .iter()
                .position(|(key, _)| key.as_str() < cursor)
                .unwrap_or(mine.len()),
            None => 0,
        };
        let page: Vec<(String, crate::domain::Order)> =
            mine.into_iter().skip(start).take(limit + 1).collect();
        let next = (page.len() > limit && limit > 0)
            .then(|| URL_SAFE_NO_PAD.encode(page[limit - 1].0.as_bytes()));
        Ok(OrderPage {
            orders: page.into_iter().take(limit).map(|(_, o)| o).collect(),
            next,
        })
    }
}
