//! A dispute (chargeback) the shopper's bank opened on a captured payment, as its PSP reports
//! it: recorded on the payment, reflected in the order's amounts and status, and followed to
//! its outcome. A payment has at most one dispute (Stripe and MangoPay both dispute a charge
//! once).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A chargeback withdraws the money at once; an inquiry (a retrieval request) only asks for
/// information and may turn into a chargeback later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeKind {
    Chargeback,
    Inquiry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// The seller must answer (with evidence, or by accepting) before `respond_by`.
    NeedsResponse,
    /// Evidence was submitted; the bank decides.
    UnderReview,
    /// Decided for the seller: withdrawn money came back.
    Won,
    /// Decided for the shopper (or accepted by the seller): the money is gone for good.
    Lost,
    /// An inquiry closed without becoming a chargeback.
    Closed,
}

impl DisputeStatus {
    /// Still waiting for the seller or the bank.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            DisputeStatus::NeedsResponse | DisputeStatus::UnderReview
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::NeedsResponse => "needs_response",
            DisputeStatus::UnderReview => "under_review",
            DisputeStatus::Won => "won",
            DisputeStatus::Lost => "lost",
            DisputeStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    /// The PSP's dispute id (Stripe `dp_…`), for the seller's dashboard.
    pub id: String,
    pub kind: DisputeKind,
    pub status: DisputeStatus,
    /// What the shopper's bank disputes (usually the whole charge; can be part of it).
    pub amount: Decimal,
    /// What the PSP holds back from the seller now because of it: the disputed amount while a
    /// chargeback is open or once it is lost, nothing for an inquiry or once won.
    pub withdrawn: Decimal,
    /// The PSP's reason category (`fraudulent`, `product_not_received`, …), never free text.
    pub reason: String,
    /// When evidence is due, while the seller can answer.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub respond_by: Option<OffsetDateTime>,
    /// How many balance movements (withdrawal, reinstatement) the PSP had reported: they only
    /// grow, so an older read of the same status never takes one back.
    #[serde(default)]
    pub movements: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
}

impl Dispute {
    /// How far the dispute has gone: it only moves forward, an inquiry's stages (closed
    /// included) below every chargeback stage, since an inquiry may become a chargeback under
    /// the same id (even after it closed), then be decided; and the balance movements only
    /// grow. So an older read of the same dispute (a late webhook's fetch) never takes it back.
    fn progress(&self) -> (u8, u32) {
        let stage = match (self.kind, self.status) {
            (DisputeKind::Inquiry, DisputeStatus::NeedsResponse) => 0,
            (DisputeKind::Inquiry, DisputeStatus::UnderReview) => 1,
            (DisputeKind::Inquiry, _) => 2,
            (DisputeKind::Chargeback, DisputeStatus::NeedsResponse) => 3,
            (DisputeKind::Chargeback, DisputeStatus::UnderReview) => 4,
            (DisputeKind::Chargeback, _) => 5,
        };
        (stage, self.movements)
    }

    /// The dispute to keep from what was stored and what the PSP says now: the PSP's, unless
    /// it is an older read of the same dispute. A PSP read that does not say (None) keeps the
    /// stored one: a dispute never disappears.
    pub fn merge(stored: Option<&Dispute>, fresh: Option<Dispute>) -> Option<Dispute> {
        match (stored, fresh) {
            (Some(old), Some(new))
                if old.id == new.id
                    && (new.progress().0 < old.progress().0
                        || new.progress().1 < old.progress().1) =>
            {
                Some(old.clone())
            }
            (_, Some(new)) => Some(new),
            (old, None) => old.cloned(),
        }
    }

    /// A chargeback not won: the money is with the shopper's bank, so the PSP refuses a refund
    /// of the payment (an inquiry does not stop one).
    pub fn blocks_refund(&self) -> bool {
        self.kind == DisputeKind::Chargeback && self.status != DisputeStatus::Won
    }

    /// Still open, or lost: the order shows `disputed`.
    pub fn marks_order(&self) -> bool {
        self.status.is_open() || self.status == DisputeStatus::Lost
    }

    /// A dispute the seller hears of: new, a different one than stored, or an inquiry that
    /// became a chargeback.
    pub fn is_new_since(&self, stored: Option<&Dispute>) -> bool {
        stored.is_none_or(|old| old.id != self.id || old.kind != self.kind)
    }

    /// Decided (won, lost, or an inquiry closed) by this change.
    pub fn closed_since(&self, stored: Option<&Dispute>) -> bool {
        !self.status.is_open() && stored.is_none_or(|old| old.id != self.id || old.status.is_open())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dispute(id: &str, status: DisputeStatus) -> Dispute {
        Dispute {
            id: id.into(),
            kind: DisputeKind::Chargeback,
            status,
            amount: Decimal::new(4_990, 2),
            withdrawn: Decimal::new(4_990, 2),
            reason: "fraudulent".into(),
            respond_by: None,
            opened_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            movements: 1,
        }
    }

    #[test]
    fn an_older_read_with_fewer_movements_never_takes_them_back() {
        let mut won = dispute("dp_1", DisputeStatus::Won);
        won.movements = 2;
        won.withdrawn = Decimal::ZERO;
        let mut early = dispute("dp_1", DisputeStatus::Won);
        early.movements = 1;
        assert_eq!(Dispute::merge(Some(&won), Some(early)), Some(won.clone()));
        // A chargeback after an inquiry closed, under the same id, is news.
        let mut closed = dispute("dp_1", DisputeStatus::Closed);
        closed.kind = DisputeKind::Inquiry;
        closed.movements = 0;
        let open = dispute("dp_1", DisputeStatus::NeedsResponse);
        assert_eq!(
            Dispute::merge(Some(&closed), Some(open.clone())),
            Some(open)
        );
    }

    #[test]
    fn an_older_read_of_the_same_dispute_never_takes_it_back() {
        let won = dispute("dp_1", DisputeStatus::Won);
        let open = dispute("dp_1", DisputeStatus::NeedsResponse);
        assert_eq!(
            Dispute::merge(Some(&won), Some(open.clone())),
            Some(won.clone())
        );
        assert_eq!(
            Dispute::merge(Some(&open), Some(won.clone())),
            Some(won.clone())
        );
        assert_eq!(Dispute::merge(Some(&won), None), Some(won.clone()));
        assert_eq!(Dispute::merge(None, None), None);
        // Another dispute (a new one after an inquiry closed) replaces the stored one.
        let other = dispute("dp_2", DisputeStatus::NeedsResponse);
        assert_eq!(Dispute::merge(Some(&won), Some(other.clone())), Some(other));
    }

    #[test]
    fn opening_and_closing_are_seen_once() {
        let open = dispute("dp_1", DisputeStatus::NeedsResponse);
        let review = dispute("dp_1", DisputeStatus::UnderReview);
        let lost = dispute("dp_1", DisputeStatus::Lost);
        assert!(open.is_new_since(None));
        assert!(!review.is_new_since(Some(&open)));
        assert!(!review.closed_since(Some(&open)));
        assert!(lost.closed_since(Some(&review)));
        assert!(!lost.closed_since(Some(&lost)));
        // Opened and decided between two reads: both are news.
        assert!(lost.is_new_since(None) && lost.closed_since(None));
        assert!(lost.marks_order() && open.marks_order());
        // An inquiry under review escalated to a chargeback: forward, and news.
        let mut inquiry = dispute("dp_1", DisputeStatus::UnderReview);
        inquiry.kind = DisputeKind::Inquiry;
        assert_eq!(
            Dispute::merge(Some(&inquiry), Some(open.clone())),
            Some(open.clone())
        );
        assert_eq!(
            Dispute::merge(Some(&open), Some(inquiry.clone())),
            Some(open.clone())
        );
        assert!(open.is_new_since(Some(&inquiry)));
        assert!(!dispute("dp_1", DisputeStatus::Won).marks_order());
    }
}
