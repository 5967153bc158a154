//! The `shipments` queue: `{"reference", "shipment_id", "amount"?}` per parcel handed to the
//! carrier. Captures are deduplicated per shipment by the use case, so redelivery is safe.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::app::capture_on_shipment::{CaptureOnShipment, ShipmentMessage};

pub async fn capture_shipments(capture: &CaptureOnShipment, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let message = record
            .body
            .as_deref()
            .ok_or_else(|| "empty body".to_string())
            .and_then(|b| serde_json::from_str::<ShipmentMessage>(b).map_err(|e| e.to_string()));
        let outcome = match message {
            Ok(message) => capture.capture_message(message).await.map_err(|e| {
                // Permanent errors are redelivered too: after maxReceiveCount they land in the
                // dead-letter queue, where someone looks at them. Nothing is dropped.
                if e.is_transient() {
                    tracing::warn!(message = %id, error = %e, "shipment capture will be retried");
                } else {
                    tracing::error!(message = %id, error = %e, "shipment capture refused");
                }
            }),
            Err(error) => {
                tracing::error!(message = %id, %error, "unreadable shipment message");
                Err(())
            }
        };
        if outcome.is_err() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}
