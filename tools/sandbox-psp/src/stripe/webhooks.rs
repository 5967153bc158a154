//! Webhook delivery: events are signed exactly as Stripe signs them (`Stripe-Signature:
//! t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the whole `whsec_…` secret) and
//! posted by one background task, in order; a failed delivery is retried with backoff in its
//! own task so later events are not held up (Stripe does not guarantee order either).

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::faults::{self, SharedFaults};
use crate::ids::now;

/// Waits before each retry; Stripe retries for days, a devserver needs minutes at most.
const RETRY_DELAYS: [Duration; 6] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
    Duration::from_secs(32),
];
/// With `reorder_webhooks`, a batch closes after this long without a new event…
const REORDER_WINDOW: Duration = Duration::from_millis(200);
/// …or when it holds this many.
const REORDER_MAX: usize = 20;

/// The `Stripe-Signature` header value for `body` sent at unix time `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Clone)]
struct Endpoint {
    url: String,
    secret: String,
    http: reqwest::Client,
}

pub fn spawn_worker(
    url: Option<String>,
    secret: String,
    faults: SharedFaults,
    mut rx: UnboundedReceiver<Value>,
) {
    let endpoint = url.map(|url| Endpoint {
        url,
        secret,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default(),
    });
    tokio::spawn(async move {
        // Ends when the sandbox (the only sender) is dropped.
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
                        Ok(Some(event)) => batch.push(event),
                        Ok(None) | Err(_) => break,
                    }
                }
                batch.reverse();
            }
            let Some(endpoint) = &endpoint else { continue };
            let (_, duplicate) = switches();
            for event in batch {
                let body = match serde_json::to_vec(&event) {
                    Ok(b) => b,
                    Err(_) => continue,
                };
                let id = event["id"].as_str().unwrap_or_default().to_owned();
                for _ in 0..if duplicate { 2 } else { 1 } {
                    if !endpoint.deliver(&id, &body).await {
                        let (endpoint, id, body) = (endpoint.clone(), id.clone(), body.clone());
                        tokio::spawn(async move { endpoint.retry(&id, &body).await });
                    }
                }
            }
        }
    });
}

impl Endpoint {
    /// One attempt, signed afresh like Stripe does on every attempt; true on 2xx.
    async fn deliver(&self, id: &str, body: &[u8]) -> bool {
        let signature = sign(&self.secret, now(), body);
        let result = self
            .http
            .post(&self.url)
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", signature)
            .header(
                "user-agent",
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .body(body.to_vec())
            .send()
            .await;
        match result {
            Ok(resp) if resp.status().is_success() => {
                tracing::debug!(event = id, url = %self.url, "sandbox webhook delivered");
                true
            }
            Ok(resp) => {
                tracing::warn!(event = id, url = %self.url, status = %resp.status(), "sandbox webhook refused");
                false
            }
            Err(e) => {
                tracing::warn!(event = id, url = %self.url, error = %e, "sandbox webhook not delivered");
                false
            }
        }
    }

    async fn retry(&self, id: &str, body: &[u8]) {
        for delay in RETRY_DELAYS {
            tokio::time::sleep(delay).await;
            if self.deliver(id, body).await {
                return;
            }
        }
        tracing::warn!(event = id, url = %self.url, "sandbox webhook given up after retries");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_stripe_scheme() {
        // Independent computation of HMAC-SHA256("whsec_x", "12.{}").
        let header = sign("whsec_x", 12, b"{}");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"whsec_x").unwrap();
        mac.update(b"12.{}");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(header, format!("t=12,v1={expected}"));
    }
}
