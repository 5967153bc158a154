//! The simulation's invariants, checked after a seed ran: against what the PSP executed
//! (captures, refunds), what the store holds, and what the mailer sent.

use std::collections::{BTreeMap, HashMap, HashSet};

use encaisse::domain::{OrderStatus, OutboxEvent, OutboxKind, PaymentStatus, Reference};
use encaisse::ports::prelude::*;
use encaisse::ports::ProviderPaymentStatus;
use rust_decimal::Decimal;

use super::{cents, Plan, Stats, World};
use crate::sim_psp::Movement;

/// The invariants, against what the PSP executed and what the mailer sent.
pub(super) async fn check(world: &World, plans: &[Plan]) -> Result<Stats, String> {
    let movements = world.psp.movements();
    let mut keys = HashSet::new();
    for m in &movements {
        let key = match m {
            Movement::Capture { key, .. } | Movement::Refund { key, .. } => key,
        };
        if !keys.insert(key.clone()) {
            return Err(format!("the PSP executed key {key} twice"));
        }
    }
    let mut stats = world.stats;
    let events = world.store.outbox();
    let emails = world.mailer.sent();
    stats.emails = emails.len();
    for plan in plans {
        let payment_id = plan.payment_id.clone().ok_or("no payment")?;
        let psp = world
            .psp
            .payment_of(&payment_id)
            .ok_or_else(|| format!("{}: no PSP payment", plan.reference))?;
        let intent = psp.id.clone();
        let (authorised, received, refunded) = (
            psp.amount.amount(),
            psp.amount_received.amount(),
            psp.amount_refunded.amount(),
        );
        let captures: Vec<(String, Decimal)> = movements
            .iter()
            .filter_map(|m| match m {
                Movement::Capture {
                    intent: i,
                    key,
                    amount,
                } if *i == intent => Some((key.clone(), *amount)),
                _ => None,
            })
            .collect();
        let refunds: Decimal = movements
            .iter()
            .filter_map(|m| match m {
                Movement::Refund {
                    intent: i, amount, ..
                } if *i == intent => Some(*amount),
                _ => None,
            })
            .sum();
        let captured: Decimal = captures.iter().map(|c| c.1).sum();
        let r = &plan.reference;
        if captured != received || refunds != refunded {
            return Err(format!("{r}: PSP totals disagree with its movements"));
        }
        if received > authorised || refunded > received {
            return Err(format!(
                "{r}: captured {received} of {authorised}, refunded {refunded}"
            ));
        }
        // One capture per parcel, of the parcel's amount; everything shipped was captured.
        let expected: i64 = plan.parcels.iter().map(|p| p.0).sum();
        if captures.len() != plan.parcels.len() || received != Decimal::new(expected, 2) {
            return Err(format!(
                "{r}: {} captures totalling {received} for {} parcels totalling {}",
                captures.len(),
                plan.parcels.len(),
                cents(expected)
            ));
        }
        for (i, (amount, _)) in plan.parcels.iter().enumerate() {
            let key = format!("capture-{r}-parcel-{i}");
            if !captures
                .iter()
                .any(|(k, a)| *k == key && *a == Decimal::new(*amount, 2))
            {
                return Err(format!("{r}: parcel {i} not captured once as {amount}"));
            }
        }
        let planned_refunds: i64 = plan.refunds.iter().sum();
        if refunded != Decimal::new(planned_refunds, 2) {
            return Err(format!(
                "{r}: refunded {refunded}, planned {}",
                cents(planned_refunds)
            ));
        }
        stats.captures += captures.len();
        stats.refunds += plan.refunds.len();

        // The stored payment and order say what the PSP says.
        let reference = Reference::parse(r).map_err(|e| e.to_string())?;
        let snapshot = world
            .store
            .get_order_with_payments(&reference)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("order gone")?;
        let stored = snapshot
            .payments
            .iter()
            .find(|p| p.value.id == payment_id)
            .ok_or("payment gone")?;
        if stored.value.captured_amount != received || stored.value.refunded_amount != refunded {
            return Err(format!(
                "{r}: stored captured {} refunded {}, PSP {received} {refunded}",
                stored.value.captured_amount, stored.value.refunded_amount
            ));
        }
        let (want_payment, want_order) = match psp.status {
            ProviderPaymentStatus::Succeeded
                if refunded == received && refunded > Decimal::ZERO =>
            {
                (PaymentStatus::Refunded, OrderStatus::Refunded)
            }
            ProviderPaymentStatus::Succeeded if refunded > Decimal::ZERO => (
                PaymentStatus::PartiallyRefunded,
                OrderStatus::PartiallyRefunded,
            ),
            ProviderPaymentStatus::Succeeded => (PaymentStatus::Captured, OrderStatus::Captured),
            other => return Err(format!("{r}: PSP ends {other:?} although all was shipped")),
        };
        if stored.value.status != want_payment || snapshot.order.value.status != want_order {
            return Err(format!(
                "{r}: stored {:?}/{:?}, PSP says {want_payment:?}/{want_order:?}",
                stored.value.status, snapshot.order.value.status
            ));
        }

        // A page left unpaid and replaced: closed, never authorised, announced to no one.
        if let Some(old) = &plan.abandoned {
            stats.resumed += 1;
            let stored = snapshot
                .payments
                .iter()
                .find(|p| p.value.id == *old)
                .ok_or("abandoned attempt gone")?;
            if !matches!(
                stored.value.status,
                PaymentStatus::Cancelled | PaymentStatus::Expired
            ) || world.psp.payment_of(old).is_some()
                || events.iter().any(|e| e.payment_id == *old)
            {
                return Err(format!(
                    "{r}: abandoned attempt ends {:?}",
                    stored.value.status
                ));
            }
        }

        // Emails: each event once; together they announce exactly the money that moved.
        let mine: Vec<&OutboxEvent> = events
            .iter()
            .filter(|e| e.payment_id == payment_id)
            .collect();
        let sum = |kind: OutboxKind| -> Decimal {
            mine.iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.amount)
                .sum()
        };
        let count = |kind: OutboxKind| mine.iter().filter(|e| e.kind == kind).count();
        if count(OutboxKind::PaymentReceived) != 1
            || sum(OutboxKind::PaymentReceived) != authorised
            || sum(OutboxKind::AmountDebited) != received
            || sum(OutboxKind::RefundIssued) != refunded
            || count(OutboxKind::InvoiceDue) != 1
        {
            let kinds: BTreeMap<String, Decimal> =
                mine.iter().map(|e| (e.id.clone(), e.amount)).collect();
            return Err(format!("{r}: outbox events {kinds:?}"));
        }
    }
    let mut sent = HashMap::new();
    for email in &emails {
        *sent.entry(email.idempotency_key.clone()).or_insert(0) += 1;
    }
    if let Some((key, n)) = sent.iter().find(|(_, n)| **n > 1) {
        return Err(format!("email {key} sent {n} times"));
    }
    for event in &events {
        let prefix = format!("{}#", event.id);
        let n = emails
            .iter()
            .filter(|e| e.idempotency_key.starts_with(&prefix))
            .count();
        if event.kind != OutboxKind::AuthorisationReleased && n != 1 {
            return Err(format!("event {} emailed {n} times", event.id));
        }
    }
    let pending = world
        .store
        .pending_outbox(1000)
        .await
        .map_err(|e| e.to_string())?;
    if !pending.is_empty() || emails.len() != events.len() {
        return Err(format!(
            "{} events, {} emails, {} still pending",
            events.len(),
            emails.len(),
            pending.len()
        ));
    }
    Ok(stats)
}
