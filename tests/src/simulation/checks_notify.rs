//! What the outside world heard: per order, the outbox events announce exactly the money that
//! moved (debits sum to what was captured, refunds to what was refunded), one invoice once the
//! order is fully captured, one pay-link email per lapse; and each event emailed exactly once.

use std::collections::{BTreeMap, HashMap};

use encaisse::domain::{Order, OutboxEvent, OutboxKind, Payment, ReleaseReason};
use rust_decimal::Decimal;

use encaisse::ports::prelude::*;

use super::World;

pub(super) async fn check_order_events(
    world: &World,
    order: &Order,
    payments: &[Payment],
) -> Result<(), String> {
    let r = order.reference.as_str();
    let events: Vec<OutboxEvent> = world
        .store
        .outbox()
        .into_iter()
        .filter(|e| e.order_reference == order.reference)
        .collect();
    let listing = || -> String {
        let kinds: BTreeMap<&str, Decimal> =
            events.iter().map(|e| (e.id.as_str(), e.amount)).collect();
        format!("{kinds:?}")
    };
    let of = |kind: OutboxKind, payment: Option<&str>| -> (usize, Decimal) {
        let mine = events
            .iter()
            .filter(|e| e.kind == kind && payment.is_none_or(|p| e.payment_id == p));
        (mine.clone().count(), mine.map(|e| e.amount).sum())
    };
    if let Some(stray) = events
        .iter()
        .find(|e| !payments.iter().any(|p| p.id == e.payment_id))
    {
        return Err(format!("{r}: event {} about no payment of ours", stray.id));
    }
    for p in payments {
        let id = Some(p.id.as_str());
        if of(OutboxKind::AmountDebited, id).1 != p.captured_amount
            || of(OutboxKind::RefundIssued, id).1 != p.refunded_amount
        {
            return Err(format!(
                "{r}/{}: captured {} refunded {}, announced {}",
                p.id,
                p.captured_amount,
                p.refunded_amount,
                listing()
            ));
        }
    }
    let a = order.amounts;
    let (invoices, invoiced) = of(OutboxKind::InvoiceDue, None);
    let fully = order.status.is_fully_captured();
    // One invoice once every capture is done, for what was captured less what was refunded
    // by then (later refunds get credit notes); none when everything was refunded first.
    let invoice_ok = match invoices {
        0 => !fully || a.refunded >= a.captured,
        1 => fully && a.captured - a.refunded <= invoiced && invoiced <= a.captured,
        _ => false,
    };
    if of(OutboxKind::AmountDebited, None).1 != a.captured
        || of(OutboxKind::RefundIssued, None).1 != a.refunded
        || !invoice_ok
    {
        return Err(format!(
            "{r}: {a:?} ({:?}), announced {}",
            order.status,
            listing()
        ));
    }
    // "Payment received" once per time the order became paid: each about an authorisation
    // the PSP gave, for its amount.
    let intents = world.psp.intents_of(r);
    let received: Vec<&OutboxEvent> = events
        .iter()
        .filter(|e| e.kind == OutboxKind::PaymentReceived)
        .collect();
    let authorised = intents.iter().filter(|i| i.was_authorised).count();
    if received.is_empty() || received.len() > authorised {
        return Err(format!(
            "{r}: {} payment-received events for {authorised} authorisations: {}",
            received.len(),
            listing()
        ));
    }
    for e in &received {
        let was = intents.iter().any(|i| {
            i.was_authorised
                && i.payment.payment_id.as_deref() == Some(e.payment_id.as_str())
                && i.payment.amount.amount() == e.amount
        });
        if !was {
            return Err(format!("{r}: {} announces no authorisation", e.id));
        }
    }
    let lapsed = payments
        .iter()
        .filter(|p| {
            p.released
                .is_some_and(|rel| rel.reason == ReleaseReason::Lapsed)
        })
        .count();
    if of(OutboxKind::ReauthorisationRequired, None).0 != lapsed
        || of(OutboxKind::AuthorisationReleased, None).0 != 0
    {
        return Err(format!(
            "{r}: {lapsed} lapsed authorisations, announced {}",
            listing()
        ));
    }
    Ok(())
}

/// Each outbox event emailed exactly once, none left pending, no email sent twice.
pub(super) async fn check_emails(world: &World) -> Result<(), String> {
    let events = world.store.outbox();
    let emails = world.mailer.sent();
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
    Ok(())
}
