//! Running the pool: webhook deliveries, shipments, refunds, relay runs and notifier messages,
//! each with the faults and repetitions the seed draws.

use encaisse::app::capture_on_shipment::{CaptureError, ShipmentMessage};
use encaisse::app::handle_webhook::WebhookFailure;
use encaisse::app::refund::{RefundCommand, RefundError};
use encaisse::domain::Reference;
use encaisse::ports::ProviderError;
use serde_json::json;
use time::OffsetDateTime;

use super::{Item, World};
use crate::sim_psp::signed;

impl World {
    /// New PSP events go out like Stripe's: some dropped (retried much later), some twice or
    /// three times; the pool's random draw delays and reorders them.
    pub(super) fn schedule_new_events(&mut self) {
        let events = self.psp.events();
        for event in events[self.events_seen..].iter().cloned() {
            if self.rng.chance(15) {
                self.stats.dropped += 1;
                self.dropped.push(event);
                continue;
            }
            let copies = if self.rng.chance(25) {
                self.rng.between(2, 3)
            } else {
                1
            };
            for _ in 0..copies {
                self.pool.push(Item::Deliver(event.clone()));
            }
        }
        self.events_seen = events.len();
    }

    /// Queued outbox events reach the notifier at least once (SQS): some twice.
    fn collect_queued(&mut self) {
        while let Ok(event) = self.queued.try_recv() {
            let copies = if self.rng.chance(20) { 2 } else { 1 };
            for _ in 0..copies {
                self.pool.push(Item::Notify(event.clone()));
            }
        }
    }

    /// Arms a PSP fault for one of the next money-moving calls (a capture, the cancel that
    /// closes or releases an authorisation, a refund, a saved-card charge): a 500 before, or a
    /// lost answer after (the call went through, the caller saw a timeout). Retries are
    /// replayed by the PSP under the same key.
    fn maybe_fault(&mut self, percent: u64) {
        let skip = self.rng.below(3) as u32;
        if self.rng.chance(percent) {
            self.trace(|| format!("fault: call {skip} fails"));
            self.psp.fail_call(skip);
        } else if self.rng.chance(percent) {
            self.trace(|| format!("fault: call {skip} loses its answer"));
            self.psp.lose_answer_of_call(skip);
        }
    }

    pub(super) async fn run(&mut self, item: Item) -> Result<(), String> {
        match item {
            Item::Deliver(event) => {
                self.stats.deliveries += 1;
                // The lapsed path (renewal, release) moves money from a webhook too.
                self.maybe_fault(4);
                let result = self
                    .webhooks
                    .handle("stripe", &signed(&event.payload()))
                    .await;
                self.psp.no_fault();
                self.trace(|| {
                    format!(
                        "deliver {} {:?} {:?}: {result:?}",
                        event.kind, event.payment, event.session
                    )
                });
                match result {
                    Ok(_) => {
                        if self.rng.chance(60) {
                            self.pool.push(Item::Relay);
                        }
                    }
                    // Not a 2xx: the PSP delivers it again later.
                    Err(WebhookFailure::Store(_) | WebhookFailure::Provider(_)) => {
                        self.pool.push(Item::Deliver(event))
                    }
                    Err(e) => return Err(format!("webhook {event:?}: {e}")),
                }
            }
            Item::Ship {
                reference,
                shipment,
                amount,
                last,
            } => {
                self.maybe_fault(10);
                let message = ShipmentMessage {
                    reference: reference.clone(),
                    shipment_id: shipment.clone(),
                    amount: amount.clone(),
                    last_parcel: last,
                };
                let result = self.capture.capture_message(message).await;
                self.psp.no_fault();
                self.trace(|| {
                    format!("ship {reference}/{shipment} {amount:?} last={last}: {result:?}")
                });
                if self.trace {
                    self.trace_order(&reference).await;
                }
                let again = Item::Ship {
                    reference: reference.clone(),
                    shipment: shipment.clone(),
                    amount,
                    last,
                };
                match result {
                    Ok(answer) => {
                        let key = (reference, shipment);
                        if let Some(first) = self.shipped.get(&key) {
                            if *first != answer.body {
                                return Err(format!(
                                    "shipment {key:?} answered {} then {}",
                                    first, answer.body
                                ));
                            }
                        }
                        self.shipped.insert(key, answer.body);
                    }
                    // SQS redelivers the message.
                    Err(e) if e.is_transient() => self.pool.push(again),
                    // Refused for now: after its receives the message lands in the dead-letter
                    // queue, redriven once the order can be captured again (the PSP cancelled
                    // the authorisation under it, or the shopper must pay again first).
                    // (A shipment on an order waiting for its pay-link payment is refused as
                    // `requires-reauthorisation`, or, when the lapsed payment captured part, as
                    // an amount above the 0.00 still authorised.)
                    Err(
                        e @ (CaptureError::RequiresReauthorisation
                        | CaptureError::NothingToCapture
                        | CaptureError::Invalid(_)
                        | CaptureError::Provider(ProviderError::InvalidRequest(_))),
                    ) => {
                        self.stats.dead_letters += 1;
                        self.dead.push((again, format!("{e:?}")));
                    }
                    Err(e) => return Err(format!("shipment {reference}/{shipment}: {e:?}")),
                }
            }
            Item::Refund {
                reference,
                key,
                amount,
            } => {
                self.maybe_fault(10);
                let body = json!({"amount": amount}).to_string();
                let command = RefundCommand {
                    amount: amount.clone(),
                    reason: None,
                    to: None,
                };
                let parsed = Reference::parse(&reference).map_err(|e| e.to_string())?;
                let until = OffsetDateTime::now_utc() + time::Duration::seconds(30);
                let result = self
                    .refunds
                    .refund(&parsed, &key, body.as_bytes(), command, until)
                    .await;
                self.psp.no_fault();
                self.trace(|| format!("refund {reference}/{key} {amount}: {result:?}"));
                let id = (reference.clone(), key.clone());
                let answer = match result {
                    Ok(answer) => Ok(answer.body),
                    Err(RefundError::InProgress | RefundError::Store(_))
                    | Err(RefundError::Provider(
                        ProviderError::Unavailable(_) | ProviderError::RateLimited,
                    )) => {
                        self.pool.push(Item::Refund {
                            reference,
                            key,
                            amount,
                        });
                        return self.after_run();
                    }
                    // A definitive refusal (the back office shows it): checked against the PSP.
                    Err(
                        e @ (RefundError::Invalid(_)
                        | RefundError::NothingToRefund
                        | RefundError::Disputed
                        | RefundError::Provider(_)),
                    ) => Err(format!("{e:?}")),
                    Err(e) => return Err(format!("refund {reference}/{key}: {e:?}")),
                };
                // Once answered 201, always the same 201 (a refusal is not remembered: asked
                // again later, the same refund may go through).
                match (self.refunded.get(&id), &answer) {
                    (Some(Ok(first)), _) if Ok(first) != answer.as_ref() => {
                        return Err(format!("refund {id:?} answered {first:?} then {answer:?}"))
                    }
                    (Some(Ok(_)), _) => {}
                    _ => {
                        self.refunded.insert(id, answer);
                    }
                }
            }
            Item::Relay => {
                self.relay
                    .publish_pending(100)
                    .await
                    .map_err(|e| format!("relay: {e}"))?;
            }
            Item::Notify(event) => match self.notifier.handle(&event).await {
                Ok(_) => {}
                Err(e) if e.is_transient() => self.pool.push(Item::Notify(event)),
                Err(e) => return Err(format!("notifier {}: {e}", event.id)),
            },
        }
        self.after_run()
    }

    /// The stored order and its payments, for `SIM_TRACE`.
    pub(super) async fn trace_order(&self, reference: &str) {
        if let Ok(snapshot) = self.snapshot(reference).await {
            let o = &snapshot.order.value;
            eprintln!("[sim]   {reference} {:?} {:?}", o.status, o.amounts);
            for p in &snapshot.payments {
                let p = &p.value;
                eprintln!(
                    "[sim]     {} {:?} {:?} amount {} captured {} refunded {} released {:?} psp {:?}",
                    p.id, p.method, p.status, p.amount, p.captured_amount, p.refunded_amount,
                    p.released, p.psp.as_ref().map(|l| (&l.payment, l.multicapture))
                );
            }
        }
    }

    fn after_run(&mut self) -> Result<(), String> {
        self.schedule_new_events();
        self.collect_queued();
        Ok(())
    }

    fn take(&mut self) -> Item {
        let i = self.rng.below(self.pool.len());
        self.pool.swap_remove(i)
    }

    /// Runs one pool item, or two at once (their awaits interleave at the PSP and the store).
    pub(super) async fn step(&mut self) -> Result<(), String> {
        if self.pool.len() >= 2 && self.rng.chance(20) {
            let (a, b) = (self.take(), self.take());
            return self.run_pair(a, b).await;
        }
        let item = self.take();
        self.run(item).await
    }

    /// Two deliveries race for real (the usual storm); other pairs run one after the other.
    async fn run_pair(&mut self, a: Item, b: Item) -> Result<(), String> {
        if let (Item::Deliver(x), Item::Deliver(y)) = (&a, &b) {
            self.stats.deliveries += 2;
            let (px, py) = (signed(&x.payload()), signed(&y.payload()));
            let (rx, ry) = tokio::join!(
                self.webhooks.handle("stripe", &px),
                self.webhooks.handle("stripe", &py)
            );
            self.trace(|| {
                format!(
                    "race {} {:?}: {rx:?} / {} {:?}: {ry:?}",
                    x.kind, x.payment, y.kind, y.payment
                )
            });
            for (result, event) in [(rx, x.clone()), (ry, y.clone())] {
                match result {
                    Ok(_) => {}
                    Err(WebhookFailure::Store(_) | WebhookFailure::Provider(_)) => {
                        self.pool.push(Item::Deliver(event))
                    }
                    Err(e) => return Err(format!("webhook {event:?}: {e}")),
                }
            }
            self.pool.push(Item::Relay);
            return self.after_run();
        }
        self.run(a).await?;
        self.run(b).await
    }
}
