//! One order's script as the seed draws it: the quote, how the shopper opens and leaves pages,
//! the card, the parcels (partial, "the rest", or a short last parcel), refunds between and
//! after them, and authorisations the PSP cancels by itself before a parcel ships.

use encaisse::domain::order::{Address, Customer, Locale, OrderLine, Shipping};
use encaisse::domain::{Currency, Order, OrderStatus, Reference};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::rng::SplitMix64;
use crate::sim_psp::{CardProfile, OffSession};

/// How a page the shopper opened ends unpaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leave {
    /// Left open; the next start resumes (closes it, opens another).
    Resume,
    /// Its lifetime runs out at the PSP (`checkout.session.expired`).
    Expire,
    /// The shopper deletes the attempt (`DELETE …/payments/{id}`).
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ParcelKind {
    /// A given amount; more parcels follow.
    Part,
    /// No amount: everything still authorised.
    Rest,
    /// A given amount, `last_parcel: true`: the order ships no more (short when below the rest).
    Last,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Parcel {
    pub cents: i64,
    pub kind: ParcelKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The shopper starts a payment; with `Some`, leaves that page unpaid.
    Start(Option<Leave>),
    Pay,
    /// The PSP cancels a live authorisation nothing was captured from (7 days uncaptured).
    PspCancel,
    Ship(usize),
    Refund,
    Done,
}

pub(super) struct Plan {
    pub reference: String,
    pub gross_cents: i64,
    pub steps: Vec<Step>,
    pub at: usize,
    pub card: CardProfile,
    pub save_card: bool,
    pub decline_first: bool,
    pub parcels: Vec<Parcel>,
    /// The page being paid and its payment.
    pub session: Option<String>,
    pub payment_id: Option<String>,
    /// Payments started and left unpaid.
    pub left: Vec<String>,
    /// Payments started so far (keys `pay-<n>`).
    pub attempts: usize,
    /// Pay-link payments the shopper made after a lapse.
    pub pay_links: usize,
    /// Refund keys asked, with their amounts in cents.
    pub refunds: Vec<(String, i64)>,
}

impl Plan {
    pub fn step(&self) -> Step {
        self.steps.get(self.at).copied().unwrap_or(Step::Done)
    }

    pub fn done(&self) -> bool {
        self.step() == Step::Done
    }

    /// What parcel `i` captures, in cents ("the rest" is what the others leave).
    pub fn parcel_cents(&self, i: usize) -> i64 {
        let parcel = self.parcels[i];
        match parcel.kind {
            ParcelKind::Rest => {
                let others: i64 = (0..self.parcels.len())
                    .filter(|j| *j != i)
                    .map(|j| self.parcels[j].cents)
                    .sum();
                self.gross_cents - others
            }
            _ => parcel.cents,
        }
    }

    pub fn short(&self) -> bool {
        self.parcels
            .last()
            .is_some_and(|p| p.kind == ParcelKind::Last)
            && (0..self.parcels.len())
                .map(|i| self.parcel_cents(i))
                .sum::<i64>()
                < self.gross_cents
    }
}

pub(super) fn card(rng: &mut SplitMix64) -> CardProfile {
    CardProfile {
        multicapture: !rng.chance(25),
        off_session: match rng.below(20) {
            0..=11 => OffSession::Accept,
            12..=14 => OffSession::Decline,
            15..=17 => OffSession::Authenticate,
            _ => OffSession::Challenge,
        },
    }
}

pub(super) fn plan(reference: String, gross_cents: i64, rng: &mut SplitMix64) -> Plan {
    let mut steps = Vec::new();
    if rng.chance(35) {
        let leave = match rng.below(3) {
            0 => Leave::Resume,
            1 => Leave::Expire,
            _ => Leave::Delete,
        };
        steps.push(Step::Start(Some(leave)));
    }
    steps.push(Step::Start(None));
    steps.push(Step::Pay);
    let parcels = parcels(gross_cents, rng);
    let refund_after: Vec<usize> = (0..rng.between(0, 2))
        .map(|_| rng.below(parcels.len()))
        .collect();
    let mut cancels = 0;
    for i in 0..parcels.len() {
        let chance = if i == 0 { 30 } else { 15 };
        if cancels < 2 && rng.chance(chance) {
            cancels += 1;
            steps.push(Step::PspCancel);
        }
        steps.push(Step::Ship(i));
        steps.extend(
            refund_after
                .iter()
                .filter(|a| **a == i)
                .map(|_| Step::Refund),
        );
    }
    steps.push(Step::Done);
    Plan {
        reference,
        gross_cents,
        steps,
        at: 0,
        card: card(rng),
        save_card: rng.chance(60),
        decline_first: rng.chance(30),
        parcels,
        session: None,
        payment_id: None,
        left: Vec::new(),
        attempts: 0,
        pay_links: 0,
        refunds: Vec::new(),
    }
}

/// 1 to 3 parcels: all of the order (the last may say "the rest"), or short of it (the last
/// one says it is the last).
fn parcels(total: i64, rng: &mut SplitMix64) -> Vec<Parcel> {
    let count = rng.between(1, 3) as usize;
    if rng.chance(25) {
        let shipped = rng.between(count as i64, total - 1);
        let parts = split(shipped, count, rng);
        let last = parts.len() - 1;
        return parts
            .into_iter()
            .enumerate()
            .map(|(i, cents)| Parcel {
                cents,
                kind: if i == last {
                    ParcelKind::Last
                } else {
                    ParcelKind::Part
                },
            })
            .collect();
    }
    let parts = split(total, count, rng);
    let last = parts.len() - 1;
    let rest_last = rng.chance(50);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, cents)| Parcel {
            cents,
            kind: if i == last && rest_last {
                ParcelKind::Rest
            } else {
                ParcelKind::Part
            },
        })
        .collect()
}

pub(super) fn order(reference: &str, index: usize, rng: &mut SplitMix64) -> Order {
    let email = format!("customer{}@example.test", index % 2);
    Order {
        reference: Reference::parse(reference).expect("sim reference"),
        status: OrderStatus::AwaitingPayment,
        currency: Currency::EUR,
        customer: Customer {
            email,
            name: format!("Client {index}"),
            company: None,
            locale: if index.is_multiple_of(2) {
                Locale::Fr
            } else {
                Locale::En
            },
        },
        lines: vec![OrderLine {
            sku: "SIM-1".into(),
            description: "Simulated goods".into(),
            quantity: rng.between(1, 3) as u32,
            unit_price: Decimal::new(rng.between(500, 150_000), 2),
            tax_rate: Decimal::from(20),
            kind: Default::default(),
        }],
        shipping: Shipping {
            method: "carrier".into(),
            amount: Decimal::new(rng.between(0, 2_000), 2),
            tax_rate: Decimal::from(20),
            address: Address {
                name: "Client".into(),
                line1: "1 rue de la Simulation".into(),
                line2: None,
                postcode: "83000".into(),
                city: "Toulon".into(),
                country: "FR".into(),
            },
        },
        amounts: Default::default(),
        closure: None,
        invoiced: None,
        payment_attempts: 0,
        code_failures: 0,
        discount: None,
        event_date: None,
        expires_at: None,
        created_at: OffsetDateTime::now_utc(),
    }
}

/// Splits `total` cents into `n` positive parts (n ≤ total).
pub(super) fn split(total: i64, n: usize, rng: &mut SplitMix64) -> Vec<i64> {
    let mut parts = Vec::new();
    let mut left = total;
    for i in 0..n {
        let still = (n - i - 1) as i64;
        let part = if still == 0 {
            left
        } else {
            rng.between(1, (left - still).max(1))
        };
        parts.push(part);
        left -= part;
    }
    parts
}
