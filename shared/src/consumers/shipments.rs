//! The `shipments` queue: `{"reference", "shipment_id", "amount"?, "last_parcel"?}` per parcel
//! handed to the carrier. Captures are deduplicated per shipment by the use case, so
//! redelivery is safe.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::{consume_batch_observed, MessageFailure};
use crate::app::capture_on_shipment::{CaptureOnShipment, ShipmentMessage};

pub async fn capture_shipments(capture: &CaptureOnShipment, event: SqsEvent) -> SqsBatchResponse {
    // A shipment message is handled once its capture is made: its wait is the capture delay.
    let handled = crate::telemetry::capture_after_shipment;
    consume_batch_observed("shipments", event, handled, |body| async move {
        let message = serde_json::from_str::<ShipmentMessage>(&body)
            .map_err(|e| MessageFailure::permanent(format!("unreadable shipment message: {e}")))?;
        if let Ok(reference) = crate::domain::Reference::parse(&message.reference) {
            tracing::Span::current().record("reference", tracing::field::display(&reference));
        }
        capture
            .capture_message(message)
            .await
            .map(|_| ())
            .map_err(|e| MessageFailure {
                transient: e.is_transient(),
                error: e.to_string(),
            })
    })
    .await
}
