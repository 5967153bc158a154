//! The devserver's notification path, as in AWS but in process: the outbox relay publishes to
//! a memory queue (right after each webhook, and every second as the sweep), the notifier
//! consumes it, and the memory mailer keeps every email for `GET /dev/outbox`.

use encaisse::domain::log_safe::LogSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use encaisse::adapters::memory::notifications::MemoryMailer;
use encaisse::app::notify::Notifier;
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::domain::invoice::SellerIdentity;
use encaisse::domain::OutboxEvent;
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;

/// The demo seller printed on devserver invoices.
pub fn demo_seller() -> SellerIdentity {
    SellerIdentity {
        legal_name: "Atelier Démo SAS".into(),
        address_lines: vec!["1 place de la Liberté".into()],
        postcode: "83000".into(),
        city: "Toulon".into(),
        country: "FR".into(),
        siren: "123456789".into(),
        siret: Some("12345678900011".into()),
        vat_number: "FR32123456789".into(),
        rcs: "RCS Toulon 123 456 789".into(),
        share_capital: "SAS au capital de 10 000 €".into(),
    }
}

/// The demo seller's inbox: dispute emails land in `/dev/outbox` addressed to it.
pub fn demo_seller_inbox() -> encaisse::domain::seller_emails::SellerInbox {
    encaisse::domain::seller_emails::SellerInbox {
        address: "seller@atelier-demo.example".into(),
        locale: encaisse::domain::Locale::Fr,
    }
}

/// Consumes the queue (retrying transient failures a few times) and runs the sweep.
pub fn spawn(
    relay: OutboxRelay,
    notifier: Arc<Notifier>,
    mut events: UnboundedReceiver<OutboxEvent>,
) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            for attempt in 0..5u64 {
                match notifier.handle(&event).await {
                    Ok(_) => break,
                    Err(error) if error.is_transient() => {
                        tracing::warn!(event = %event.id, error = %LogSafe(&error), "notification retried");
                        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
                    }
                    Err(error) => {
                        tracing::error!(event = %event.id, error = %LogSafe(&error), "notification refused");
                        break;
                    }
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(error) = relay.publish_pending(100).await {
                tracing::warn!(error = %LogSafe(&error), "outbox sweep failed; next tick retries");
            }
        }
    });
}

async fn outbox(State(mailer): State<Arc<MemoryMailer>>) -> Json<Value> {
    let emails: Vec<Value> = mailer
        .sent()
        .into_iter()
        .map(|e| {
            json!({
                "to": e.to,
                "subject": e.subject,
                "text": e.text,
                "html": e.html,
                "attachments": e.attachments.iter().map(|a| json!({
                    "file_name": a.file_name,
                    "content_type": a.content_type,
                    "size": a.bytes.len(),
                })).collect::<Vec<_>>(),
                "sent_at": e.sent_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            })
        })
        .collect();
    Json(Value::Array(emails))
}

/// `GET /dev/outbox`: every email sent, oldest first; for a client on this machine only.
pub fn outbox_router(mailer: Arc<MemoryMailer>) -> Router {
    encaisse_sandbox_psp::loopback::loopback_only(
        Router::new()
            .route("/dev/outbox", get(outbox))
            .with_state(mailer),
    )
}
