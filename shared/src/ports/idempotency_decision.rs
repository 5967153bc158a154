//! The decision every idempotency store makes about an existing record, in one place so the
//! memory and DynamoDB adapters cannot drift apart.

use time::OffsetDateTime;

use super::{Claim, StoredResponse};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordState {
    InProgress { until: OffsetDateTime },
    Completed(StoredResponse),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRecord {
    pub request_hash: String,
    pub state: RecordState,
    pub expires_at: OffsetDateTime,
}

/// What a new request with `request_hash` gets, given the record already stored (if any).
pub fn decide_claim(
    existing: Option<&ExistingRecord>,
    request_hash: &str,
    now: OffsetDateTime,
) -> Claim {
    let Some(record) = existing.filter(|r| r.expires_at > now) else {
        return Claim::Acquired;
    };
    match &record.state {
        // Its Lambda ran out of time without completing: the work may be redone.
        RecordState::InProgress { until } if *until <= now => Claim::Acquired,
        _ if record.request_hash != request_hash => Claim::Mismatch,
        RecordState::InProgress { .. } => Claim::InProgress,
        RecordState::Completed(response) => Claim::Completed(response.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn record(state: RecordState) -> ExistingRecord {
        ExistingRecord {
            request_hash: "h1".into(),
            state,
            expires_at: now() + Duration::hours(24),
        }
    }

    #[test]
    fn decisions() {
        let done = StoredResponse {
            status: 201,
            body: "{}".into(),
        };
        let running = record(RecordState::InProgress {
            until: now() + Duration::seconds(5),
        });
        let dead = record(RecordState::InProgress {
            until: now() - Duration::seconds(1),
        });
        let completed = record(RecordState::Completed(done.clone()));
        assert_eq!(decide_claim(None, "h1", now()), Claim::Acquired);
        assert_eq!(decide_claim(Some(&running), "h1", now()), Claim::InProgress);
        assert_eq!(decide_claim(Some(&running), "h2", now()), Claim::Mismatch);
        assert_eq!(decide_claim(Some(&dead), "h2", now()), Claim::Acquired);
        assert_eq!(
            decide_claim(Some(&completed), "h1", now()),
            Claim::Completed(done)
        );
        assert_eq!(decide_claim(Some(&completed), "h2", now()), Claim::Mismatch);
        let mut old = completed;
        old.expires_at = now();
        assert_eq!(decide_claim(Some(&old), "h2", now()), Claim::Acquired);
    }
}
