//! The sandbox clock, shared by the dialects: wall time plus what `POST /_clock` added. SEPA
//! debits (Stripe's and MangoPay's) settle by it, and count its moves: a move settles the
//! immediate ones at once.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
    moves: AtomicU64,
}

pub type SharedClock = Arc<Clock>;

impl Clock {
    /// The sandbox clock in milliseconds.
    pub fn now_ms(&self) -> i64 {
        let wall = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        i64::try_from(wall).unwrap_or(i64::MAX) + self.offset_ms.load(Ordering::SeqCst)
    }

    /// The sandbox clock in unix seconds.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves the clock forward (never back: callers check `seconds >= 0`).
    pub fn advance(&self, seconds: i64) {
        self.offset_ms.fetch_add(seconds * 1000, Ordering::SeqCst);
        self.moves.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times the clock was moved: a dialect that saw fewer settles its immediate
    /// debits at once, as if it had been told.
    pub fn moves(&self) -> u64 {
        self.moves.load(Ordering::SeqCst)
    }
}
