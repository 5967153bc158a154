//! Committing a checkout's tenders: counting a wrong code against the order, and an order the
//! tenders cover whole (no PSP: the tender payments taken at once, the order paid, in one
//! transaction with the draws).

use time::OffsetDateTime;

use super::idempotency::completion;
use super::payment_view::{PaymentView, StartedPaymentView};
use super::settle::{settle, PaymentChange};
use super::start_payment::StartPayment;
use super::start_payment_error::StartPaymentError;
use super::start_payment_method::OpenedAtPsp;
use super::start_payment_request::{Checked, CheckedMethod};
use super::start_tenders::{reserve_tenders, Reserved, Rest, TenderRefusal};
use crate::domain::tenders::code_guesses::seconds_to_next_hour;
use crate::domain::tenders::{CodeGuessBucket, MAX_CODE_FAILURES_PER_CLIENT};
use crate::domain::CustomerProfile;
use crate::ports::{
    merge_adjustments, IdempotencyKey, ItemKind, OrderWithPayments, StoreError, StoredResponse,
    TenderWrite, Write,
};

/// The write that counts a refusal against the client address's hour, when it is known.
fn count_for_client(checked: &Checked, now: OffsetDateTime) -> Option<Write> {
    let client = checked.tenders.client.as_ref()?;
    Some(Write::Tender(TenderWrite::CountCodeFailure {
        bucket: CodeGuessBucket::at(client.clone(), now),
        limit: MAX_CODE_FAILURES_PER_CLIENT,
    }))
}

fn too_many_from_client(now: OffsetDateTime) -> StartPaymentError {
    StartPaymentError::TooManyCodeAttemptsFromClient {
        retry_after_seconds: seconds_to_next_hour(now),
    }
}

/// An order its tenders pay whole.
pub(super) struct TendersOnly<'a> {
    pub(super) snapshot: &'a OrderWithPayments,
    pub(super) moved_order: crate::domain::Order,
    /// The unfinished attempt closed for this one, if any.
    pub(super) closed: Vec<PaymentChange>,
    pub(super) tenders: Reserved,
    pub(super) customer: CustomerProfile,
    pub(super) customer_version: Option<u64>,
}

impl StartPayment {
    /// The checkout's tenders reserved for `due`; a wrong code is counted on the order (a
    /// conditional write) before the uniform 422.
    pub(super) async fn tenders_for(
        &self,
        snapshot: &OrderWithPayments,
        base: &crate::domain::Order,
        checked: &Checked,
        rest: Rest<'_>,
        now: OffsetDateTime,
    ) -> Result<Reserved, StartPaymentError> {
        let order = &snapshot.order.value;
        let on_account = checked.method == CheckedMethod::OnAccount;
        match reserve_tenders(self.store(), base, &checked.tenders, on_account, rest, now).await {
            Ok(reserved) => Ok(reserved),
            Err(TenderRefusal::Invalid(e)) => Err(e.into()),
            Err(TenderRefusal::Failed(e)) => Err(e),
            Err(TenderRefusal::WrongCode(refusal)) => {
                let mut counted = order.clone();
                counted.code_failures += 1;
                let mut writes = vec![Write::UpdateOrder {
                    order: counted,
                    expected_version: snapshot.order.version,
                }];
                // And against the client address's hour, within its limit.
                writes.extend(count_for_client(checked, now));
                match self.store().transact(writes).await {
                    Ok(()) => Err(StartPaymentError::WrongCode(refusal)),
                    Err(StoreError::VersionConflict(item))
                        if item.kind == ItemKind::CodeGuesses =>
                    {
                        Err(too_many_from_client(now))
                    }
                    // The order moved meanwhile: read again, and count it then.
                    Err(StoreError::VersionConflict(_)) => Err(StartPaymentError::Raced {
                        opened: OpenedAtPsp::Nothing,
                    }),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// A checkout with codes refused after its codes were tried (no credit to use, billing
    /// missing, a plan the rest does not fit, a promo minimum): the answer could tell a right
    /// code from a wrong one, so it counts against the client address like a wrong code.
    pub(super) async fn count_refusal_with_codes(
        &self,
        checked: &Checked,
        now: OffsetDateTime,
    ) -> Result<(), StartPaymentError> {
        let tenders = &checked.tenders;
        if tenders.codes.is_empty() && tenders.promo.is_none() {
            return Ok(());
        }
        let Some(count) = count_for_client(checked, now) else {
            return Ok(());
        };
        match self.store().transact(vec![count]).await {
            Ok(()) => Ok(()),
            Err(StoreError::VersionConflict(item)) if item.kind == ItemKind::CodeGuesses => {
                Err(too_many_from_client(now))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The tenders cover what is due: no PSP, every tender taken now, the order paid.
    pub(super) async fn commit_tenders_only(
        &self,
        paid: TendersOnly<'_>,
        key: &IdempotencyKey,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<StoredResponse, StartPaymentError> {
        let TendersOnly {
            snapshot,
            moved_order,
            mut closed,
            tenders,
            customer,
            customer_version,
        } = paid;
        let views: Vec<PaymentView> = tenders.payments.iter().map(PaymentView::new).collect();
        let Some(first) = views.first().cloned() else {
            return Err(StoreError::Corrupt("nothing due and no tender".into()).into());
        };
        let view = StartedPaymentView {
            payment: first,
            next_action: None,
            instalments: Vec::new(),
            tenders: views,
        };
        let response = StoredResponse {
            status: 201,
            body: serde_json::to_string(&view).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        closed.extend(tenders.payments.into_iter().map(|payment| PaymentChange {
            payment,
            expected_version: None,
        }));
        let settled = settle(snapshot, &moved_order, closed, now);
        let mut writes = settled.into_writes(snapshot.order.version, true);
        writes.extend(tenders.draws);
        writes.extend([
            Write::PutCustomer {
                customer,
                expected_version: customer_version,
            },
            completion(key, request_hash, &response, now),
        ]);
        match self.store().transact(merge_adjustments(writes)).await {
            Ok(()) => {
                crate::telemetry::payment_started(crate::telemetry::StartedWith::Tenders);
                Ok(response)
            }
            // A voucher, a balance or the order moved: nothing was opened anywhere, so read
            // again (a spent voucher then pays what it has left, or is refused).
            Err(StoreError::VersionConflict(_) | StoreError::AlreadyExists(_)) => {
                Err(StartPaymentError::Raced {
                    opened: OpenedAtPsp::Nothing,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}
