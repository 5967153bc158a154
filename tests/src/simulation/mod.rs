//! The seeded simulation: several orders paid, shipped in parcels and refunded through the real
//! use cases (memory store, `SimPsp`), while the PSP's events are reordered, dropped,
//! duplicated and delayed, shipment and refund requests are repeated, the outbox relay and the
//! notifier see duplicates, and PSP calls fail before or after moving money. Every decision comes
//! from the seed, so a failing seed replays (ids stay random; they decide nothing).
//!
//! After the run, dropped events are redelivered (Stripe retries until it gets a 2xx) and the
//! invariants are checked against what the PSP executed: captured ≤ authorised, refunded ≤
//! captured, one capture per shipment, each outbox event emailed exactly once, and the stored
//! order and payment equal to the PSP's state.

use std::collections::HashMap;
use std::sync::Arc;

use encaisse::adapters::memory::event_queue::MemoryEventQueue;
use encaisse::adapters::memory::notifications::{MemoryMailer, MemoryNotificationStore};
use encaisse::adapters::memory::MemoryStore;
use encaisse::app::capture_on_shipment::{CaptureError, CaptureOnShipment, ShipmentMessage};
use encaisse::app::handle_webhook::{HandleWebhook, WebhookFailure};
use encaisse::app::notify::Notifier;
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::app::refund::{RefundCommand, RefundError, RefundPayment};
use encaisse::app::return_url::ReturnOrigins;
use encaisse::app::start_payment::StartPayment;
use encaisse::app::AccessTokens;
use encaisse::domain::{OutboxEvent, Reference};
use encaisse::ports::{Clock, OrderStore, ProviderRegistry, Store, SystemClock};
use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedReceiver;

mod checks;
mod script;

use script::{order, split};

use crate::rng::SplitMix64;
use crate::sim_psp::{signed, SimEvent, SimPsp};

/// Steps one seed may take before it is declared stuck.
const MAX_STEPS: usize = 20_000;

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub orders: usize,
    pub steps: usize,
    pub deliveries: usize,
    pub dropped: usize,
    pub captures: usize,
    pub refunds: usize,
    pub emails: usize,
    /// Orders whose first page was left unpaid and replaced.
    pub resumed: usize,
}

#[derive(Debug, Clone)]
enum Item {
    Deliver(SimEvent),
    Ship {
        reference: String,
        shipment: String,
        amount: Option<String>,
    },
    Refund {
        reference: String,
        key: String,
        amount: String,
    },
    Relay,
    Notify(OutboxEvent),
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Start,
    Pay,
    Ship(usize),
    Refund(usize),
    Done,
}

struct Plan {
    reference: String,
    decline_first: bool,
    /// The shopper opens a page, leaves it, and starts again with a new key (resume): the
    /// first attempt is closed at the PSP and its `checkout.session.expired` travels with the
    /// rest, possibly after the second attempt was paid.
    abandon_first: bool,
    abandoned: Option<String>,
    /// Parcel amounts in cents; the last parcel may say "the rest" (None).
    parcels: Vec<(i64, bool)>,
    refunds: Vec<i64>,
    stage: Stage,
    session: Option<String>,
    payment_id: Option<String>,
}

struct World {
    rng: SplitMix64,
    store: Arc<MemoryStore>,
    psp: Arc<SimPsp>,
    start: StartPayment,
    capture: CaptureOnShipment,
    refunds: RefundPayment,
    webhooks: HandleWebhook,
    relay: OutboxRelay,
    queued: UnboundedReceiver<OutboxEvent>,
    notifier: Notifier,
    mailer: Arc<MemoryMailer>,
    pool: Vec<Item>,
    dropped: Vec<SimEvent>,
    events_seen: usize,
    /// shipment → the 202 body every delivery of it got.
    shipped: HashMap<(String, String), String>,
    refunded: HashMap<(String, String), String>,
    stats: Stats,
}

fn cents(c: i64) -> String {
    Decimal::new(c, 2).to_string()
}

impl World {
    async fn new(seed: u64) -> Self {
        let store = Arc::new(MemoryStore::new());
        let psp = Arc::new(SimPsp::new());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let dyn_store: Arc<dyn Store> = store.clone();
        let (queue, queued) = MemoryEventQueue::new();
        let mailer = Arc::new(MemoryMailer::new());
        let providers = Arc::new(ProviderRegistry::single(psp.clone()));
        World {
            rng: SplitMix64::new(seed),
            start: StartPayment::new(
                dyn_store.clone(),
                providers.clone(),
                AccessTokens::new(b"simulation-secret-at-least-32-bytes!"),
                clock.clone(),
                ReturnOrigins::local_development(),
            ),
            capture: CaptureOnShipment::new(dyn_store.clone(), providers.clone(), clock.clone()),
            refunds: RefundPayment::new(dyn_store.clone(), providers.clone(), clock.clone()),
            webhooks: HandleWebhook::new(dyn_store.clone(), providers, clock.clone()),
            relay: OutboxRelay::new(dyn_store.clone(), Arc::new(queue)),
            queued,
            notifier: Notifier::new(
                dyn_store,
                Arc::new(MemoryNotificationStore::new()),
                mailer.clone(),
                clock,
                encaisse_dev::notifications::demo_seller(),
                encaisse::app::notify::PayPage::parse("http://127.0.0.1:3000/pay")
                    .expect("pay page"),
            ),
            mailer,
            store,
            psp,
            pool: Vec::new(),
            dropped: Vec::new(),
            events_seen: 0,
            shipped: HashMap::new(),
            refunded: HashMap::new(),
            stats: Stats::default(),
        }
    }

    /// New PSP events go out like Stripe's: some dropped (retried much later), some twice or
    /// three times; the pool's random draw delays and reorders them.
    fn schedule_new_events(&mut self) {
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

    /// Arms a PSP fault for the next money-moving call: a 500 before, or a lost answer after
    /// (the call went through, the caller saw a timeout); captures and refunds alike: their
    /// retries are replayed by the PSP under the same key.
    fn maybe_fault(&mut self) {
        let fail = self.rng.chance(10);
        let lose = self.rng.chance(10);
        if fail {
            self.psp.fail_next(1);
        } else if lose {
            self.psp.lose_next_answer(1);
        }
    }

    async fn run(&mut self, item: Item) -> Result<(), String> {
        match item {
            Item::Deliver(event) => {
                self.stats.deliveries += 1;
                let payload = event.payload();
                match self.webhooks.handle("stripe", &signed(&payload)).await {
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
            } => {
                self.maybe_fault();
                let message = ShipmentMessage {
                    reference: reference.clone(),
                    shipment_id: shipment.clone(),
                    amount: amount.clone(),
                    last_parcel: false,
                };
                let result = self.capture.capture_message(message).await;
                self.psp.fail_next(0);
                self.psp.lose_next_answer(0);
                match result {
                    Ok(answer) => {
                        let key = (reference.clone(), shipment.clone());
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
                    Err(e) if e.is_transient() => self.pool.push(Item::Ship {
                        reference,
                        shipment,
                        amount,
                    }),
                    Err(e @ CaptureError::NothingToCapture) => {
                        return Err(format!("shipment {reference}/{shipment}: {e}"))
                    }
                    Err(e) => return Err(format!("shipment {reference}/{shipment}: {e:?}")),
                }
            }
            Item::Refund {
                reference,
                key,
                amount,
            } => {
                self.maybe_fault();
                let body = json!({"amount": amount}).to_string();
                let command = RefundCommand {
                    amount: amount.clone(),
                    reason: None,
                };
                let parsed = Reference::parse(&reference).map_err(|e| e.to_string())?;
                let until = OffsetDateTime::now_utc() + time::Duration::seconds(30);
                let result = self
                    .refunds
                    .refund(&parsed, &key, body.as_bytes(), command, until)
                    .await;
                self.psp.fail_next(0);
                self.psp.lose_next_answer(0);
                match result {
                    Ok(answer) => {
                        let id = (reference.clone(), key.clone());
                        if let Some(first) = self.refunded.get(&id) {
                            if *first != answer.body {
                                return Err(format!("refund {id:?} answered twice differently"));
                            }
                        }
                        self.refunded.insert(id, answer.body);
                    }
                    Err(RefundError::InProgress | RefundError::Provider(_))
                    | Err(RefundError::Store(_)) => self.pool.push(Item::Refund {
                        reference,
                        key,
                        amount,
                    }),
                    Err(e) => return Err(format!("refund {reference}/{key}: {e:?}")),
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
        self.schedule_new_events();
        self.collect_queued();
        Ok(())
    }

    fn take(&mut self) -> Item {
        let i = self.rng.below(self.pool.len());
        self.pool.swap_remove(i)
    }

    /// Runs one pool item, or two at once (their awaits interleave at the PSP and the store).
    async fn step(&mut self) -> Result<(), String> {
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
            self.schedule_new_events();
            self.collect_queued();
            return Ok(());
        }
        self.run(a).await?;
        self.run(b).await
    }
}

/// One seed, start to finish; Err names the first broken invariant.
pub async fn run_seed(seed: u64) -> Result<Stats, String> {
    let mut world = World::new(seed).await;
    let n = world.rng.between(2, 4) as usize;
    world.stats.orders = n;
    let mut plans = Vec::new();
    for index in 0..n {
        let reference = format!("ORD-{}", 1000 + index);
        let order = order(&reference, index, &mut world.rng);
        let gross = order.totals().gross;
        world
            .store
            .insert_order(&order)
            .await
            .map_err(|e| e.to_string())?;
        let total = (gross * Decimal::from(100))
            .trunc()
            .to_string()
            .parse::<i64>()
            .map_err(|e| e.to_string())?;
        let count = world.rng.between(1, 3) as usize;
        let parts = split(total, count.min(total as usize), &mut world.rng);
        let last = parts.len() - 1;
        let rest_last = world.rng.chance(50);
        let parcels = parts
            .iter()
            .enumerate()
            .map(|(i, c)| (*c, i == last && rest_last))
            .collect();
        let refund_count = world.rng.between(0, 2) as usize;
        let refund_total = if refund_count > 0 {
            world.rng.between(refund_count as i64, total)
        } else {
            0
        };
        let refunds = if refund_count > 0 {
            split(refund_total, refund_count, &mut world.rng)
        } else {
            Vec::new()
        };
        plans.push(Plan {
            reference,
            decline_first: world.rng.chance(30),
            abandon_first: world.rng.chance(25),
            abandoned: None,
            parcels,
            refunds,
            stage: Stage::Start,
            session: None,
            payment_id: None,
        });
    }

    let mut redeliveries = 0;
    loop {
        world.stats.steps += 1;
        if world.stats.steps > MAX_STEPS {
            return Err(format!("stuck after {MAX_STEPS} steps"));
        }
        let ready: Vec<usize> = (0..plans.len())
            .filter(|i| plans[*i].stage != Stage::Done)
            .collect();
        if !ready.is_empty() && (world.pool.is_empty() || world.rng.chance(35)) {
            let i = ready[world.rng.below(ready.len())];
            let mut plan = std::mem::replace(
                &mut plans[i],
                Plan {
                    reference: String::new(),
                    decline_first: false,
                    abandon_first: false,
                    abandoned: None,
                    parcels: Vec::new(),
                    refunds: Vec::new(),
                    stage: Stage::Done,
                    session: None,
                    payment_id: None,
                },
            );
            let moved = world.advance(&mut plan).await;
            plans[i] = plan;
            if moved? {
                continue;
            }
        }
        if !world.pool.is_empty() {
            world.step().await?;
            continue;
        }
        // Nothing in flight. Stripe retries what was not acknowledged; the scheduled relay
        // publishes what was left pending.
        if !world.dropped.is_empty() {
            redeliveries += 1;
            let dropped = std::mem::take(&mut world.dropped);
            world.pool.extend(dropped.into_iter().map(Item::Deliver));
            world.pool.push(Item::Relay);
            continue;
        }
        if ready.is_empty() {
            // A last sweep of the outbox, then done once nothing new appears.
            world.run(Item::Relay).await?;
            if world.pool.is_empty() {
                break;
            }
            continue;
        }
        // Orders wait for a state no pending work can bring: that is a stuck order.
        let waiting: Vec<String> = ready
            .iter()
            .map(|i| format!("{} at {:?}", plans[*i].reference, plans[*i].stage))
            .collect();
        return Err(format!(
            "stuck with nothing in flight ({redeliveries} redeliveries): {waiting:?}"
        ));
    }
    checks::check(&world, &plans).await
}
