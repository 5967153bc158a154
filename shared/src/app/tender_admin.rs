//! The seller's side of tenders: vouchers issued (the code shown once) and voided; a
//! customer's credit balance and on-account settings changed; payments received on account
//! recorded. Every change is audited (who, when, before, after) in the same transaction, and
//! each replaces the item at the version read (a checkout's draw meanwhile makes it read
//! again).

use std::sync::Arc;

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use super::idempotency::{completion, run_once, Refusal};
use crate::domain::tenders::{AuditEntry, CustomerBalance, Voucher, VoucherCode, VoucherStatus};
use crate::domain::{Currency, FieldError, OfflineKind};
use crate::ports::{
    Clock, IdempotencyKey, Store, StoreError, StoredResponse, TenderWrite, Versioned, Write,
};

#[derive(Debug, thiserror::Error)]
pub enum TenderAdminError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("no such voucher")]
    VoucherNotFound,
    #[error("a request with this Idempotency-Key is still running")]
    InProgress,
    #[error("this Idempotency-Key was used with another body")]
    KeyReused,
    #[error("changed concurrently too many times; retry")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A voucher to issue.
pub struct NewVoucher {
    pub amount: Decimal,
    pub currency: Currency,
    pub expires_on: Date,
    pub issued_to: Option<String>,
}

/// A change of a customer's balance by the seller; `None` leaves a value as it is.
#[derive(Debug, Default)]
pub struct BalanceChange {
    pub credit: Option<Decimal>,
    pub on_account_allowed: Option<bool>,
    pub on_account_maximum: Option<Decimal>,
}

/// A payment the customer made against what they owe on account.
pub struct OnAccountPayment {
    pub amount: Decimal,
    pub kind: OfflineKind,
    pub reference: String,
    pub received_on: Date,
}

/// A request run once under its Idempotency-Key: the key, the raw body (its digest binds the
/// key) and when this invocation surely ends.
pub struct Once<'a> {
    pub key: IdempotencyKey,
    pub body: &'a [u8],
    pub in_progress_until: OffsetDateTime,
}

impl Once<'_> {
    pub(crate) fn request_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.body))
    }
}

pub struct TenderAdmin {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl TenderAdmin {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Issues a voucher under the caller's idempotency key. The answer carries the code; a
    /// replay of the same key answers the same voucher without it (the code is never kept).
    pub async fn issue_voucher(
        &self,
        new: NewVoucher,
        by: &str,
        once: &Once<'_>,
        view: impl Fn(&Voucher, Option<&VoucherCode>) -> serde_json::Value,
    ) -> Result<StoredResponse, TenderAdminError> {
        let now = self.clock.now();
        let (key, request_hash) = (&once.key, once.request_hash());
        let (request_hash, in_progress_until) = (request_hash.as_str(), once.in_progress_until);
        if new.amount <= Decimal::ZERO {
            return Err(FieldError::new("amount", "must be above 0").into());
        }
        if new.expires_on < crate::domain::paris_time::paris_date(now) {
            return Err(FieldError::new("expires_on", "must be today or later").into());
        }
        run_once(
            self.store.as_ref(),
            key,
            request_hash,
            in_progress_until,
            now,
            |refusal| match refusal {
                Refusal::InProgress => TenderAdminError::InProgress,
                Refusal::Mismatch => TenderAdminError::KeyReused,
            },
            || async {
                let code = VoucherCode::generate()
                    .map_err(|e| StoreError::Unavailable(format!("random source: {e}")))?;
                let voucher = Voucher {
                    id: code.voucher_id(),
                    code_hint: code.hint(),
                    currency: new.currency,
                    initial_amount: new.amount,
                    balance: new.amount,
                    expires_on: new.expires_on,
                    status: VoucherStatus::Active,
                    issued_at: now,
                    issued_by: by.to_string(),
                    issued_to: new.issued_to.clone(),
                    sold_with: None,
                };
                let kept = StoredResponse {
                    status: 201,
                    body: view(&voucher, None).to_string(),
                };
                self.store
                    .transact(vec![
                        Write::Tender(TenderWrite::PutVoucher {
                            voucher: voucher.clone(),
                            expected_version: None,
                        }),
                        Write::Tender(TenderWrite::Audit(AuditEntry {
                            subject: AuditEntry::voucher_subject(&voucher.id),
                            at: now,
                            by: by.to_string(),
                            action: "voucher_issued".into(),
                            before: None,
                            after: json(&voucher)?,
                        })),
                        completion(key, request_hash, &kept, now),
                    ])
                    .await?;
                Ok(StoredResponse {
                    status: 201,
                    body: view(&voucher, Some(&code)).to_string(),
                })
            },
        )
        .await
    }

    pub async fn voucher(
        &self,
        id: &str,
    ) -> Result<(Versioned<Voucher>, Vec<AuditEntry>), TenderAdminError> {
        let read = self
            .store
            .load_tenders(&[id.to_string()], "cus_none", Currency::EUR)
            .await?;
        let voucher = read
            .vouchers
            .into_iter()
            .next()
            .ok_or(TenderAdminError::VoucherNotFound)?;
        let trail = self
            .store
            .audit_trail(&AuditEntry::voucher_subject(id), 50)
            .await?;
        Ok((voucher, trail))
    }

    /// Voids a voucher: what is left on it can no longer be spent (a reservation already made
    /// stands). Voiding a void voucher changes nothing.
    pub async fn void_voucher(&self, id: &str, by: &str) -> Result<Voucher, TenderAdminError> {
        for _ in 0..3 {
            let (stored, _) = self.voucher(id).await?;
            if stored.value.status == VoucherStatus::Void {
                return Ok(stored.value);
            }
            let mut voided = stored.value.clone();
            voided.status = VoucherStatus::Void;
            let now = self.clock.now();
            let writes = vec![
                Write::Tender(TenderWrite::PutVoucher {
                    voucher: voided.clone(),
                    expected_version: Some(stored.version),
                }),
                Write::Tender(TenderWrite::Audit(AuditEntry {
                    subject: AuditEntry::voucher_subject(id),
                    at: now,
                    by: by.to_string(),
                    action: "voucher_voided".into(),
                    before: Some(json(&stored.value)?),
                    after: json(&voided)?,
                })),
            ];
            match self.store.transact(writes).await {
                Ok(()) => return Ok(voided),
                Err(StoreError::VersionConflict(_) | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(TenderAdminError::Conflict)
    }

    /// The customer's balance in `currency` (empty when the seller never set one), with its
    /// audit trail.
    pub async fn balance(
        &self,
        customer_id: &str,
        currency: Currency,
    ) -> Result<(Versioned<CustomerBalance>, Vec<AuditEntry>), TenderAdminError> {
        let read = self.store.load_tenders(&[], customer_id, currency).await?;
        let balance = read.balance.unwrap_or(Versioned {
            value: CustomerBalance::empty(customer_id, currency),
            version: 0,
        });
        let trail = self
            .store
            .audit_trail(&AuditEntry::balance_subject(customer_id, currency), 50)
            .await?;
        Ok((balance, trail))
    }

    /// Replaces the balance at the version read, with its audit entry; read again when a
    /// checkout moved it meanwhile.
    async fn rewrite_balance(
        &self,
        customer_id: &str,
        currency: Currency,
        by: &str,
        action: &str,
        extra: Vec<Write>,
        change: impl Fn(&CustomerBalance) -> Result<CustomerBalance, FieldError>,
    ) -> Result<CustomerBalance, TenderAdminError> {
        for _ in 0..3 {
            let read = self.store.load_tenders(&[], customer_id, currency).await?;
            let (before, version) = match read.balance {
                Some(b) => (Some(b.value), Some(b.version)),
                None => (None, None),
            };
            let current = before
                .clone()
                .unwrap_or_else(|| CustomerBalance::empty(customer_id, currency));
            let after = change(&current)?;
            let now = self.clock.now();
            let mut writes = vec![
                Write::Tender(TenderWrite::PutBalance {
                    balance: after.clone(),
                    expected_version: version,
                }),
                Write::Tender(TenderWrite::Audit(AuditEntry {
                    subject: AuditEntry::balance_subject(customer_id, currency),
                    at: now,
                    by: by.to_string(),
                    action: action.to_string(),
                    before: before.as_ref().map(json).transpose()?,
                    after: json(&after)?,
                })),
            ];
            writes.extend(extra.iter().cloned());
            match self.store.transact(writes).await {
                Ok(()) => return Ok(after),
                Err(
                    StoreError::VersionConflict(_)
                    | StoreError::AlreadyExists(_)
                    | StoreError::Contention,
                ) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(TenderAdminError::Conflict)
    }

    pub async fn change_balance(
        &self,
        customer_id: &str,
        currency: Currency,
        change: &BalanceChange,
        by: &str,
    ) -> Result<CustomerBalance, TenderAdminError> {
        self.rewrite_balance(
            customer_id,
            currency,
            by,
            "balance_changed",
            Vec::new(),
            |current| {
                let mut after = current.clone();
                if let Some(credit) = change.credit {
                    after.credit = credit;
                }
                if let Some(allowed) = change.on_account_allowed {
                    after.on_account.allowed = allowed;
                }
                if let Some(maximum) = change.on_account_maximum {
                    after.on_account.maximum = maximum;
                }
                Ok(after)
            },
        )
        .await
    }

    /// Records a payment received on account (lowers what the customer owes), once per
    /// idempotency key.
    pub async fn record_on_account_payment(
        &self,
        customer_id: &str,
        currency: Currency,
        payment: &OnAccountPayment,
        by: &str,
        once: &Once<'_>,
        view: impl Fn(&CustomerBalance) -> serde_json::Value,
    ) -> Result<StoredResponse, TenderAdminError> {
        let now = self.clock.now();
        let (key, request_hash) = (&once.key, once.request_hash());
        let (request_hash, in_progress_until) = (request_hash.as_str(), once.in_progress_until);
        run_once(
            self.store.as_ref(),
            key,
            request_hash,
            in_progress_until,
            now,
            |refusal| match refusal {
                Refusal::InProgress => TenderAdminError::InProgress,
                Refusal::Mismatch => TenderAdminError::KeyReused,
            },
            || async {
                // The response is built from the balance the write leaves, so it is computed
                // in the closure and stored with the same transaction.
                let mut answer = None;
                for _ in 0..3 {
                    let read = self.store.load_tenders(&[], customer_id, currency).await?;
                    let Some(stored) = read.balance else {
                        return Err(FieldError::new(
                            "amount",
                            "this customer owes nothing on account",
                        )
                        .into());
                    };
                    if payment.amount > stored.value.on_account.outstanding {
                        return Err(FieldError::new(
                            "amount",
                            format!(
                                "is more than the {} {} owed on account",
                                currency.format(stored.value.on_account.outstanding),
                                currency.code()
                            ),
                        )
                        .into());
                    }
                    let mut after = stored.value.clone();
                    after.on_account.outstanding -= payment.amount;
                    let response = StoredResponse {
                        status: 201,
                        body: view(&after).to_string(),
                    };
                    let writes = vec![
                        Write::Tender(TenderWrite::PutBalance {
                            balance: after.clone(),
                            expected_version: Some(stored.version),
                        }),
                        Write::Tender(TenderWrite::Audit(AuditEntry {
                            subject: AuditEntry::balance_subject(customer_id, currency),
                            at: now,
                            by: by.to_string(),
                            action: "on_account_payment_recorded".into(),
                            before: Some(json(&stored.value)?),
                            after: serde_json::json!({
                                "balance": json(&after)?,
                                "payment": {
                                    "amount": currency.format(payment.amount),
                                    "method": match payment.kind {
                                        OfflineKind::BankTransfer => "bank_transfer",
                                        OfflineKind::Cheque => "cheque",
                                    },
                                    "reference": payment.reference,
                                    "received_on": payment.received_on.to_string(),
                                },
                            }),
                        })),
                        completion(key, request_hash, &response, now),
                    ];
                    match self.store.transact(writes).await {
                        Ok(()) => {
                            answer = Some(response);
                            break;
                        }
                        Err(StoreError::VersionConflict(_) | StoreError::Contention) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                answer.ok_or(TenderAdminError::Conflict)
            },
        )
        .await
    }
}
