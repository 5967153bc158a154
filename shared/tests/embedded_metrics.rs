//! The metrics the use cases record, written as CloudWatch Embedded Metric Format by the
//! recorder every Lambda function installs (`adapters::lambda_telemetry`), read back as
//! CloudWatch would: one JSON document per line declaring its namespace, dimensions and units.
//! A test binary of its own: the recorder is process-wide.

use encaisse::adapters::lambda_telemetry::collector_builder;
use encaisse::domain::PaymentStatus;
use encaisse::telemetry::{self, StartedWith, NAMESPACE};
use serde_json::Value;

fn documents(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn declared<'a>(document: &'a Value, name: &str) -> Option<&'a Value> {
    document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()?
        .iter()
        .find(|m| m["Name"] == name)
}

#[test]
fn what_the_use_cases_record_is_written_as_embedded_metric_format() {
    let collector = collector_builder("encaisse-psp-webhook".into())
        .init()
        .unwrap();
    telemetry::describe();
    telemetry::payment_started(StartedWith::Card);
    telemetry::payment_moved(PaymentStatus::Created, PaymentStatus::Authorised);
    telemetry::payment_moved(PaymentStatus::Authorised, PaymentStatus::PartiallyCaptured);
    telemetry::payment_moved(PaymentStatus::PartiallyCaptured, PaymentStatus::Captured);
    telemetry::payment_moved(PaymentStatus::Created, PaymentStatus::Failed);
    telemetry::webhook_signature_refused();
    telemetry::webhook_handled(std::time::Duration::from_millis(1500));
    telemetry::outbox_oldest_pending(std::time::Duration::from_secs(301));
    let mut out = Vec::new();
    collector.flush(&mut out).unwrap();
    let documents = documents(&out);
    let find = |name: &str| {
        documents
            .iter()
            .find(|d| declared(d, name).is_some())
            .unwrap_or_else(|| panic!("no document declares {name}: {documents:?}"))
    };
    let started = find(telemetry::PAYMENTS_STARTED);
    assert_eq!(
        started["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        NAMESPACE
    );
    assert_eq!(started["Function"], "encaisse-psp-webhook");
    assert_eq!(started["Method"], "card");
    assert_eq!(started[telemetry::PAYMENTS_STARTED], 1);
    assert_eq!(
        find(telemetry::PAYMENTS_AUTHORISED)[telemetry::PAYMENTS_AUTHORISED],
        1
    );
    // Two parcels of one payment: one payment captured.
    assert_eq!(
        find(telemetry::PAYMENTS_CAPTURED)[telemetry::PAYMENTS_CAPTURED],
        1
    );
    assert_eq!(
        find(telemetry::PAYMENTS_FAILED)[telemetry::PAYMENTS_FAILED],
        1
    );
    assert_eq!(
        find(telemetry::WEBHOOK_SIGNATURE_FAILURES)[telemetry::WEBHOOK_SIGNATURE_FAILURES],
        1
    );
    let lag = find(telemetry::WEBHOOK_LAG);
    assert_eq!(
        declared(lag, telemetry::WEBHOOK_LAG).unwrap()["Unit"],
        "Seconds"
    );
    // Histogram values are listed, one per observation.
    assert_eq!(lag[telemetry::WEBHOOK_LAG], serde_json::json!([1.5]));
    let outbox = find(telemetry::OUTBOX_OLDEST_PENDING);
    assert_eq!(outbox[telemetry::OUTBOX_OLDEST_PENDING], 301.0);
    // The alarms' dimension set is the function alone: the template's alarms name it.
    assert_eq!(
        outbox["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
        serde_json::json!(["Function"])
    );
}
