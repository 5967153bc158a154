//! Committing changed payments of one order: each payment under its version, the order
//! re-derived from all its payments when that moves it, and the outbox events the change causes,
//! as the writes of one transaction. Every use case that changes a payment goes through here,
//! so the order is never moved by hand.

use time::OffsetDateTime;

use crate::domain::instalment_plan::plan_followups;
use crate::domain::order::InvoiceCue;
use crate::domain::tenders::{given_back, tender_followups, Tender};
use crate::domain::{effects, Effect, Order, OutboxEvent, OutboxKind, Payment};
use crate::ports::{OrderWithPayments, PaymentRef, TenderWrite, Write};

/// The write that gives `amount` back to a tender of `customer`.
pub fn give_back(
    customer: &str,
    currency: crate::domain::Currency,
    tender: Tender,
    amount: rust_decimal::Decimal,
) -> TenderWrite {
    match tender {
        Tender::Voucher(voucher) => TenderWrite::AdjustVoucher {
            voucher,
            delta: amount,
            usable_on: None,
        },
        Tender::CreditBalance => TenderWrite::AdjustBalance {
            customer_id: customer.to_string(),
            currency,
            credit: amount,
            outstanding: rust_decimal::Decimal::ZERO,
            maximum_seen: None,
        },
        Tender::OnAccount => TenderWrite::AdjustBalance {
            customer_id: customer.to_string(),
            currency,
            credit: rust_decimal::Decimal::ZERO,
            outstanding: -amount,
            maximum_seen: None,
        },
    }
}

/// The order with its held promo code kept (the payment it was held for is authorised) or
/// dropped (it failed, was dropped or expired), and the writes giving its use back.
fn discount_followup(order: &Order, after: &[Payment], now: OffsetDateTime) -> (Order, Vec<Write>) {
    let mut order = order.clone();
    let Some(discount) = order.discount.as_mut() else {
        return (order, Vec::new());
    };
    let Some(rest) = discount
        .reserved_for
        .as_ref()
        .and_then(|id| after.iter().find(|p| &p.id == id))
    else {
        return (order, Vec::new());
    };
    use crate::domain::PaymentStatus::*;
    if rest.review.as_ref().is_some_and(|r| r.is_pending()) {
        return (order, Vec::new());
    }
    if rest.status.was_authorised() {
        discount.reserved_for = None;
        return (order, Vec::new());
    }
    if !matches!(rest.status, Failed | Cancelled | Expired) {
        return (order, Vec::new());
    }
    let customer = crate::domain::customer_id(&order.customer.email);
    let back = super::start_promo::uses(
        &discount.code,
        &customer,
        -1,
        None,
        crate::domain::paris_time::paris_date(now),
    );
    order.discount = None;
    (order, back)
}

/// A payment to write: `expected_version` None creates it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentChange {
    pub payment: Payment,
    pub expected_version: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub payments: Vec<PaymentChange>,
    /// The order re-derived; `moved` says whether it differs from the stored one.
    pub order: Order,
    pub moved: bool,
    pub events: Vec<OutboxEvent>,
    /// PSP payment ids learnt by this change, to index (PSP id → our order and payment).
    pub learnt: Vec<Write>,
    /// What tenders get back (a reservation released, a refund to a voucher or the credit).
    pub given_back: Vec<Write>,
}

impl Settled {
    /// The writes, the order's only when it moved (or `always_order`: the caller changed
    /// something else on it, or needs its version checked).
    pub fn into_writes(self, order_version: u64, always_order: bool) -> Vec<Write> {
        let mut writes: Vec<Write> = self
            .payments
            .into_iter()
            .map(|c| Write::PutPayment {
                payment: c.payment,
                expected_version: c.expected_version,
            })
            .collect();
        if self.moved || always_order {
            writes.push(Write::UpdateOrder {
                order: self.order,
                expected_version: order_version,
            });
        }
        writes.extend(self.events.into_iter().map(Write::PutOutbox));
        writes.extend(self.learnt);
        writes.extend(self.given_back);
        writes
    }
}

/// `stored` with each change replacing the payment of its id, or added.
fn apply(stored: &[Payment], changes: &[PaymentChange]) -> Vec<Payment> {
    let mut after = stored.to_vec();
    for change in changes {
        match after.iter_mut().find(|p| p.id == change.payment.id) {
            Some(slot) => *slot = change.payment.clone(),
            None => after.push(change.payment.clone()),
        }
    }
    after
}

/// The order once `changes` apply to `snapshot`'s payments (each change replaces the payment
/// of the same id, or adds one), with the events of the change. Event ids are
/// `<kind>#<payment>#<its next version>`, so replaying the same change cannot queue twice.
pub fn settle(
    snapshot: &OrderWithPayments,
    order: &Order,
    changes: Vec<PaymentChange>,
    now: OffsetDateTime,
) -> Settled {
    let stored: Vec<Payment> = snapshot.payments.iter().map(|p| p.value.clone()).collect();
    let mut changes = changes;
    let mut after = apply(&stored, &changes);
    // An instalment plan's own rules (cancel the rest of an unpaid plan, schedule a retry).
    let followups = {
        let pairs: Vec<(Option<&Payment>, &Payment)> = changes
            .iter()
            .map(|c| (stored.iter().find(|p| p.id == c.payment.id), &c.payment))
            .collect();
        plan_followups(&pairs, &after, now)
    };
    if !followups.is_empty() {
        changes.extend(followups.into_iter().map(|payment| {
            let expected_version = snapshot
                .payments
                .iter()
                .find(|p| p.value.id == payment.id)
                .map(|p| p.version);
            PaymentChange {
                payment,
                expected_version,
            }
        }));
        after = apply(&stored, &changes);
    }
    // Reserved tenders follow the payment that takes the rest (taken or given back).
    let taken_or_released = tender_followups(&after, now);
    if !taken_or_released.is_empty() {
        for payment in taken_or_released {
            match changes.iter_mut().find(|c| c.payment.id == payment.id) {
                Some(change) => change.payment = payment,
                None => {
                    let expected_version = snapshot
                        .payments
                        .iter()
                        .find(|p| p.value.id == payment.id)
                        .map(|p| p.version);
                    changes.push(PaymentChange {
                        payment,
                        expected_version,
                    });
                }
            }
        }
        after = apply(&stored, &changes);
    }
    // A promo code held for a payment follows it like the tenders: kept, or dropped with
    // its use given back.
    let (order, promo_back) = discount_followup(order, &after, now);
    let order = &order;
    let before_position = snapshot.order.value.position(&stored);
    let mut rederived = order.rederived(&after);
    let after_position = order.position(&after);
    let pairs: Vec<(Option<&Payment>, &Payment)> = changes
        .iter()
        .map(|c| {
            let old = stored.iter().find(|p| p.id == c.payment.id);
            (old, &c.payment)
        })
        .collect();
    let version_of = |payment_id: &str| {
        changes
            .iter()
            .find(|c| c.payment.id == payment_id)
            .map_or(1, |c| c.expected_version.map_or(1, |v| v + 1))
    };
    let caused = effects(&before_position, &after_position, &pairs);
    if let Some(cue) = caused.iter().find(|c| c.effect == Effect::IssueInvoice) {
        rederived.invoiced.get_or_insert(InvoiceCue {
            payment_id: cue.payment_id.clone(),
            at: now,
        });
    }
    let events = caused
        .into_iter()
        .map(|caused| {
            let kind = OutboxKind::from(caused.effect);
            OutboxEvent {
                id: format!(
                    "{kind:?}#{}#{}",
                    caused.payment_id,
                    version_of(&caused.payment_id)
                ),
                kind,
                order_reference: order.reference.clone(),
                payment_id: caused.payment_id,
                amount: caused.amount,
                currency: order.currency,
                created_at: now,
                document: None,
            }
        })
        .collect();
    let learnt = pairs
        .iter()
        .filter_map(|(old, new)| {
            let link = new.psp.as_ref()?;
            let id = link.payment.as_ref()?;
            let known = old.and_then(|o| o.provider_payment()) == Some(id.as_str());
            (!known).then(|| Write::IndexProviderPayment {
                provider: link.provider.clone(),
                provider_payment: id.clone(),
                payment: PaymentRef {
                    order_reference: new.order_reference.clone(),
                    payment_id: new.id.clone(),
                },
            })
        })
        .collect();
    let customer = crate::domain::customer_id(&order.customer.email);
    let mut given_back: Vec<Write> = pairs
        .iter()
        .flat_map(|(old, new)| {
            given_back(*old, new).into_iter().map(|(tender, amount)| {
                Write::Tender(give_back(&customer, new.currency, tender, amount))
            })
        })
        .collect();
    given_back.extend(promo_back);
    Settled {
        given_back,
        learnt,
        moved: rederived != snapshot.order.value,
        order: rederived,
        payments: changes,
        events,
    }
}

#[cfg(test)]
#[path = "settle_tests.rs"]
mod tests;
