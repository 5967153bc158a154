//! Wrong voucher and promo codes counted per client address, an hour at a time: besides the
//! order's own limit, so that guessing codes across many orders from one address does not
//! pay either. The address is kept only as a digest (`client_key`; an IPv6 address by its
//! /64).

use time::OffsetDateTime;

/// Wrong codes one client address may give in an hour (across every order).
pub const MAX_CODE_FAILURES_PER_CLIENT: u32 = 20;

const HOUR: i64 = 3600;

/// The hour's counter of one client's wrong codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeGuessBucket {
    /// The client address's digest.
    pub client: String,
    /// Hours since the Unix epoch.
    pub hour: i64,
}

impl CodeGuessBucket {
    pub fn at(client: impl Into<String>, now: OffsetDateTime) -> Self {
        Self {
            client: client.into(),
            hour: now.unix_timestamp().div_euclid(HOUR),
        }
    }

    /// Seconds until the next hour's counter starts (at least one).
    pub fn retry_after(&self, now: OffsetDateTime) -> u64 {
        let left = (self.hour + 1) * HOUR - now.unix_timestamp();
        u64::try_from(left.max(1)).unwrap_or(1)
    }
}

/// Seconds until the next hour's counters start (at least one).
pub fn seconds_to_next_hour(now: OffsetDateTime) -> u64 {
    CodeGuessBucket::at("", now).retry_after(now)
}

impl CodeGuessBucket {
    /// When the store may forget the counter (Unix seconds): an hour after its own.
    pub fn expires_at(&self) -> i64 {
        (self.hour + 2) * HOUR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_is_the_hour_and_waits_until_the_next() {
        let now = OffsetDateTime::from_unix_timestamp(10 * HOUR + 600).unwrap();
        let bucket = CodeGuessBucket::at("abc", now);
        assert_eq!(bucket.hour, 10);
        assert_eq!(bucket.retry_after(now), 3000);
        assert_eq!(bucket.expires_at(), 12 * HOUR);
        let last = OffsetDateTime::from_unix_timestamp(11 * HOUR - 1).unwrap();
        assert_eq!(CodeGuessBucket::at("abc", last), bucket);
        assert_eq!(bucket.retry_after(last), 1);
    }
}
