//! The simulation's invariants, checked after a seed ran: against what the PSP executed
//! (captures, refunds, authorisations still held), what the store holds (each payment, the order
//! derived from all of them), and what the mailer sent (`checks_notify`).

use std::collections::HashSet;

use encaisse::domain::{Order, Payment, PaymentMethod, PaymentStatus, ReleaseReason};
use encaisse::ports::ProviderPaymentStatus;
use rust_decimal::Decimal;

use super::plan::Plan;
use super::{checks_notify, Stats, World};
use crate::sim_psp::{IntentView, Movement};

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// The status a payment must have when its PSP object says this (`None`: the PSP has nothing).
fn expected_status(psp: Option<&IntentView>) -> Option<PaymentStatus> {
    use ProviderPaymentStatus as P;
    let p = &psp?.payment;
    let (received, refunded) = (p.amount_received.amount(), p.amount_refunded.amount());
    Some(match p.status {
        P::RequiresCapture if received > Decimal::ZERO => PaymentStatus::PartiallyCaptured,
        P::RequiresCapture => PaymentStatus::Authorised,
        P::Succeeded | P::Canceled if refunded > Decimal::ZERO && refunded >= received => {
            PaymentStatus::Refunded
        }
        P::Succeeded | P::Canceled if refunded > Decimal::ZERO => PaymentStatus::PartiallyRefunded,
        P::Succeeded => PaymentStatus::Captured,
        P::Canceled if received > Decimal::ZERO => PaymentStatus::Captured,
        P::Canceled => PaymentStatus::Cancelled,
        P::Failed => PaymentStatus::Failed,
        P::RequiresPaymentMethod | P::RequiresConfirmation => PaymentStatus::Created,
        P::RequiresAction => PaymentStatus::RequiresAction,
        P::Processing => PaymentStatus::Processing,
    })
}

/// One payment against its PSP object: the same money and status; captured ≤ amount,
/// refunded ≤ captured; a rest given back is recorded with its reason and amount.
fn check_payment(r: &str, p: &Payment, psp: Option<&IntentView>) -> Result<(), String> {
    let id = &p.id;
    if p.captured_amount > p.amount || p.refunded_amount > p.captured_amount {
        return Err(format!(
            "{r}/{id}: captured {} of {}, refunded {}",
            p.captured_amount, p.amount, p.refunded_amount
        ));
    }
    let (received, refunded) = psp.map_or((Decimal::ZERO, Decimal::ZERO), |i| {
        (
            i.payment.amount_received.amount(),
            i.payment.amount_refunded.amount(),
        )
    });
    if p.captured_amount != received || p.refunded_amount != refunded {
        return Err(format!(
            "{r}/{id}: stored captured {} refunded {}, PSP {received} {refunded}",
            p.captured_amount, p.refunded_amount
        ));
    }
    match expected_status(psp) {
        // Never paid: closed here (resumed, deleted, expired), whatever the page became.
        None | Some(PaymentStatus::Created) => {
            if !matches!(p.status, PaymentStatus::Cancelled | PaymentStatus::Expired) {
                return Err(format!("{r}/{id}: never paid, ends {:?}", p.status));
            }
        }
        Some(want) if want != p.status => {
            return Err(format!(
                "{r}/{id}: stored {:?}, PSP says {want:?}",
                p.status
            ));
        }
        Some(_) => {}
    }
    // An authorisation closed short: what was not captured is recorded as given back, and why.
    let authorised = psp.is_some_and(|i| i.was_authorised);
    let closed = !p.status.is_live_authorisation();
    let rest = p.amount - p.captured_amount;
    if authorised && closed && rest > Decimal::ZERO {
        match p.released {
            Some(release) if release.amount == rest => {}
            other => {
                return Err(format!(
                    "{r}/{id}: {:?} with {rest} of {} never captured, released {other:?}",
                    p.status, p.amount
                ))
            }
        }
    }
    Ok(())
}

/// The order derived from its payments, and its money within bounds.
fn check_order(r: &str, order: &Order, payments: &[Payment], plan: &Plan) -> Result<(), String> {
    let rederived = order.rederived(payments);
    if *order != rederived {
        return Err(format!(
            "{r}: stored order {:?} {:?}, its payments say {:?} {:?}",
            order.status, order.amounts, rederived.status, rederived.amounts
        ));
    }
    let a = order.amounts;
    let gross = order.totals().gross;
    if a.captured > a.authorised || a.refunded > a.captured {
        return Err(format!("{r}: order amounts {a:?}"));
    }
    if order.amount_due() != (gross - a.settled).max(Decimal::ZERO) {
        return Err(format!("{r}: due {} with {a:?}", order.amount_due()));
    }
    // Everything shipped was captured; the order is settled in full (a short last parcel's
    // rest is not owed) and can be invoiced.
    let shipped: i64 = (0..plan.parcels.len()).map(|i| plan.parcel_cents(i)).sum();
    if a.captured != money(shipped) || a.settled != gross || !order.status.is_fully_captured() {
        return Err(format!(
            "{r}: ends {:?} {a:?} for {} shipped of {gross}",
            order.status,
            money(shipped)
        ));
    }
    let written_off: Decimal = payments
        .iter()
        .filter_map(|p| p.released)
        .filter(|rel| rel.reason == ReleaseReason::LastParcel)
        .map(|rel| rel.amount)
        .sum();
    if written_off != gross - money(shipped) {
        return Err(format!(
            "{r}: {written_off} released as not owed, {} not shipped",
            gross - money(shipped)
        ));
    }
    Ok(())
}

/// What the PSP executed for this order: one capture per parcel, of its amount; a card that
/// cannot be captured twice never captured twice, nor in full for a partial parcel; refunds
/// exactly as answered; no authorisation left held.
fn check_psp(
    world: &World,
    plan: &Plan,
    movements: &[Movement],
    intents: &[IntentView],
    payments: &[Payment],
) -> Result<(), String> {
    let r = &plan.reference;
    let ours: HashSet<&str> = intents.iter().map(|i| i.payment.id.as_str()).collect();
    let captures: Vec<(&String, &String, Decimal)> = movements
        .iter()
        .filter_map(|m| match m {
            Movement::Capture {
                intent,
                key,
                amount,
                ..
            } if ours.contains(intent.as_str()) => Some((intent, key, *amount)),
            _ => None,
        })
        .collect();
    // A card without multicapture is never asked for a capture that keeps the rest (the PSP
    // would make it final and release the rest behind our back).
    if let Some(kept) = movements.iter().find(|m| {
        matches!(m, Movement::Capture { intent, final_capture: false, .. }
            if intents.iter().any(|i| i.payment.id == *intent && !i.multicapture))
    }) {
        return Err(format!(
            "{r}: non-final capture of a card without multicapture: {kept:?}"
        ));
    }
    if captures.len() != plan.parcels.len() {
        return Err(format!(
            "{r}: {} captures for {} parcels",
            captures.len(),
            plan.parcels.len()
        ));
    }
    for (i, parcel) in plan.parcels.iter().enumerate() {
        let key = format!("capture-{r}-parcel-{i}");
        let want = money(plan.parcel_cents(i));
        let Some((intent, _, amount)) = captures.iter().find(|c| of_shipment(c.1, &key)) else {
            return Err(format!("{r}: parcel {i} never captured"));
        };
        if *amount != want {
            return Err(format!("{r}: parcel {i} captured {amount}, shipped {want}"));
        }
        let view = intents.iter().find(|v| v.payment.id == **intent);
        if let Some(v) = view.filter(|v| !v.multicapture) {
            let on_it = captures.iter().filter(|c| c.0 == *intent).count();
            // Its one capture is this parcel's: never the whole authorisation for a part.
            let received = v.payment.amount_received.amount();
            if on_it > 1 || received != want {
                return Err(format!(
                    "{r}: card without multicapture {intent} captured {on_it} times, {received} \
                     in all, for a {:?} parcel of {want}",
                    parcel.kind
                ));
            }
        }
    }
    // Each shipment's 202 names the payment that holds its capture, for the parcel's amount.
    for i in 0..plan.parcels.len() {
        let shipment = format!("parcel-{i}");
        let Some(body) = world.shipped.get(&(r.clone(), shipment.clone())) else {
            return Err(format!("{r}: {shipment} never answered 202"));
        };
        let body: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let key = format!("capture-{r}-{shipment}");
        let intent = payments
            .iter()
            .find(|p| body["payment_id"] == p.id.as_str())
            .and_then(Payment::provider_payment);
        let holds = captures
            .iter()
            .any(|c| of_shipment(c.1, &key) && Some(c.0.as_str()) == intent);
        if !holds || body["captured"] != money(plan.parcel_cents(i)).to_string().as_str() {
            return Err(format!("{r}: {shipment} answered {body}"));
        }
    }
    for v in intents {
        let p = &v.payment;
        let id = &p.id;
        let stored = payments
            .iter()
            .find(|s| s.provider_payment() == Some(id.as_str()));
        if p.status == ProviderPaymentStatus::RequiresCapture
            || p.status == ProviderPaymentStatus::RequiresAction
        {
            return Err(format!(
                "{r}: {id} still held at the PSP ({:?}, {} capturable)",
                p.status,
                p.amount_capturable.amount()
            ));
        }
        if stored.is_none() && (p.amount_received.amount() > Decimal::ZERO || v.was_authorised) {
            return Err(format!("{r}: {id} authorised at the PSP, unknown here"));
        }
    }
    // Refunds: each answered one executed once as asked; each refused one never.
    let mut refunded = Decimal::ZERO;
    for (key, cents) in &plan.refunds {
        let psp_key = format!("refund-{r}-{key}");
        let executed: Vec<Decimal> = movements
            .iter()
            .filter_map(|m| match m {
                Movement::Refund { key, amount, .. } if *key == psp_key => Some(*amount),
                _ => None,
            })
            .collect();
        match world.refunded.get(&(r.clone(), key.clone())) {
            Some(Ok(_)) if executed == [money(*cents)] => refunded += money(*cents),
            Some(Err(_)) if executed.is_empty() => {}
            answer => {
                return Err(format!(
                    "{r}: refund {key} of {} answered {answer:?}, PSP executed {executed:?}",
                    money(*cents)
                ))
            }
        }
    }
    let at_psp: Decimal = intents
        .iter()
        .map(|i| i.payment.amount_refunded.amount())
        .sum();
    if at_psp != refunded {
        return Err(format!("{r}: PSP refunded {at_psp}, answered {refunded}"));
    }
    Ok(())
}

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
    for plan in plans {
        let r = &plan.reference;
        let snapshot = world.snapshot(r).await?;
        let order = &snapshot.order.value;
        let payments: Vec<Payment> = snapshot.payments.iter().map(|p| p.value.clone()).collect();
        let intents = world.psp.intents_of(r);
        for p in &payments {
            let psp = p
                .provider_payment()
                .and_then(|id| intents.iter().find(|i| i.payment.id == id));
            check_payment(r, p, psp)?;
        }
        check_order(r, order, &payments, plan)?;
        check_psp(world, plan, &movements, &intents, &payments)?;
        // Pages left unpaid: closed, never authorised, announced to no one.
        for old in &plan.left {
            let stored = payments
                .iter()
                .find(|p| p.id == *old)
                .ok_or("left attempt gone")?;
            if stored.status.was_authorised()
                || world.psp.payment_of(old).is_some_and(|p| {
                    p.amount_received.amount() > Decimal::ZERO
                        || p.status == ProviderPaymentStatus::RequiresCapture
                })
            {
                return Err(format!("{r}: left attempt ends {:?}", stored.status));
            }
        }
        checks_notify::check_order_events(world, order, &payments).await?;
        stats.captures += plan.parcels.len();
        stats.refunds += plan.refunds.len();
        stats.refunds_refused += plan
            .refunds
            .iter()
            .filter(|(k, _)| matches!(world.refunded.get(&(r.clone(), k.clone())), Some(Err(_))))
            .count();
        stats.renewals += payments
            .iter()
            .filter(|p| matches!(p.method, PaymentMethod::SavedCard { .. }))
            .count();
        if payments
            .iter()
            .filter(|p| p.status.was_authorised())
            .count()
            > 1
        {
            stats.multi_payment_orders += 1;
        }
    }
    checks_notify::check_emails(world).await?;
    stats.emails = world.mailer.sent().len();
    Ok(stats)
}

/// A capture under a shipment's key: `capture-<ref>-<shipment>`, or the same followed by
/// `-<payment>` when the shipment's first key went to a payment replaced since.
fn of_shipment(capture_key: &str, shipment_key: &str) -> bool {
    capture_key == shipment_key
        || capture_key
            .strip_prefix(shipment_key)
            .is_some_and(|rest| rest.starts_with("-pay_"))
}
