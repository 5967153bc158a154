//! Our ids on MangoPay's objects: `Tag` (at most 255 characters) holds
//! `encaisse;order=ORD-10042;payment=pay_…` and, once a final capture released the rest, its
//! reason (`;release=last_parcel`), so whoever records the capture first records the same one.
//! A SEPA month's debit holds `encaisse;direct_debit=cus_…#2026-11` instead.

use crate::domain::ReleaseReason;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OurTag {
    pub order_reference: Option<String>,
    pub payment_id: Option<String>,
    pub release_reason: Option<ReleaseReason>,
    /// The SEPA month a direct-debit pay-in collects (`<customer>#<yyyy-mm>`).
    pub direct_debit: Option<String>,
}

const PREFIX: &str = "encaisse";

impl OurTag {
    pub fn new(order_reference: &str, payment_id: &str) -> Self {
        Self {
            order_reference: Some(order_reference.to_owned()),
            payment_id: Some(payment_id.to_owned()),
            release_reason: None,
            direct_debit: None,
        }
    }

    pub fn direct_debit(month: &str) -> Self {
        Self {
            direct_debit: Some(month.to_owned()),
            ..Self::default()
        }
    }

    /// Reads a tag we wrote; anything else reads as empty (a tag someone else wrote is not ours).
    pub fn parse(tag: Option<&str>) -> Self {
        let mut parts = tag.unwrap_or_default().split(';');
        if parts.next() != Some(PREFIX) {
            return Self::default();
        }
        let mut ours = Self::default();
        for part in parts {
            match part.split_once('=') {
                Some(("order", v)) => ours.order_reference = Some(v.to_owned()),
                Some(("payment", v)) => ours.payment_id = Some(v.to_owned()),
                Some(("release", v)) => ours.release_reason = ReleaseReason::parse(v),
                Some(("direct_debit", v)) => ours.direct_debit = Some(v.to_owned()),
                _ => {}
            }
        }
        ours
    }

    pub fn render(&self) -> String {
        let mut text = PREFIX.to_owned();
        let clean = |v: &str| v.replace([';', '='], "");
        if let Some(order) = &self.order_reference {
            text.push_str(&format!(";order={}", clean(order)));
        }
        if let Some(payment) = &self.payment_id {
            text.push_str(&format!(";payment={}", clean(payment)));
        }
        if let Some(reason) = self.release_reason {
            text.push_str(&format!(";release={}", reason.as_str()));
        }
        if let Some(month) = &self.direct_debit {
            text.push_str(&format!(";direct_debit={}", clean(month)));
        }
        text.chars().take(255).collect()
    }
}
