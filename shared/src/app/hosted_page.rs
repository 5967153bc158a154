//! Opening the PSP's hosted page for a payment: its expiry computed at the call, and the
//! request's key kept stable for retries.

use time::{Duration, OffsetDateTime};

use crate::ports::{HostedPayment, HostedPaymentRequest, PaymentProvider, ProviderError};

/// Added to the page's lifetime: the PSP measures its minimum (Stripe: 30 minutes) from when it
/// receives the call, our clock and its clock differ, and the call takes time.
pub const EXPIRY_MARGIN: Duration = Duration::seconds(60);

/// When a page opened at `now` closes: `lifetime` plus the margin, rounded up to the whole
/// minute (never truncated below the lifetime), so a retry of the same request within the
/// same minute sends the same expiry and the PSP replays its first answer.
pub fn page_expiry(now: OffsetDateTime, lifetime: Duration) -> OffsetDateTime {
    let at = now + lifetime + EXPIRY_MARGIN;
    let seconds = at.unix_timestamp() + i64::from(at.nanosecond() > 0);
    let minute_up = seconds.div_euclid(60) * 60 + if seconds % 60 == 0 { 0 } else { 60 };
    OffsetDateTime::from_unix_timestamp(minute_up).unwrap_or(at)
}

/// Opens the page under `request.idempotency_key`. A retry in a later minute asks with another
/// expiry, which the PSP refuses under the first key: it then opens under a key naming that
/// expiry (the first page was never shown to anyone and expires by itself).
pub async fn open_page(
    provider: &dyn PaymentProvider,
    request: HostedPaymentRequest,
) -> Result<HostedPayment, ProviderError> {
    match provider.open_hosted_payment(&request).await {
        Err(ProviderError::IdempotencyConflict) => {
            let key = format!(
                "{}-{}",
                request.idempotency_key,
                request.expires_at.unix_timestamp()
            );
            provider
                .open_hosted_payment(&HostedPaymentRequest {
                    idempotency_key: key,
                    ..request
                })
                .await
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64, nanos: u32) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
            + Duration::nanoseconds(i64::from(nanos))
    }

    #[test]
    fn the_expiry_is_at_least_the_lifetime_plus_the_margin_and_stable_within_a_minute() {
        let lifetime = Duration::minutes(30);
        for (seconds, nanos) in [
            (1_800_000_000, 0),
            (1_800_000_001, 1),
            (1_800_000_059, 999_999_999),
        ] {
            let now = at(seconds, nanos);
            let expiry = page_expiry(now, lifetime);
            assert!(expiry >= now + lifetime + EXPIRY_MARGIN, "{now} → {expiry}");
            assert!(expiry < now + lifetime + EXPIRY_MARGIN + Duration::minutes(1));
            assert_eq!(expiry.unix_timestamp() % 60, 0);
            assert_eq!(expiry.nanosecond(), 0);
        }
        // 1_800_000_000 is a whole minute: nothing to round.
        assert_eq!(
            page_expiry(at(1_800_000_000, 0), lifetime).unix_timestamp(),
            1_800_000_000 + 31 * 60
        );
        assert_eq!(
            page_expiry(at(1_800_000_001, 0), lifetime),
            page_expiry(at(1_800_000_059, 5), lifetime)
        );
    }
}
