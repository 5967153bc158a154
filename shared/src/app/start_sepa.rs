//! `method: sepa_debit`: the purchase becomes a line of the customer's SEPA month, collected
//! with the month's one debit. Nothing is asked of the PSP now: the mandate, SEPA being open
//! to the customer, the score (read at most once a day) and the cap are checked, and the
//! month's line is added in the payment's own transaction on condition of the cap.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::idempotency::completion;
use super::payment_view::{PaymentView, StartedPaymentView};
use super::settle::{settle, PaymentChange};
use super::start_payment::StartPayment;
use super::start_payment_error::StartPaymentError;
use super::start_payment_method::OpenedAtPsp;
use crate::domain::paris_time::paris_date;
use crate::domain::sepa::{check_purchase, CapRule, DebitLine, MonthId, SepaAccount, StoredScore};
use crate::domain::{
    CaptureTiming, CustomerProfile, FieldError, Money, Payment, PaymentMethod, PaymentStatus,
    Reference,
};
use crate::ports::{
    IdempotencyKey, ScoreProvider, SepaStore, SepaWrite, StoreError, StoredResponse, Write,
};

/// The seller's SEPA settings: the cap rule and where scores come from.
#[derive(Clone)]
pub struct SepaSettings {
    pub rule: CapRule,
    pub scores: Arc<dyn ScoreProvider>,
    /// Business days between a month's close and its collection (`SEPA_NOTICE_DAYS`): the
    /// close dates the debit by it, the account shows the next collection with it.
    pub notice_days: u32,
}

impl SepaSettings {
    /// The default cap rule and the table-driven scores' defaults (everyone 15/20).
    pub fn local() -> Self {
        Self {
            rule: CapRule::default(),
            scores: Arc::new(crate::adapters::score_table::TableScores::default()),
            notice_days: super::shopper_account::mandates::DEFAULT_NOTICE_DAYS,
        }
    }
}

/// A SEPA purchase checked and reserved: the payment's method and the writes that add it to
/// the month (they commit with the payment, or not at all).
pub(super) struct SepaPurchase {
    pub(super) method: PaymentMethod,
    pub(super) writes: Vec<Write>,
}

pub(super) struct SepaOrder<'a> {
    pub(super) reference: &'a Reference,
    pub(super) payment_id: &'a str,
    pub(super) amount: Money,
    pub(super) mandate_id: Option<&'a str>,
}

/// The score as of today: the stored one when read today, else a fresh read.
async fn todays_score(
    settings: &SepaSettings,
    account: &SepaAccount,
    customer: &CustomerProfile,
    now: OffsetDateTime,
) -> Result<(StoredScore, bool), StartPaymentError> {
    let today = paris_date(now);
    match account.score {
        Some(score) if !account.score_is_stale(today) => Ok((score, false)),
        _ => {
            let value = settings
                .scores
                .score(&customer.id, &customer.email)
                .await
                .map_err(StartPaymentError::ScoreUnavailable)?;
            Ok((
                StoredScore {
                    value,
                    checked_on: today,
                },
                true,
            ))
        }
    }
}

pub(super) async fn reserve_sepa(
    store: &dyn SepaStore,
    providers: &crate::ports::ProviderRegistry,
    settings: &SepaSettings,
    customer: &CustomerProfile,
    order: SepaOrder<'_>,
    now: OffsetDateTime,
) -> Result<SepaPurchase, StartPaymentError> {
    let mut snapshot = store.load_sepa(&customer.id).await?;
    // A mandate accepted on the PSP's page is still pending here until someone asks: asked now
    // when none is usable yet, and recorded with the purchase.
    let mut refreshed = Vec::new();
    if snapshot.active_mandate().is_none() {
        for stored in snapshot.mandates.iter_mut() {
            if stored.value.status != crate::domain::sepa::MandateStatus::Pending {
                continue;
            }
            let Ok(provider) = providers.get(&stored.value.provider) else {
                continue;
            };
            if let Some(changed) = super::shopper_account::mandates::refresh_mandate(
                provider.as_ref(),
                &stored.value,
                now,
            )
            .await?
            {
                refreshed.push(Write::Sepa(SepaWrite::PutMandate {
                    mandate: changed.clone(),
                    expected_version: Some(stored.version),
                }));
                stored.value = changed;
            }
        }
    }
    let stored = snapshot.account.clone();
    let mut account = stored
        .as_ref()
        .map(|a| a.value.clone())
        .unwrap_or_else(|| SepaAccount::new(&customer.id, &settings.rule, now));
    let (score, fresh) = todays_score(settings, &account, customer, now).await?;
    let mandate = match order.mandate_id {
        Some(id) => snapshot.mandate(id).map(|m| &m.value),
        None => snapshot.active_mandate(),
    };
    let month = MonthId::of(paris_date(now));
    let current = snapshot.month(month);
    let used = current.map_or(Decimal::ZERO, |m| m.value.total);
    check_purchase(&account, mandate, score, used, order.amount)
        .map_err(StartPaymentError::Sepa)?;
    // This month was closed already (only a close run ahead of the calendar can do that):
    // nothing can be added to it.
    if current.is_some_and(|m| m.value.status != crate::domain::sepa::DebitStatus::Open) {
        return Err(StartPaymentError::Conflict);
    }
    let Some(mandate) = mandate else {
        return Err(StartPaymentError::Sepa(
            crate::domain::sepa::PurchaseRefusal::NoActiveMandate,
        ));
    };
    // The standing as read holds the purchase: a suspension or a new cap meanwhile makes it
    // read again. A score read today is stored with it.
    let standing = match (stored, fresh) {
        (Some(stored), false) => SepaWrite::ConfirmAccount {
            customer_id: customer.id.clone(),
            version: stored.version,
        },
        (stored, _) => {
            account.score = Some(score);
            account.updated_at = now;
            SepaWrite::PutAccount {
                account,
                expected_version: stored.map(|s| s.version),
            }
        }
    };
    let line = SepaWrite::AddLine {
        customer_id: customer.id.clone(),
        month,
        payment_id: order.payment_id.to_string(),
        line: DebitLine {
            order_reference: order.reference.clone(),
            amount: order.amount.amount(),
            at: now,
        },
        room: snapshot
            .account
            .as_ref()
            .map_or(settings.rule.initial, |a| a.value.cap)
            - order.amount.amount(),
        creates: current.is_none(),
    };
    Ok(SepaPurchase {
        method: PaymentMethod::SepaDebit {
            mandate: mandate.id.clone(),
        },
        writes: refreshed
            .into_iter()
            .chain([Write::Sepa(standing), Write::Sepa(line)])
            .collect(),
    })
}

/// What `start_claimed` hands over for a SEPA purchase.
pub(super) struct SepaStart<'a> {
    pub(super) payment_id: &'a str,
    pub(super) mandate_id: Option<&'a str>,
    pub(super) amount: Money,
    pub(super) customer: CustomerProfile,
    pub(super) customer_version: Option<u64>,
    pub(super) billing: crate::domain::Billing,
    /// The unfinished attempt closed for this one, if any, and the tenders reserved with it.
    pub(super) closed: Vec<PaymentChange>,
    /// The draws reserving those tenders.
    pub(super) draws: Vec<Write>,
    pub(super) tender_views: Vec<PaymentView>,
}

impl StartPayment {
    /// Records the purchase as authorised at once (the order is confirmed and ships like a card
    /// order), the month's line and the standing in one transaction with the order and the
    /// idempotent answer.
    pub(super) async fn start_sepa(
        &self,
        snapshot: &crate::ports::OrderWithPayments,
        moved_order: crate::domain::Order,
        start: SepaStart<'_>,
        key: &IdempotencyKey,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<StoredResponse, StartPaymentError> {
        let settings = self.sepa_settings().ok_or_else(|| {
            StartPaymentError::Invalid(FieldError::new(
                "method",
                "this shop does not offer SEPA direct debit",
            ))
        })?;
        let reference = &snapshot.order.value.reference;
        let purchase = reserve_sepa(
            self.store(),
            self.providers(),
            settings,
            &start.customer,
            SepaOrder {
                reference,
                payment_id: start.payment_id,
                amount: start.amount,
                mandate_id: start.mandate_id,
            },
            now,
        )
        .await?;
        let payment = Payment {
            id: start.payment_id.to_string(),
            order_reference: reference.clone(),
            method: purchase.method,
            status: PaymentStatus::Authorised,
            amount: start.amount.amount(),
            currency: start.amount.currency(),
            psp: None,
            captured_amount: Decimal::ZERO,
            refunded_amount: Decimal::ZERO,
            shipped_amount: Decimal::ZERO,
            shipped_at: None,
            released: None,
            failure_code: None,
            billing: Some(start.billing),
            created_at: now,
            updated_at: now,
            expires_at: now,
            authorised_at: Some(now),
            dispute: None,
            review: None,
            capture: CaptureTiming::AtShipment,
            due_on: None,
            reserved_for: None,
            credited_amount: Decimal::ZERO,
        };
        let view = StartedPaymentView {
            payment: PaymentView::new(&payment),
            next_action: None,
            instalments: Vec::new(),
            tenders: start.tender_views,
        };
        let response = StoredResponse {
            status: 201,
            body: serde_json::to_string(&view).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        let mut changes = start.closed;
        changes.push(PaymentChange {
            payment,
            expected_version: None,
        });
        let settled = settle(snapshot, &moved_order, changes, now);
        let mut writes = settled.into_writes(snapshot.order.version, true);
        writes.extend(purchase.writes);
        writes.extend(start.draws);
        writes.extend([
            Write::PutCustomer {
                customer: start.customer,
                expected_version: start.customer_version,
            },
            completion(key, request_hash, &response, now),
        ]);
        match self
            .store()
            .transact(crate::ports::merge_adjustments(writes))
            .await
        {
            Ok(()) => {
                crate::telemetry::payment_started(crate::telemetry::StartedWith::SepaDebit);
                Ok(response)
            }
            // Another purchase took room on the month, or the order moved: read again.
            Err(StoreError::VersionConflict(_) | StoreError::AlreadyExists(_)) => {
                Err(StartPaymentError::Raced {
                    opened: OpenedAtPsp::Nothing,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}
