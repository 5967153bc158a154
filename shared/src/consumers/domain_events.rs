//! The `domain-events` queue: outbox events (JSON) to the notifier. The notifier dedupes per
//! event and recipient, so redelivery never sends twice.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::{consume_batch, MessageFailure};
use crate::app::notify::{parse_outbox_message, Notifier};

pub async fn notify_batch(notifier: &Notifier, event: SqsEvent) -> SqsBatchResponse {
    consume_batch("domain-events", event, |body| async move {
        let outbox = parse_outbox_message(&body).map_err(|e| MessageFailure {
            transient: e.is_transient(),
            error: e.to_string(),
        })?;
        crate::telemetry::log_context(&outbox.order_reference, &outbox.payment_id);
        notifier.handle(&outbox).await.map_err(|e| MessageFailure {
            transient: e.is_transient(),
            error: e.to_string(),
        })?;
        let lag = crate::telemetry::elapsed(outbox.created_at, time::OffsetDateTime::now_utc());
        crate::telemetry::outbox_event_handled(lag);
        Ok(())
    })
    .await
}
