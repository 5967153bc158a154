//! A customer's SEPA month: every SEPA purchase of the month is a line, and the month is
//! collected as ONE debit after it ends. `total` is the sum of the lines, kept beside them so
//! the cap can be a condition on one attribute (the store adds each line's amount to it).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

use crate::domain::Reference;

/// A calendar month, `YYYY-MM`, ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthId {
    year: i32,
    month: u8,
}

impl MonthId {
    /// The first month `parse` accepts: every month sorts at or after it.
    pub const EARLIEST: MonthId = MonthId {
        year: 2000,
        month: 1,
    };

    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let month: u8 = month.parse().ok()?;
        ((1..=12).contains(&month) && (2000..=9999).contains(&year)).then_some(Self { year, month })
    }

    /// The month `day` falls in.
    pub fn of(day: Date) -> Self {
        Self {
            year: day.year(),
            month: u8::from(day.month()),
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn first_day(self) -> Date {
        let month = Month::try_from(self.month).unwrap_or(Month::January);
        Date::from_calendar_date(self.year, month, 1).unwrap_or(Date::MIN)
    }
}

impl std::fmt::Display for MonthId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for MonthId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for MonthId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        MonthId::parse(&text).ok_or_else(|| serde::de::Error::custom("expected YYYY-MM"))
    }
}

/// One SEPA purchase of the month: the order's payment it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitLine {
    pub order_reference: Reference,
    pub amount: Decimal,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebitStatus {
    /// Purchases are added to it.
    Open,
    /// Totalled after the month ended, but it cannot be announced (no usable mandate): the
    /// seller settles it another way.
    Closed,
    /// Totalled and announced to the customer (pre-notification) for `collection_on`.
    Notified,
    /// The debit was sent to the PSP; the bank has not answered yet.
    Submitted,
    Paid,
    /// The bank refused it or it came back (an R-transaction).
    Returned,
    /// Collected, then contested by the customer (a dispute after success).
    Disputed,
    /// Not collected by the debit (returned, disputed, or never announced), and the seller
    /// recorded that the customer paid it another way (`DebitMonth::settlement`).
    SettledOtherwise,
}

impl DebitStatus {
    pub const ALL: [DebitStatus; 8] = [
        DebitStatus::Open,
        DebitStatus::Closed,
        DebitStatus::Notified,
        DebitStatus::Submitted,
        DebitStatus::Paid,
        DebitStatus::Returned,
        DebitStatus::Disputed,
        DebitStatus::SettledOtherwise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DebitStatus::Open => "open",
            DebitStatus::Closed => "closed",
            DebitStatus::Notified => "notified",
            DebitStatus::Submitted => "submitted",
            DebitStatus::Paid => "paid",
            DebitStatus::Returned => "returned",
            DebitStatus::Disputed => "disputed",
            DebitStatus::SettledOtherwise => "settled_otherwise",
        }
    }

    /// The customer still owes it (nothing collected, or the collection came back).
    pub fn is_unpaid(self) -> bool {
        matches!(self, DebitStatus::Returned | DebitStatus::Disputed)
    }

    /// The seller may record another settlement: the debit did not (or no longer) collect it.
    pub fn can_be_settled_otherwise(self) -> bool {
        self.is_unpaid() || self == DebitStatus::Closed
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How the customer paid a month the debit did not collect, as the seller recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherSettlement {
    pub kind: crate::domain::OfflineKind,
    /// The seller's own reference (transfer label, cheque number).
    pub seller_reference: String,
    /// Who recorded it (the back office's caller).
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitMonth {
    pub customer_id: String,
    pub month: MonthId,
    /// The sum of `lines` (EUR).
    pub total: Decimal,
    /// Payment id → line.
    pub lines: BTreeMap<String, DebitLine>,
    pub status: DebitStatus,
    /// The mandate the debit was announced on (ours).
    pub mandate: Option<String>,
    /// The mandate reference and creditor identifier the announcement gave.
    pub mandate_reference: Option<String>,
    /// The seller's SEPA creditor identifier, as the announcement gave it (None: the PSP's).
    #[serde(default)]
    pub creditor_id: Option<String>,
    /// The announced collection date (inter-bank business day).
    pub collection_on: Option<Date>,
    /// The connector and the PSP's payment id of the debit, once submitted.
    pub provider: Option<String>,
    pub psp_payment: Option<String>,
    /// The bank's or PSP's reason when it came back.
    pub failure_code: Option<String>,
    /// How it was settled instead, once the seller recorded it (`SettledOtherwise`).
    #[serde(default)]
    pub settlement: Option<OtherSettlement>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl DebitMonth {
    pub fn new(customer_id: &str, month: MonthId, now: OffsetDateTime) -> Self {
        Self {
            customer_id: customer_id.to_string(),
            month,
            total: Decimal::ZERO,
            lines: BTreeMap::new(),
            status: DebitStatus::Open,
            mandate: None,
            mandate_reference: None,
            creditor_id: None,
            collection_on: None,
            provider: None,
            psp_payment: None,
            failure_code: None,
            settlement: None,
            updated_at: now,
        }
    }

    /// Adds a purchase (the store does the same with one conditional update). A payment
    /// already on the month is not added twice.
    pub fn add_line(&mut self, payment_id: &str, line: DebitLine) -> bool {
        if self.lines.contains_key(payment_id) {
            return false;
        }
        self.total += line.amount;
        self.lines.insert(payment_id.to_string(), line);
        true
    }

    /// The lines' sum: what the one debit takes.
    pub fn lines_total(&self) -> Decimal {
        self.lines.values().map(|l| l.amount).sum()
    }

    /// The idempotency key of the month's one debit: a job delivered twice, or a schedule
    /// fired twice, asks the PSP for the same debit.
    pub fn debit_key(&self) -> String {
        format!("dd-{}-{}", self.customer_id, self.month)
    }

    /// The orders the month's lines belong to, each once.
    pub fn orders(&self) -> Vec<Reference> {
        let mut orders: Vec<Reference> = self
            .lines
            .values()
            .map(|l| l.order_reference.clone())
            .collect();
        orders.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        orders.dedup();
        orders
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    #[test]
    fn months_parse_order_and_step() {
        let nov = MonthId::parse("2026-11").unwrap();
        assert_eq!(nov.to_string(), "2026-11");
        assert_eq!(MonthId::of(date!(2026 - 12 - 01)).previous(), nov);
        assert_eq!(
            MonthId::parse("2026-01").unwrap().previous().to_string(),
            "2025-12"
        );
        assert_eq!(
            MonthId::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        assert_eq!(nov.first_day(), date!(2026 - 11 - 01));
        assert!(nov < nov.next());
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-00"] {
            assert!(MonthId::parse(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        /// Whatever purchases a month gets (some repeated), its total is exactly the sum of
        /// its lines, and each payment is counted once.
        #[test]
        fn the_total_is_the_sum_of_the_lines(
            cents in proptest::collection::vec((0usize..30, 1i64..10_000_000), 0..60)
        ) {
            let now = datetime!(2026-11-15 10:00 UTC);
            let mut month = DebitMonth::new("cus_1", MonthId::of(now.date()), now);
            let mut expected = std::collections::BTreeMap::new();
            for (payment, amount) in cents {
                let amount = Decimal::new(amount, 2);
                let line = DebitLine {
                    order_reference: Reference::parse("ORD-10042").unwrap(),
                    amount,
                    at: now,
                };
                let added = month.add_line(&format!("pay_{payment}"), line);
                prop_assert_eq!(added, !expected.contains_key(&payment));
                expected.entry(payment).or_insert(amount);
            }
            let sum: Decimal = expected.values().copied().sum();
            prop_assert_eq!(month.total, sum);
            prop_assert_eq!(month.lines_total(), sum);
        }
    }
}
