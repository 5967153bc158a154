//! What a phase measures: the SDK clients' requests on moto (with capacity computed from the
//! items sent) or the counting store's calls on memory, the sandbox PSP's calls, wall time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use encaisse::adapters::dynamodb::{Exchange, RequestCounter};
use serde_json::Value;

use super::{Bench, Phase};
use crate::capacity;
use crate::card_flow::Failure;
use crate::counting_store::CountingStore;

/// What is counted: the SDK clients' requests (moto), or the store's calls (memory).
pub(super) enum Meter {
    Moto {
        dynamodb: RequestCounter,
        sqs: RequestCounter,
    },
    Memory(Arc<CountingStore>),
}

pub(super) struct Mark {
    started: Instant,
    psp: u64,
}

fn gsi_wru(exchanges: &[Exchange]) -> f64 {
    let indexed = |item: &Value| {
        if item.get("GSI1PK").is_some() {
            capacity::item_size(item).div_ceil(1024).max(1) as f64
        } else {
            0.0
        }
    };
    exchanges
        .iter()
        .map(|e| match e.operation.as_str() {
            "PutItem" => indexed(&e.request["Item"]),
            "TransactWriteItems" => e.request["TransactItems"].as_array().map_or(0.0, |all| {
                all.iter().map(|i| indexed(&i["Put"]["Item"])).sum()
            }),
            _ => 0.0,
        })
        .sum()
}

/// The average size of the month items Put (GSI1PK `DDMONTH#…`), if any.
fn month_item_bytes(exchanges: &[Exchange]) -> Option<f64> {
    let sizes: Vec<usize> = exchanges
        .iter()
        .filter(|e| e.operation == "TransactWriteItems")
        .flat_map(|e| {
            e.request["TransactItems"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|i| i["Put"]["Item"].clone())
        .filter(|item| {
            item["GSI1PK"]["S"]
                .as_str()
                .is_some_and(|k| k.starts_with("DDMONTH#"))
        })
        .map(|item| capacity::item_size(&item))
        .collect();
    (!sizes.is_empty()).then(|| sizes.iter().sum::<usize>() as f64 / sizes.len() as f64)
}

impl Bench {
    pub(super) async fn psp_calls(&self) -> Result<u64, Failure> {
        let calls: Value = self
            .app
            .http
            .get(format!("{}/sandbox-psp/_calls", self.app.base))
            .send()
            .await?
            .json()
            .await?;
        Ok(calls["total"].as_u64().unwrap_or_default())
    }

    pub(super) async fn begin(&self) -> Result<Mark, Failure> {
        match &self.meter {
            Meter::Moto { dynamodb, sqs } => {
                dynamodb.reset();
                sqs.reset();
            }
            Meter::Memory(store) => {
                store.take();
            }
        }
        let psp = self.psp_calls().await?;
        Ok(Mark {
            started: Instant::now(),
            psp,
        })
    }

    pub(super) async fn end(
        &self,
        mark: Mark,
        name: &'static str,
        units: usize,
        failures: usize,
        state_change: bool,
        invocations_per_customer: f64,
    ) -> Result<Phase, Failure> {
        let wall = mark.started.elapsed();
        let mut phase = Phase {
            name,
            units,
            wall,
            ops: BTreeMap::new(),
            capacity: None,
            gsi_wru: 0.0,
            month_item_bytes: None,
            sqs: BTreeMap::new(),
            psp: 0,
            inside_store: None,
            failures,
            state_change,
            invocations_per_customer,
        };
        match &self.meter {
            Meter::Moto { dynamodb, sqs } => {
                phase.ops = dynamodb.snapshot();
                let exchanges = dynamodb.exchanges();
                phase.capacity = Some(capacity::of(&exchanges));
                phase.gsi_wru = gsi_wru(&exchanges);
                phase.month_item_bytes = month_item_bytes(&exchanges);
                phase.sqs = sqs.snapshot();
            }
            Meter::Memory(store) => {
                let (calls, inside) = store.take();
                phase.ops = calls;
                phase.inside_store = Some(inside);
            }
        }
        phase.psp = self.psp_calls().await? - mark.psp;
        // Progress on stderr: the runs take minutes (scripts/bench keeps stdout).
        let store = match self.meter {
            Meter::Moto { .. } => "moto",
            Meter::Memory(_) => "memory",
        };
        eprintln!(
            "   {store}, {} customers: {name}: {units} in {:.1} s",
            self.customers,
            wall.as_secs_f64()
        );
        Ok(phase)
    }
}
