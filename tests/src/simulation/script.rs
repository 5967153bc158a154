//! The moves the shopper and the seller make once the back office shows the state they wait
//! for: start and pay (or leave) pages, ship parcels, refund, pay again by the pay link after a
//! lapsed authorisation; and the PSP cancelling an authorisation left uncaptured.

use encaisse::app::start_payment::{StartPaymentCommand, StartPaymentError};
use encaisse::domain::{OrderStatus, Payment, Reference};
use encaisse::ports::prelude::*;
use encaisse::ports::{OrderWithPayments, ProviderPaymentStatus};
use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;

use super::plan::{card, Leave, ParcelKind, Plan, Step};
use super::{cents, Item, World};
use crate::sim_psp::Card;

fn in_cents(amount: Decimal) -> i64 {
    (amount * Decimal::from(100))
        .trunc()
        .to_string()
        .parse()
        .unwrap_or(0)
}

impl World {
    pub(super) async fn snapshot(&self, reference: &str) -> Result<OrderWithPayments, String> {
        let reference = Reference::parse(reference).map_err(|e| e.to_string())?;
        self.store
            .get_order_with_payments(&reference)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{reference}: order gone"))
    }

    /// A shipment or refund of this order still to be answered.
    fn in_flight(&self, reference: &str) -> bool {
        self.pool
            .iter()
            .chain(self.dead.iter().map(|(item, _)| item))
            .any(|item| match item {
                Item::Ship { reference: r, .. } | Item::Refund { reference: r, .. } => {
                    r == reference
                }
                _ => false,
            })
    }

    /// The shopper has something to do: pay again through the pay link.
    pub(super) async fn must_pay_again(&self, plan: &Plan) -> Result<bool, String> {
        if !plan.steps[..plan.at].contains(&Step::Pay) {
            return Ok(false);
        }
        let snapshot = self.snapshot(&plan.reference).await?;
        Ok(snapshot.order.value.status == OrderStatus::RequiresReauthorisation)
    }

    /// Moves one order's script on, when the seller or shopper could act now.
    pub(super) async fn advance(&mut self, plan: &mut Plan) -> Result<bool, String> {
        // Past the first payment: a lapsed authorisation the shopper was emailed about is paid
        // again through the pay link, with whatever card the shopper has at hand.
        if self.must_pay_again(plan).await? {
            plan.pay_links += 1;
            self.stats.pay_links += 1;
            self.start_payment(plan).await?;
            let card = card(&mut self.rng);
            self.trace(|| format!("{} pays again by the pay link ({card:?})", plan.reference));
            self.pay(plan, card)?;
            return Ok(true);
        }
        let step = plan.step();
        match step {
            Step::Start(leave) => {
                self.start_payment(plan).await?;
                if let Some(leave) = leave {
                    self.leave(plan, leave).await?;
                }
            }
            Step::Pay => {
                let card = plan.card;
                self.pay(plan, card)?;
            }
            Step::PspCancel => {
                let snapshot = self.snapshot(&plan.reference).await?;
                if !matches!(
                    snapshot.order.value.status,
                    OrderStatus::Authorised | OrderStatus::PartiallyCaptured
                ) {
                    return Ok(false);
                }
                let uncaptured = snapshot
                    .payments
                    .iter()
                    .map(|p| &p.value)
                    .filter(|p| p.status.is_live_authorisation())
                    .filter_map(Payment::provider_payment)
                    .find(|intent| {
                        self.psp.intents_of(&plan.reference).iter().any(|i| {
                            i.payment.id == *intent
                                && i.payment.status == ProviderPaymentStatus::RequiresCapture
                                && i.payment.amount_received.amount().is_zero()
                        })
                    })
                    .map(str::to_owned);
                // Nothing uncaptured to cancel (a capture came first): the 7 days did not pass.
                if let Some(intent) = uncaptured {
                    if self.psp.cancel_by_psp(&intent) {
                        self.trace(|| format!("{}: the PSP cancels {intent}", plan.reference));
                        self.stats.psp_cancels += 1;
                    }
                }
                self.schedule_new_events();
            }
            Step::Ship(i) => {
                // The seller ships once the back office shows the order authorised.
                let snapshot = self.snapshot(&plan.reference).await?;
                let order = &snapshot.order.value;
                if !matches!(
                    order.status,
                    OrderStatus::Authorised | OrderStatus::PartiallyCaptured
                ) {
                    return Ok(false);
                }
                let parcel = plan.parcels[i];
                if parcel.kind != ParcelKind::Part {
                    // "The rest" and "the last" are sent once the other parcels show as
                    // captured: sent earlier they would take or close their share, which is
                    // the warehouse's mistake, not ours.
                    let before: i64 = (0..i).map(|j| plan.parcel_cents(j)).sum();
                    if in_cents(order.amounts.captured) != before {
                        return Ok(false);
                    }
                }
                if parcel.kind == ParcelKind::Last && plan.short() {
                    self.stats.short += 1;
                }
                let copies = self.rng.between(1, 3);
                for _ in 0..copies {
                    self.pool.push(Item::Ship {
                        reference: plan.reference.clone(),
                        shipment: format!("parcel-{i}"),
                        amount: (parcel.kind != ParcelKind::Rest).then(|| cents(parcel.cents)),
                        last: parcel.kind == ParcelKind::Last,
                    });
                }
            }
            Step::Refund => {
                // Refunds what the last captured payment still holds, once no parcel or refund
                // of the order is in flight (the back office shows a settled picture); with
                // nothing left there, the seller refunds nothing.
                if self.in_flight(&plan.reference) {
                    return Ok(false);
                }
                let snapshot = self.snapshot(&plan.reference).await?;
                let refundable = snapshot
                    .payments
                    .iter()
                    .rev()
                    .map(|p| &p.value)
                    .find(|p| p.captured_amount > Decimal::ZERO)
                    .map_or(0, |p| in_cents(p.captured_amount - p.refunded_amount));
                if refundable <= 0 {
                    self.trace(|| format!("{}: nothing to refund", plan.reference));
                    plan.at += 1;
                    return Ok(true);
                }
                let amount = if self.rng.chance(20) {
                    refundable
                } else {
                    self.rng.between(1, refundable)
                };
                let key = format!("refund-{}", plan.refunds.len());
                plan.refunds.push((key.clone(), amount));
                if plan.steps[plan.at + 1..]
                    .iter()
                    .any(|s| matches!(s, Step::Ship(_)))
                {
                    self.stats.refunds_between += 1;
                }
                let copies = self.rng.between(1, 2);
                for _ in 0..copies {
                    self.pool.push(Item::Refund {
                        reference: plan.reference.clone(),
                        key: key.clone(),
                        amount: cents(amount),
                    });
                }
            }
            Step::Done => return Ok(false),
        }
        self.trace(|| {
            format!(
                "{} did {step:?} (payment {:?})",
                plan.reference, plan.payment_id
            )
        });
        plan.at += 1;
        Ok(true)
    }

    /// `POST …/payments` with a new key (the shopper double-clicks sometimes: the same key
    /// answers the same).
    async fn start_payment(&mut self, plan: &mut Plan) -> Result<(), String> {
        let body = json!({
            "method": "card",
            "billing": {"name": "Client", "email": format!("billing-{}@example.test", plan.reference),
                        "address": {"line1": "1 rue", "postcode": "83000", "city": "Toulon", "country": "FR"}},
            "return_url": "http://localhost/return",
            "save_card": plan.save_card,
        })
        .to_string();
        let reference = Reference::parse(&plan.reference).map_err(|e| e.to_string())?;
        let until = OffsetDateTime::now_utc() + time::Duration::seconds(30);
        let tries = if self.rng.chance(30) { 2 } else { 1 };
        let key = format!("pay-{}", plan.attempts);
        plan.attempts += 1;
        let mut answers = Vec::new();
        for _ in 0..tries {
            let command: StartPaymentCommand =
                serde_json::from_str(&body).map_err(|e| e.to_string())?;
            match self
                .start
                .start(&reference, &key, body.as_bytes(), command, until)
                .await
            {
                Ok(answer) => answers.push(answer.body),
                Err(StartPaymentError::InProgress) => {}
                Err(e) => return Err(format!("start {}/{key}: {e:?}", plan.reference)),
            }
        }
        if answers.windows(2).any(|w| w[0] != w[1]) {
            return Err(format!("start {}: two answers for one key", plan.reference));
        }
        let answer: serde_json::Value =
            serde_json::from_str(answers.first().ok_or("start: no answer")?)
                .map_err(|e| e.to_string())?;
        let url = answer["next_action"]["url"].as_str().unwrap_or_default();
        plan.session = url.rsplit('/').next().map(str::to_owned);
        plan.payment_id = answer["payment"]["id"].as_str().map(str::to_owned);
        self.schedule_new_events();
        Ok(())
    }

    /// The page just opened is left unpaid.
    async fn leave(&mut self, plan: &mut Plan, leave: Leave) -> Result<(), String> {
        let payment = plan.payment_id.take().ok_or("left: no payment")?;
        let session = plan.session.take().unwrap_or_default();
        self.stats.resumed += 1;
        match leave {
            // The next start closes it.
            Leave::Resume => {}
            Leave::Expire => {
                self.psp.expire_session(&session);
                self.stats.expired += 1;
            }
            Leave::Delete => {
                let reference = Reference::parse(&plan.reference).map_err(|e| e.to_string())?;
                // Nothing else runs meanwhile: a conflict cannot last.
                let mut tries = 0;
                loop {
                    tries += 1;
                    match self.start.abandon(&reference, &payment).await {
                        Ok(_) => break,
                        Err(StartPaymentError::Conflict) if tries < 3 => continue,
                        Err(e) => return Err(format!("delete {}: {e:?}", plan.reference)),
                    }
                }
                self.stats.deleted += 1;
            }
        }
        plan.left.push(payment);
        self.schedule_new_events();
        Ok(())
    }

    /// The shopper pays the page just opened (a declined card first, sometimes).
    fn pay(&mut self, plan: &mut Plan, card: crate::sim_psp::CardProfile) -> Result<(), String> {
        let session = plan.session.clone().unwrap_or_default();
        if plan.decline_first && !self.psp.pay(&session, Card::Declined) {
            return Err(format!("{}: hosted page closed", plan.reference));
        }
        if !self.psp.pay(&session, Card::Authorised(card)) {
            return Err(format!("{}: hosted page closed", plan.reference));
        }
        if !card.multicapture {
            self.stats.single_capture_cards += 1;
        }
        self.schedule_new_events();
        Ok(())
    }
}
