//! Hook delivery as MangoPay does it: `GET <url>?EventType=…&RessourceId=…&Date=…`, unsigned,
//! one task in order, each failure retried in its own task with backoff; the fault switches
//! duplicate and reorder them as they do Stripe's events.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use super::state::Hook;
use crate::faults::{self, SharedFaults};

/// MangoPay retries a failed hook; a devserver needs minutes at most.
const RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
];
const REORDER_WINDOW: Duration = Duration::from_millis(200);
const REORDER_MAX: usize = 20;

#[derive(Clone)]
struct Endpoint {
    url: String,
    http: reqwest::Client,
}

pub fn spawn_worker(url: Option<String>, faults: SharedFaults, mut rx: UnboundedReceiver<Hook>) {
    let endpoint = url.map(|url| Endpoint {
        url,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default(),
    });
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let switches = || {
                let fs = faults::lock(&faults);
                (fs.faults.reorder_webhooks, fs.faults.duplicate_webhooks)
            };
            let (reorder, _) = switches();
            let mut batch = vec![first];
            if reorder {
                while batch.len() < REORDER_MAX {
                    match tokio::time::timeout(REORDER_WINDOW, rx.recv()).await {
                        Ok(Some(hook)) => batch.push(hook),
                        Ok(None) | Err(_) => break,
                    }
                }
                batch.reverse();
            }
            let Some(endpoint) = &endpoint else { continue };
            let (_, duplicate) = switches();
            for hook in batch {
                for _ in 0..if duplicate { 2 } else { 1 } {
                    if !endpoint.deliver(&hook).await {
                        let (endpoint, hook) = (endpoint.clone(), hook.clone());
                        tokio::spawn(async move { endpoint.retry(&hook).await });
                    }
                }
            }
        }
    });
}

impl Endpoint {
    async fn deliver(&self, hook: &Hook) -> bool {
        let date = hook.date.to_string();
        let result = self
            .http
            .get(&self.url)
            .query(&[
                ("EventType", hook.event_type.as_str()),
                ("RessourceId", hook.ressource_id.as_str()),
                ("Date", date.as_str()),
            ])
            .send()
            .await;
        match result {
            Ok(resp) if resp.status().is_success() => true,
            Ok(resp) => {
                tracing::warn!(event = %hook.event_type, status = %resp.status(), "sandbox MangoPay hook refused");
                false
            }
            Err(e) => {
                tracing::warn!(event = %hook.event_type, error = %e, "sandbox MangoPay hook not delivered");
                false
            }
        }
    }

    async fn retry(&self, hook: &Hook) {
        for delay in RETRY_DELAYS {
            tokio::time::sleep(delay).await;
            if self.deliver(hook).await {
                return;
            }
        }
        tracing::warn!(event = %hook.event_type, "sandbox MangoPay hook given up after retries");
    }
}
