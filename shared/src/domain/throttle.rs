//! Failed lookups per key (a reference, or a client address) in one-minute buckets.
//!
//! A key is blocked while the failures in the last 15 minutes reach the limit. Buckets are whole
//! minutes, so the window covered is 15 to 16 minutes: it errs on the side of blocking, never of
//! forgetting a failure early.
//!
//! An attempt is counted before its postcode is compared (reserved by a conditional write on
//! `attempts`, so concurrent guesses cannot all pass one check) and given back when it matches.

use std::collections::BTreeMap;

use time::OffsetDateTime;

pub const WINDOW_MINUTES: i64 = 15;
/// Failures of one client address on one reference: that client waits out the window for it.
pub const MAX_FAILURES_PER_PAIR: u32 = 5;
/// Failures of one client address on any reference.
pub const MAX_FAILURES_PER_CLIENT: u32 = 20;
/// Failures on one reference from everyone after which each attempt must wait longer (1, 2, 4 …
/// seconds after the last one, at most `MAX_REFERENCE_DELAY_SECONDS`): sequential references
/// make a per-reference lockout a way to lock a shopper out of their order, so the reference
/// only slows down (its pay link is never limited).
pub const REFERENCE_SLOWDOWN_AFTER: u32 = 10;
pub const MAX_REFERENCE_DELAY_SECONDS: i64 = 300;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureLog {
    /// minute since the Unix epoch → failures recorded in that minute
    pub per_minute: BTreeMap<i64, u32>,
    /// Attempts ever reserved on this key: the version a reservation is conditioned on.
    pub attempts: u64,
    /// When the last attempt was reserved (Unix seconds).
    pub last_attempt_at: Option<i64>,
}

pub fn minute_of(now: OffsetDateTime) -> i64 {
    now.unix_timestamp().div_euclid(60)
}

impl FailureLog {
    fn is_live(minute: i64, now_minute: i64) -> bool {
        minute >= now_minute - WINDOW_MINUTES
    }

    pub fn recent_failures(&self, now: OffsetDateTime) -> u32 {
        let now_minute = minute_of(now);
        self.per_minute
            .iter()
            .filter(|(m, _)| Self::is_live(**m, now_minute))
            .map(|(_, n)| *n)
            .sum()
    }

    /// Seconds until the failures in the window fall below `limit` again, or None if they are
    /// already below it.
    pub fn retry_after(&self, now: OffsetDateTime, limit: u32) -> Option<u64> {
        let mut live = self.recent_failures(now);
        if live < limit {
            return None;
        }
        let now_minute = minute_of(now);
        for (minute, count) in self
            .per_minute
            .iter()
            .filter(|(m, _)| Self::is_live(**m, now_minute))
        {
            live -= count;
            if live < limit {
                // This bucket stops counting once the clock passes minute + WINDOW + 1.
                let free_at = (minute + WINDOW_MINUTES + 1) * 60;
                return Some((free_at - now.unix_timestamp()).max(1) as u64);
            }
        }
        Some(1)
    }

    /// For a reference: seconds until the next attempt may be made, once its failures reach
    /// `REFERENCE_SLOWDOWN_AFTER` (a delay after the last attempt that doubles with each
    /// failure, at most `MAX_REFERENCE_DELAY_SECONDS`); None while it need not wait.
    pub fn slowdown(&self, now: OffsetDateTime) -> Option<u64> {
        let delay = self.slowdown_delay(now)?;
        let wait = self.last_attempt_at? + delay - now.unix_timestamp();
        (wait > 0).then_some(wait as u64)
    }

    /// The delay each attempt on a reference must leave after the last, once slowed down.
    fn slowdown_delay(&self, now: OffsetDateTime) -> Option<i64> {
        let failures = self.recent_failures(now);
        if failures < REFERENCE_SLOWDOWN_AFTER {
            return None;
        }
        let doublings = (failures - REFERENCE_SLOWDOWN_AFTER).min(16);
        Some((1_i64 << doublings).min(MAX_REFERENCE_DELAY_SECONDS))
    }

    /// The guard of a reservation on a reference's log: none until it slows down, then that
    /// the last attempt was at least the delay ago (so concurrent attempts go one at a time).
    pub fn slowdown_guard(&self, now: OffsetDateTime) -> ReserveGuard {
        match self.slowdown_delay(now) {
            Some(delay) => ReserveGuard::LastAtOrBefore(now.unix_timestamp() - delay),
            None => ReserveGuard::Always,
        }
    }

    /// How many more failures this minute's bucket may take before the window reaches `limit`
    /// (the other live minutes as read: only the current minute's bucket grows).
    pub fn room_this_minute(&self, now: OffsetDateTime, limit: u32) -> u32 {
        let current = minute_of(now);
        let others: u32 = self
            .per_minute
            .iter()
            .filter(|(m, _)| Self::is_live(**m, current) && **m != current)
            .map(|(_, n)| *n)
            .sum();
        limit.saturating_sub(others)
    }

    /// Buckets too old to matter, which a writer may delete.
    pub fn stale_minutes(&self, now: OffsetDateTime) -> Vec<i64> {
        let now_minute = minute_of(now);
        self.per_minute
            .keys()
            .copied()
            .filter(|m| !Self::is_live(*m, now_minute))
            .collect()
    }

    /// When the whole record may expire (DynamoDB TTL): after the newest bucket leaves the window.
    pub fn expires_at(now: OffsetDateTime) -> i64 {
        (minute_of(now) + WINDOW_MINUTES + 2) * 60
    }

    /// An attempt counted in `minute` that turned out right.
    pub fn give_back(&mut self, minute: i64) {
        if let Some(count) = self.per_minute.get_mut(&minute) {
            *count = count.saturating_sub(1);
        }
    }

    pub fn record(&mut self, now: OffsetDateTime) {
        *self.per_minute.entry(minute_of(now)).or_default() += 1;
        for stale in self.stale_minutes(now) {
            self.per_minute.remove(&stale);
        }
    }
}

/// What reserving an attempt on one failure log requires, decided from what was read; the
/// store makes it the condition of its write, so concurrent attempts within the limits never
/// conflict and none passes beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReserveGuard {
    /// Nothing (a reference below its slowdown).
    Always,
    /// This minute's bucket must hold fewer than this many (`room_this_minute`).
    BucketBelow(u32),
    /// The last attempt must be at or before this instant (Unix seconds): the slowdown.
    LastAtOrBefore(i64),
}

/// The guards of one lookup's reservation, per log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupGuards {
    pub reference: ReserveGuard,
    pub client: ReserveGuard,
    pub pair: ReserveGuard,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn t(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn blocks_at_the_limit_and_frees_after_the_window() {
        let mut log = FailureLog::default();
        for i in 0..5 {
            log.record(t(i * 30));
        }
        let now = t(150);
        assert_eq!(log.recent_failures(now), 5);
        let wait = log.retry_after(now, 5).unwrap();
        // The two failures of the first minute stop counting 16 minutes after it began.
        assert_eq!(wait, 16 * 60 - 150);
        let later = now + Duration::seconds(wait as i64);
        assert_eq!(log.retry_after(later, 5), None);
        assert_eq!(log.retry_after(now, 6), None);
    }

    #[test]
    fn a_reference_slows_down_without_locking() {
        let mut log = FailureLog::default();
        for i in 0..9 {
            log.record(t(i));
        }
        log.last_attempt_at = Some(t(8).unix_timestamp());
        assert_eq!(log.slowdown(t(8)), None, "9 failures: no wait");
        log.record(t(9));
        log.last_attempt_at = Some(t(9).unix_timestamp());
        assert_eq!(log.slowdown(t(9)), Some(1));
        assert_eq!(log.slowdown(t(10)), None);
        for i in 10..13 {
            log.record(t(i));
        }
        log.last_attempt_at = Some(t(12).unix_timestamp());
        assert_eq!(log.slowdown(t(12)), Some(8), "13 failures: 2^3 s");
        for i in 13..40 {
            log.record(t(i));
        }
        log.last_attempt_at = Some(t(39).unix_timestamp());
        assert_eq!(log.slowdown(t(39)), Some(300), "capped");
        assert_eq!(log.slowdown(t(39 + 300)), None, "never a lockout");
    }

    #[test]
    fn the_room_this_minute_is_the_limit_less_the_other_live_minutes() {
        let mut log = FailureLog::default();
        log.record(t(0));
        log.record(t(0));
        log.record(t(120));
        // At t(130) the current minute holds 1, the others 2: 3 more may come this minute.
        assert_eq!(log.room_this_minute(t(130), 5), 3);
        assert_eq!(log.room_this_minute(t(130), 2), 0);
        // Old minutes leave the window and give their room back.
        assert_eq!(log.room_this_minute(t(20 * 60), 5), 5);
        assert_eq!(log.slowdown_guard(t(130)), ReserveGuard::Always);
        for i in 0..10 {
            log.record(t(130 + i));
        }
        log.last_attempt_at = Some(t(139).unix_timestamp());
        assert_eq!(
            log.slowdown_guard(t(140)),
            ReserveGuard::LastAtOrBefore(t(140).unix_timestamp() - 8)
        );
    }

    #[test]
    fn failures_fifteen_minutes_old_still_count() {
        let mut log = FailureLog::default();
        log.record(t(0));
        assert_eq!(log.recent_failures(t(15 * 60)), 1);
        assert_eq!(log.recent_failures(t(17 * 60)), 0);
        assert_eq!(log.stale_minutes(t(17 * 60)).len(), 1);
    }
}
