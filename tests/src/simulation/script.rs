//! One order's script: the quote, the parcels and refunds the seed chose, and the moves the
//! shopper and the seller make once the back office shows the state they wait for.

use encaisse::app::start_payment::{StartPaymentCommand, StartPaymentError};
use encaisse::domain::order::{Address, Customer, Locale, OrderLine, Shipping};
use encaisse::domain::{Currency, Order, OrderStatus, Reference};
use encaisse::ports::OrderStore;
use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;

use super::{cents, Item, Plan, Stage, World};
use crate::rng::SplitMix64;
use crate::sim_psp::Card;

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
        payment_attempts: 0,
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

impl World {
    async fn stored_status(&self, reference: &str) -> (OrderStatus, Option<(Decimal, Decimal)>) {
        let reference = Reference::parse(reference).expect("reference");
        let snapshot = self
            .store
            .get_order_with_payments(&reference)
            .await
            .expect("memory store")
            .expect("order");
        let payment = snapshot
            .payments
            .last()
            .map(|p| (p.value.amount, p.value.captured_amount));
        (snapshot.order.value.status, payment)
    }

    /// Moves one order's script on, when the seller or shopper could act now.
    pub(super) async fn advance(&mut self, plan: &mut Plan) -> Result<bool, String> {
        match plan.stage.clone() {
            Stage::Start => {
                let body = json!({
                    "method": "card",
                    "billing": {"name": "Client", "email": format!("billing-{}@example.test", plan.reference),
                                "address": {"line1": "1 rue", "postcode": "83000", "city": "Toulon", "country": "FR"}},
                    "return_url": "http://localhost/return",
                })
                .to_string();
                let reference = Reference::parse(&plan.reference).map_err(|e| e.to_string())?;
                let until = OffsetDateTime::now_utc() + time::Duration::seconds(30);
                // The shopper double-clicks sometimes: the same key answers the same.
                let tries = if self.rng.chance(30) { 2 } else { 1 };
                let key = if plan.abandon_first { "pay-0" } else { "pay-1" };
                let mut answers = Vec::new();
                for _ in 0..tries {
                    let command: StartPaymentCommand =
                        serde_json::from_str(&body).map_err(|e| e.to_string())?;
                    match self
                        .start
                        .start(&reference, key, body.as_bytes(), command, until)
                        .await
                    {
                        Ok(answer) => answers.push(answer.body),
                        Err(StartPaymentError::InProgress) => {}
                        Err(e) => return Err(format!("start {}: {e:?}", plan.reference)),
                    }
                }
                if answers.windows(2).any(|w| w[0] != w[1]) {
                    return Err(format!("start {}: two answers for one key", plan.reference));
                }
                let answer: serde_json::Value =
                    serde_json::from_str(&answers[0]).map_err(|e| e.to_string())?;
                let url = answer["next_action"]["url"].as_str().unwrap_or_default();
                plan.session = url.rsplit('/').next().map(str::to_owned);
                plan.payment_id = answer["payment"]["id"].as_str().map(str::to_owned);
                if plan.abandon_first {
                    // Left unpaid; the next move starts again with another key.
                    plan.abandon_first = false;
                    plan.abandoned = plan.payment_id.take();
                    self.schedule_new_events();
                    return Ok(true);
                }
                self.schedule_new_events();
                plan.stage = Stage::Pay;
            }
            Stage::Pay => {
                let session = plan.session.clone().unwrap_or_default();
                if plan.decline_first && !self.psp.pay(&session, Card::Declined) {
                    return Err(format!("{}: hosted page closed", plan.reference));
                }
                if !self.psp.pay(&session, Card::Authorised) {
                    return Err(format!("{}: hosted page closed", plan.reference));
                }
                self.schedule_new_events();
                plan.stage = Stage::Ship(0);
            }
            Stage::Ship(i) => {
                // The seller ships once the back office shows the order authorised.
                let (status, _) = self.stored_status(&plan.reference).await;
                if !matches!(
                    status,
                    OrderStatus::Authorised | OrderStatus::PartiallyCaptured
                ) {
                    return Ok(false);
                }
                let (amount, rest) = plan.parcels[i];
                if rest {
                    // "The rest" is sent once the other parcels show as captured: sent earlier
                    // it would take their share, which is the warehouse's mistake, not ours.
                    let before: i64 = plan.parcels[..i].iter().map(|p| p.0).sum();
                    let (_, payment) = self.stored_status(&plan.reference).await;
                    if payment.map(|p| p.1) != Some(Decimal::new(before, 2)) {
                        return Ok(false);
                    }
                }
                let copies = self.rng.between(1, 3);
                for _ in 0..copies {
                    self.pool.push(Item::Ship {
                        reference: plan.reference.clone(),
                        shipment: format!("parcel-{i}"),
                        amount: (!rest).then(|| cents(amount)),
                    });
                }
                plan.stage = if i + 1 < plan.parcels.len() {
                    Stage::Ship(i + 1)
                } else {
                    Stage::Refund(0)
                };
            }
            Stage::Refund(j) => {
                if j >= plan.refunds.len() {
                    plan.stage = Stage::Done;
                    return Ok(true);
                }
                // Refunds once the back office shows everything captured.
                let (status, payment) = self.stored_status(&plan.reference).await;
                let fully = payment.is_some_and(|(amount, captured)| amount == captured);
                if !fully
                    || !matches!(
                        status,
                        OrderStatus::Captured | OrderStatus::PartiallyRefunded
                    )
                {
                    return Ok(false);
                }
                let copies = self.rng.between(1, 2);
                for _ in 0..copies {
                    self.pool.push(Item::Refund {
                        reference: plan.reference.clone(),
                        key: format!("refund-{j}"),
                        amount: cents(plan.refunds[j]),
                    });
                }
                plan.stage = Stage::Refund(j + 1);
            }
            Stage::Done => return Ok(false),
        }
        Ok(true)
    }
}
