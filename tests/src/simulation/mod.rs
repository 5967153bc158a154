//! The seeded simulation: several orders paid, shipped in parcels and refunded through the real
//! use cases (memory store, `SimPsp`), while the PSP's events are reordered, dropped,
//! duplicated and delayed, shipment and refund requests are repeated, the outbox relay and the
//! notifier see duplicates, and PSP calls fail before or after moving money. Orders hold several
//! payments: pages left, expired or deleted and started again; authorisations the PSP cancels by
//! itself, renewed on the saved card or paid again through the pay link; cards without
//! multicapture whose partial capture is final and whose rest is renewed. Refunds come between
//! captures, and some orders ship short (a last parcel below what is left). Every decision
//! comes from the seed, so a failing seed replays (ids stay random; they decide nothing).
//!
//! After the run, dropped events are redelivered (Stripe retries until it gets a 2xx), refused
//! shipments are redriven from their dead-letter queue, and the invariants (`checks`) are
//! checked against what the PSP executed and what the store and the mailer hold.

use std::collections::HashMap;
use std::sync::Arc;

use encaisse::adapters::memory::event_queue::MemoryEventQueue;
use encaisse::adapters::memory::notifications::{MemoryMailer, MemoryNotificationStore};
use encaisse::adapters::memory::MemoryStore;
use encaisse::app::capture_on_shipment::CaptureOnShipment;
use encaisse::app::handle_webhook::HandleWebhook;
use encaisse::app::notify::Notifier;
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::app::refund::RefundPayment;
use encaisse::app::return_url::ReturnOrigins;
use encaisse::app::start_payment::StartPayment;
use encaisse::app::AccessTokens;
use encaisse::domain::OutboxEvent;
use encaisse::ports::prelude::*;
use encaisse::ports::{Clock, ProviderRegistry, Store, SystemClock};
use rust_decimal::Decimal;
use tokio::sync::mpsc::UnboundedReceiver;

mod checks;
mod checks_notify;
mod plan;
mod script;
mod world;

use plan::{order, plan};

use crate::rng::SplitMix64;
use crate::sim_psp::{SimEvent, SimPsp};

/// Steps one seed may take before it is declared stuck.
const MAX_STEPS: usize = 20_000;
/// Rounds of redelivery (dropped events, dead-lettered shipments) before a seed is stuck.
const MAX_REDELIVERIES: usize = 60;

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub orders: usize,
    pub steps: usize,
    pub deliveries: usize,
    pub dropped: usize,
    pub captures: usize,
    pub refunds: usize,
    pub emails: usize,
    /// Pages left unpaid (resumed, expired or deleted) and replaced.
    pub resumed: usize,
    pub expired: usize,
    pub deleted: usize,
    /// Refunds asked while more parcels were still to ship.
    pub refunds_between: usize,
    /// Refunds the back office refused (no money moved).
    pub refunds_refused: usize,
    /// Authorisations the PSP cancelled by itself.
    pub psp_cancels: usize,
    /// Payments made off-session on a saved card to take over a rest.
    pub renewals: usize,
    /// Payments made through the pay link after a lapse.
    pub pay_links: usize,
    /// Orders shipped short (last parcel below what was left).
    pub short: usize,
    /// Cards paid with that cannot be captured twice.
    pub single_capture_cards: usize,
    /// Shipments refused and redriven from the dead-letter queue.
    pub dead_letters: usize,
    /// Orders that ended with more than one payment.
    pub multi_payment_orders: usize,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.orders += o.orders;
        self.steps += o.steps;
        self.deliveries += o.deliveries;
        self.dropped += o.dropped;
        self.captures += o.captures;
        self.refunds += o.refunds;
        self.emails += o.emails;
        self.resumed += o.resumed;
        self.expired += o.expired;
        self.deleted += o.deleted;
        self.refunds_between += o.refunds_between;
        self.refunds_refused += o.refunds_refused;
        self.psp_cancels += o.psp_cancels;
        self.renewals += o.renewals;
        self.pay_links += o.pay_links;
        self.short += o.short;
        self.single_capture_cards += o.single_capture_cards;
        self.dead_letters += o.dead_letters;
        self.multi_payment_orders += o.multi_payment_orders;
    }
}

#[derive(Debug, Clone)]
enum Item {
    Deliver(SimEvent),
    Ship {
        reference: String,
        shipment: String,
        amount: Option<String>,
        last: bool,
    },
    Refund {
        reference: String,
        key: String,
        amount: String,
    },
    Relay,
    Notify(OutboxEvent),
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
    /// Shipments refused for now (their SQS messages in the dead-letter queue), with why.
    dead: Vec<(Item, String)>,
    events_seen: usize,
    /// shipment → the 202 body every delivery of it got.
    shipped: HashMap<(String, String), String>,
    /// refund key → the 201 body, or the refusal, it got.
    refunded: HashMap<(String, String), Result<String, String>>,
    stats: Stats,
    /// `SIM_TRACE=1`: every move and its outcome on stderr (to read a replayed seed).
    trace: bool,
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
            dead: Vec::new(),
            events_seen: 0,
            shipped: HashMap::new(),
            refunded: HashMap::new(),
            stats: Stats::default(),
            trace: std::env::var("SIM_TRACE").is_ok_and(|v| v == "1"),
        }
    }

    fn trace(&self, what: impl FnOnce() -> String) {
        if self.trace {
            eprintln!("[sim] {}", what());
        }
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
        plans.push(plan(reference, total, &mut world.rng));
    }

    let mut redeliveries = 0;
    loop {
        world.stats.steps += 1;
        if world.stats.steps > MAX_STEPS {
            return Err(format!("stuck after {MAX_STEPS} steps"));
        }
        let mut ready = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            if !plan.done() || world.must_pay_again(plan).await? {
                ready.push(i);
            }
        }
        if !ready.is_empty() && (world.pool.is_empty() || world.rng.chance(35)) {
            let i = ready[world.rng.below(ready.len())];
            if world.advance(&mut plans[i]).await? {
                continue;
            }
        }
        if !world.pool.is_empty() {
            world.step().await?;
            continue;
        }
        // Nothing in flight: any order that can move now does.
        let mut moved = false;
        for i in &ready {
            if world.advance(&mut plans[*i]).await? {
                moved = true;
                break;
            }
        }
        if moved {
            continue;
        }
        // Stripe retries what was not acknowledged; dead-lettered shipments are redriven; the
        // scheduled relay publishes what was left pending.
        if !world.dropped.is_empty() || !world.dead.is_empty() {
            redeliveries += 1;
            if redeliveries > MAX_REDELIVERIES {
                let dead: Vec<String> = world
                    .dead
                    .iter()
                    .map(|(item, why)| format!("{item:?}: {why}"))
                    .collect();
                return Err(format!(
                    "stuck after {MAX_REDELIVERIES} redeliveries; dead letters: {dead:?}"
                ));
            }
            let dropped = std::mem::take(&mut world.dropped);
            world.pool.extend(dropped.into_iter().map(Item::Deliver));
            let dead = std::mem::take(&mut world.dead);
            world.pool.extend(dead.into_iter().map(|(item, _)| item));
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
        let mut waiting = Vec::new();
        for i in &ready {
            let plan = &plans[*i];
            let order = world.snapshot(&plan.reference).await?.order.value;
            waiting.push(format!(
                "{} at {:?} ({:?}, due {})",
                plan.reference,
                plan.step(),
                order.status,
                order.amount_due()
            ));
        }
        return Err(format!(
            "stuck with nothing in flight ({redeliveries} redeliveries): {waiting:?}"
        ));
    }
    checks::check(&world, &plans).await
}
