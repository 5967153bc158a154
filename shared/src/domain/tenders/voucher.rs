//! A voucher or gift card: a bearer code with a balance in one currency, usable until its
//! expiry. The code is shown once, when issued; we keep only its digest (the voucher's id is
//! derived from it), so a leaked table does not hand out spendable codes.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::domain::{Currency, Reference};

/// The code's alphabet: upper-case letters and digits without I, O, 0 and 1 (read aloud or
/// copied from paper without mistakes); 5 bits a character.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Characters in a code we issue: 100 random bits.
pub const CODE_LENGTH: usize = 20;
/// The shortest code accepted (the floor), the longest.
const MIN_LENGTH: usize = 16;
const MAX_LENGTH: usize = 32;

/// A voucher code, normalised (upper case, no spaces or dashes).
#[derive(Clone, PartialEq, Eq)]
pub struct VoucherCode(String);

impl std::fmt::Debug for VoucherCode {
    // A bearer secret: never printed whole.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VoucherCode(…{})", self.hint())
    }
}

impl VoucherCode {
    /// A new code from 13 random bytes (the first 100 bits are used).
    pub fn from_random(random: [u8; 13]) -> Self {
        let mut bits: u128 = 0;
        for byte in random {
            bits = (bits << 8) | u128::from(byte);
        }
        // 104 bits read: keep the top 100.
        bits >>= 4;
        let mut code = String::with_capacity(CODE_LENGTH);
        for i in (0..CODE_LENGTH).rev() {
            let index = ((bits >> (5 * i)) & 0x1f) as usize;
            code.push(char::from(ALPHABET[index]));
        }
        VoucherCode(code)
    }

    /// The code of the `index`-th voucher an order sold, derived from the seller's key: the
    /// same every time (a redelivered event emails the same codes and creates nothing
    /// twice), and unknown without the key (we keep no code).
    pub fn derived(key: &[u8], reference: &Reference, index: u32) -> Self {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(format!("encaisse-sold-voucher\0{reference}\0{index}").as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut random = [0u8; 13];
        random.copy_from_slice(&digest[..13]);
        Self::from_random(random)
    }

    /// A new code from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut random = [0u8; 13];
        getrandom::fill(&mut random)?;
        Ok(Self::from_random(random))
    }

    /// What a shopper typed: spaces and dashes ignored, any case; `None` when it cannot be a
    /// code (wrong length or characters).
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() > 2 * MAX_LENGTH {
            return None;
        }
        let code: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let fits = (MIN_LENGTH..=MAX_LENGTH).contains(&code.len())
            && code.bytes().all(|b| ALPHABET.contains(&b));
        fits.then_some(VoucherCode(code))
    }

    /// Grouped by four for reading: `ABCD-EFGH-…`.
    pub fn display(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Its last four characters: enough to tell vouchers apart on a page, not to spend one.
    pub fn hint(&self) -> String {
        self.0[self.0.len().saturating_sub(4)..].to_string()
    }

    /// The voucher's id: a digest of the code, so the code finds its voucher (one GetItem)
    /// and the id does not give the code back.
    pub fn voucher_id(&self) -> String {
        let digest = Sha256::digest(format!("encaisse-voucher\0{}", self.0).as_bytes());
        format!("vch_{}", &hex::encode(digest)[..32])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherStatus {
    Active,
    /// Cancelled by the seller: its balance can no longer be spent.
    Void,
}

impl VoucherStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherStatus::Active => "active",
            VoucherStatus::Void => "void",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voucher {
    /// `vch_<32 hex>`, derived from the code.
    pub id: String,
    /// The code's last four characters.
    pub code_hint: String,
    pub currency: Currency,
    /// What it was issued for.
    pub initial_amount: Decimal,
    /// What is left to spend.
    pub balance: Decimal,
    /// The last day it can be used (the shop's calendar).
    pub expires_on: Date,
    pub status: VoucherStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Who issued it (the seller's principal).
    pub issued_by: String,
    /// The customer it was issued to, when there is one (any bearer may spend it).
    #[serde(default)]
    pub issued_to: Option<String>,
    /// The order that sold it, when sold as an order line.
    #[serde(default)]
    pub sold_with: Option<Reference>,
}

impl Voucher {
    /// What it can pay on `today` in `currency`: its balance while active and not expired,
    /// else nothing.
    pub fn usable(&self, currency: Currency, today: Date) -> Decimal {
        if self.status == VoucherStatus::Active
            && today <= self.expires_on
            && self.currency == currency
        {
            self.balance.max(Decimal::ZERO)
        } else {
            Decimal::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twenty_characters_of_the_alphabet_and_parse_back() {
        let code = VoucherCode::from_random([0xA5; 13]);
        assert_eq!(code.0.len(), CODE_LENGTH);
        let shown = code.display();
        assert_eq!(shown.len(), CODE_LENGTH + 4);
        assert_eq!(
            VoucherCode::parse(&shown.to_lowercase()),
            Some(code.clone())
        );
        assert_eq!(VoucherCode::parse(&format!(" {} ", code.0)), Some(code));
    }

    #[test]
    fn different_random_bytes_give_different_codes_and_ids() {
        let a = VoucherCode::from_random([0; 13]);
        let mut bytes = [0; 13];
        bytes[12] = 0x10; // a bit inside the 100 used
        let b = VoucherCode::from_random(bytes);
        assert_ne!(a, b);
        assert_ne!(a.voucher_id(), b.voucher_id());
        assert!(a.voucher_id().starts_with("vch_") && a.voucher_id().len() == 36);
    }

    #[test]
    fn generated_codes_are_random() {
        let a = VoucherCode::generate().unwrap();
        let b = VoucherCode::generate().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn short_long_or_foreign_codes_are_refused() {
        assert_eq!(VoucherCode::parse("ABCD-EFGH-JKLM"), None);
        assert_eq!(VoucherCode::parse(&"A".repeat(33)), None);
        assert_eq!(VoucherCode::parse("ABCD-EFGH-JKLM-NPQ0"), None); // 0 is not in the alphabet
        assert_eq!(VoucherCode::parse("ÀBCD-EFGH-JKLM-NPQR"), None);
    }

    #[test]
    fn debug_never_prints_the_code() {
        let code = VoucherCode::from_random([7; 13]);
        let printed = format!("{code:?}");
        assert!(!printed.contains(&code.0));
        assert!(printed.contains(&code.hint()));
    }
}
