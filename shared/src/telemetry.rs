//! Business and health metrics, each named once here and emitted through the `metrics` facade.
//! A Lambda function installs a recorder that writes them as CloudWatch Embedded Metric Format
//! after each invocation (`adapters::lambda_telemetry`); where none is installed (devserver,
//! most tests) a call costs an atomic load and records nothing.
//!
//! Every metric is counted where the change it reports is committed, never before: a write
//! lost to a conflict and retried is counted once, by the attempt that landed.

use std::time::Duration;

use crate::domain::PaymentStatus;

/// The CloudWatch namespace the functions write to; the template's alarms and dashboard read it.
pub const NAMESPACE: &str = "Encaisse";

pub const PAYMENTS_STARTED: &str = "PaymentsStarted";
pub const PAYMENTS_AUTHORISED: &str = "PaymentsAuthorised";
pub const PAYMENTS_CAPTURED: &str = "PaymentsCaptured";
pub const PAYMENTS_FAILED: &str = "PaymentsFailed";
/// Seconds from the PSP's event to our handling it.
pub const WEBHOOK_LAG: &str = "WebhookLagSeconds";
/// Notifications refused for their signature (missing, malformed, wrong, stale).
pub const WEBHOOK_SIGNATURE_FAILURES: &str = "WebhookSignatureFailures";
/// Seconds from an outbox event's commit to the notifier handling it.
pub const OUTBOX_LAG: &str = "OutboxLagSeconds";
/// Age in seconds of the oldest outbox event still unpublished, at each relay run (0: none).
pub const OUTBOX_OLDEST_PENDING: &str = "OutboxOldestPendingSeconds";
/// Seconds from the shipment being recorded (sent to the shipments queue) to its capture.
pub const CAPTURE_DELAY_AFTER_SHIPMENT: &str = "CaptureDelayAfterShipmentSeconds";

/// What a payment was started with: the `Method` dimension of [`PAYMENTS_STARTED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartedWith {
    Card,
    SavedCard,
    Wallet,
    Instalments,
    SepaDebit,
    /// Vouchers, credit or on account covering the whole order: no PSP.
    Tenders,
    /// A bank transfer or cheque the seller will record.
    Offline,
}

impl StartedWith {
    fn as_str(self) -> &'static str {
        match self {
            StartedWith::Card => "card",
            StartedWith::SavedCard => "saved_card",
            StartedWith::Wallet => "wallet",
            StartedWith::Offline => "offline",
            StartedWith::Instalments => "instalments",
            StartedWith::SepaDebit => "sepa_debit",
            StartedWith::Tenders => "tenders",
        }
    }
}

/// Registers names, units and descriptions with the installed recorder (EMF needs the unit
/// before the first value); a no-op without one.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(PAYMENTS_STARTED, Unit::Count, "payments opened at the PSP");
    describe_counter!(PAYMENTS_AUTHORISED, Unit::Count, "payments authorised");
    describe_counter!(PAYMENTS_CAPTURED, Unit::Count, "payments captured");
    describe_counter!(PAYMENTS_FAILED, Unit::Count, "payments failed");
    describe_counter!(
        WEBHOOK_SIGNATURE_FAILURES,
        Unit::Count,
        "notifications refused for their signature"
    );
    describe_histogram!(WEBHOOK_LAG, Unit::Seconds, "PSP event to handling");
    describe_histogram!(OUTBOX_LAG, Unit::Seconds, "outbox commit to notifier");
    describe_gauge!(
        OUTBOX_OLDEST_PENDING,
        Unit::Seconds,
        "oldest unpublished outbox event"
    );
    describe_histogram!(
        CAPTURE_DELAY_AFTER_SHIPMENT,
        Unit::Seconds,
        "shipment recorded to capture"
    );
}

pub fn payment_started(with: StartedWith) {
    metrics::counter!(PAYMENTS_STARTED, "Method" => with.as_str()).increment(1);
}

/// The metric a committed status change counts, if any: reaching authorised, reaching a
/// captured state from an uncaptured one, or failing.
pub fn transition_metric(from: PaymentStatus, to: PaymentStatus) -> Option<&'static str> {
    use PaymentStatus as S;
    let captured = |s: PaymentStatus| {
        matches!(
            s,
            S::PartiallyCaptured | S::Captured | S::PartiallyRefunded | S::Refunded
        )
    };
    if from == to {
        return None;
    }
    match to {
        S::Authorised => Some(PAYMENTS_AUTHORISED),
        S::Failed => Some(PAYMENTS_FAILED),
        S::PartiallyCaptured | S::Captured if !captured(from) => Some(PAYMENTS_CAPTURED),
        _ => None,
    }
}

/// A payment's status change, once committed.
pub fn payment_moved(from: PaymentStatus, to: PaymentStatus) {
    if let Some(name) = transition_metric(from, to) {
        metrics::counter!(name).increment(1);
    }
}

pub fn webhook_handled(lag: Duration) {
    metrics::histogram!(WEBHOOK_LAG).record(lag.as_secs_f64());
}

pub fn webhook_signature_refused() {
    metrics::counter!(WEBHOOK_SIGNATURE_FAILURES).increment(1);
}

pub fn outbox_event_handled(lag: Duration) {
    metrics::histogram!(OUTBOX_LAG).record(lag.as_secs_f64());
}

pub fn outbox_oldest_pending(age: Duration) {
    metrics::gauge!(OUTBOX_OLDEST_PENDING).set(age.as_secs_f64());
}

pub fn capture_after_shipment(delay: Duration) {
    metrics::histogram!(CAPTURE_DELAY_AFTER_SHIPMENT).record(delay.as_secs_f64());
}

/// Names the order and payment on the current span (an HTTP request's, a queue message's), so
/// every log line after this one carries them; fields the span does not declare are ignored.
pub fn log_context(reference: &crate::domain::Reference, payment_id: &str) {
    let span = tracing::Span::current();
    span.record("reference", tracing::field::display(reference));
    span.record("payment_id", tracing::field::display(payment_id));
}

/// `later - earlier` as a std duration, zero when clocks disagree.
pub fn elapsed(earlier: time::OffsetDateTime, later: time::OffsetDateTime) -> Duration {
    Duration::try_from(later - earlier).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus as S;

    #[test]
    fn each_committed_change_counts_once_for_what_it_reached() {
        assert_eq!(
            transition_metric(S::Created, S::Authorised),
            Some(PAYMENTS_AUTHORISED)
        );
        assert_eq!(
            transition_metric(S::RequiresAction, S::Failed),
            Some(PAYMENTS_FAILED)
        );
        assert_eq!(
            transition_metric(S::Authorised, S::PartiallyCaptured),
            Some(PAYMENTS_CAPTURED)
        );
        assert_eq!(
            transition_metric(S::Authorised, S::Captured),
            Some(PAYMENTS_CAPTURED)
        );
        // A second parcel of a partly captured payment is not a second captured payment.
        assert_eq!(transition_metric(S::PartiallyCaptured, S::Captured), None);
        assert_eq!(transition_metric(S::Authorised, S::Authorised), None);
        assert_eq!(transition_metric(S::Captured, S::Refunded), None);
        assert_eq!(transition_metric(S::Created, S::Expired), None);
    }

    #[test]
    fn a_clock_behind_gives_zero_not_a_panic() {
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(
            elapsed(now, now - time::Duration::seconds(5)),
            Duration::ZERO
        );
        assert_eq!(
            elapsed(now - time::Duration::seconds(5), now),
            Duration::from_secs(5)
        );
    }
}
