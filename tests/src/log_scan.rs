//! Finds personal and card data in captured log text: card numbers (13–19 digits from a card
//! network's range, spaces or dashes allowed between them, Luhn-valid), CVC values, IBANs (mod-97 valid), full email
//! addresses (a masked `j***@example.fr` is fine), phone numbers (French or international
//! form), and the personal values and free text a test put in (names, address lines, a
//! refund reason): `scan_for`. Plus a capturing tracing writer.

use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub kind: &'static str,
    pub found: String,
    pub context: String,
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d - b'0');
            match i % 2 {
                1 if d * 2 > 9 => d * 2 - 9,
                1 => d * 2,
                _ => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn context(text: &str, start: usize, end: usize) -> String {
    let from = text.floor_char_boundary(start.saturating_sub(60));
    let to = text.ceil_char_boundary((end + 60).min(text.len()));
    text[from..to].replace('\n', " ⏎ ")
}

fn card_numbers(text: &str, leaks: &mut Vec<Leak>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::new();
        let mut end = i;
        while end < bytes.len() {
            let b = bytes[end];
            if b.is_ascii_digit() {
                digits.push(b);
                end += 1;
            } else if (b == b' ' || b == b'-')
                && end + 1 < bytes.len()
                && bytes[end + 1].is_ascii_digit()
                && end > start
                && bytes[end - 1].is_ascii_digit()
            {
                end += 1;
            } else {
                break;
            }
        }
        let bounded = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        // Card networks issue from 2 to 6 (Mastercard 2-series … Discover 6); leading 1s are
        // timestamps (unix milliseconds are often Luhn-valid by chance).
        let network = digits.first().is_some_and(|d| (b'2'..=b'6').contains(d));
        if bounded && network && (13..=19).contains(&digits.len()) && luhn(&digits) {
            leaks.push(Leak {
                kind: "card number",
                found: text[start..end].to_string(),
                context: context(text, start, end),
            });
        }
        i = end.max(i + 1);
    }
}

fn cvcs(text: &str, leaks: &mut Vec<Leak>) {
    let lower = text.to_ascii_lowercase();
    for key in ["cvc", "cvv", "csc"] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(key) {
            let start = from + at;
            let rest = &lower.as_bytes()[start + key.len()..];
            // `cvc=123`, `"cvc":"123"`, `cvc: 123`: separators, then 3 or 4 digits.
            let skipped = rest
                .iter()
                .take_while(|b| matches!(b, b'=' | b':' | b'"' | b'\'' | b' ' | b'\\'))
                .count();
            let digits = rest[skipped..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if skipped > 0 && (3..=4).contains(&digits) {
                let end = start + key.len() + skipped + digits;
                leaks.push(Leak {
                    kind: "CVC",
                    found: text[start..end].to_string(),
                    context: context(text, start, end),
                });
            }
            from = start + key.len();
        }
    }
}

fn iban_valid(compact: &str) -> bool {
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

fn ibans(text: &str, leaks: &mut Vec<Leak>) {
    let bytes = text.as_bytes();
    for start in 0..bytes.len().saturating_sub(4) {
        let head = &bytes[start..start + 4];
        if !(head[0].is_ascii_uppercase()
            && head[1].is_ascii_uppercase()
            && head[2].is_ascii_digit()
            && head[3].is_ascii_digit())
            || (start > 0 && bytes[start - 1].is_ascii_alphanumeric())
        {
            continue;
        }
        // Compact, or printed in groups of four separated by single spaces.
        let mut compact = String::new();
        let mut end = start;
        while end < bytes.len() && compact.len() < 34 {
            let b = bytes[end];
            if b.is_ascii_uppercase() || b.is_ascii_digit() {
                compact.push(b as char);
                end += 1;
            } else if b == b' '
                && compact.len().is_multiple_of(4)
                && end + 1 < bytes.len()
                && (bytes[end + 1].is_ascii_uppercase() || bytes[end + 1].is_ascii_digit())
            {
                end += 1;
            } else {
                break;
            }
        }
        let bounded = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if bounded && compact.len() >= 15 && iban_valid(&compact) {
            leaks.push(Leak {
                kind: "IBAN",
                found: compact,
                context: context(text, start, end),
            });
        }
    }
}

fn emails(text: &str, leaks: &mut Vec<Leak>) {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b".-".contains(&b);
    for (at, _) in text.match_indices('@') {
        let mut start = at;
        while start > 0 && local(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && domain(bytes[end]) {
            end += 1;
        }
        let host = text[at + 1..end].trim_end_matches('.');
        let tld_ok = host
            .rsplit_once('.')
            .is_some_and(|(name, tld)| !name.is_empty() && tld.len() >= 2);
        if start < at && tld_ok {
            leaks.push(Leak {
                kind: "email address",
                found: text[start..at + 1 + host.len()].to_string(),
                context: context(text, start, end),
            });
        }
    }
}

/// `+33 6 12 34 56 78`, `+33612345678`, `06 12 34 56 78`, `06.12.34.56.78`: a `+` and 10 to
/// 15 digits, or a `0` and 9 more digits, with spaces, dots or dashes between groups.
fn phone_numbers(text: &str, leaks: &mut Vec<Leak>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let international = bytes[i] == b'+';
        let starts = (international && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
            || (bytes[i] == b'0' && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()));
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + usize::from(international);
        let mut digits = 0;
        while end < bytes.len() {
            let b = bytes[end];
            if b.is_ascii_digit() {
                digits += 1;
                end += 1;
            } else if matches!(b, b' ' | b'.' | b'-')
                && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
                && bytes[end - 1].is_ascii_digit()
            {
                end += 1;
            } else {
                break;
            }
        }
        let bounded = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        let grouped = text[start..end].contains([' ', '.', '-']);
        // A bare run of 10 digits starting with 0 is a phone number too; timestamps and ids
        // do not start with 0.
        let phone = if international {
            (10..=15).contains(&digits)
        } else {
            digits == 10 && (grouped || bounded)
        };
        if bounded && phone {
            leaks.push(Leak {
                kind: "phone number",
                found: text[start..end].to_string(),
                context: context(text, start, end),
            });
        }
        i = end.max(i + 1);
    }
}

/// Each of `values` (names, address lines, free text a test typed in), case-insensitive.
fn personal_values(text: &str, values: &[&str], leaks: &mut Vec<Leak>) {
    let lower = text.to_lowercase();
    for value in values.iter().filter(|v| !v.trim().is_empty()) {
        let needle = value.to_lowercase();
        if let Some(at) = lower.find(&needle) {
            leaks.push(Leak {
                kind: "personal value",
                found: (*value).to_string(),
                context: context(&lower, at, at + needle.len()),
            });
        }
    }
}

/// Every leak in `text`.
pub fn scan(text: &str) -> Vec<Leak> {
    scan_for(text, &[])
}

/// Every leak in `text`, the given personal values included.
pub fn scan_for(text: &str, personal: &[&str]) -> Vec<Leak> {
    let mut leaks = Vec::new();
    card_numbers(text, &mut leaks);
    cvcs(text, &mut leaks);
    ibans(text, &mut leaks);
    emails(text, &mut leaks);
    phone_numbers(text, &mut leaks);
    personal_values(text, personal, &mut leaks);
    leaks
}

/// A tracing writer keeping everything in memory.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        scan(text).into_iter().map(|l| l.kind).collect()
    }

    #[test]
    fn finds_what_must_not_be_logged() {
        assert_eq!(kinds("number=4242 4242 4242 4242 exp"), ["card number"]);
        assert_eq!(kinds("pan 4000002760003184,"), ["card number"]);
        assert_eq!(kinds("n=4000-0000-0000-0002"), ["card number"]);
        assert_eq!(kinds(r#"{"cvc":"123"}"#), ["CVC"]);
        assert_eq!(kinds("form cvc=4321&exp"), ["CVC"]);
        assert_eq!(kinds("iban FR76 3000 6000 0112 3456 7890 189 ok"), ["IBAN"]);
        assert_eq!(kinds("iban=DE89370400440532013000"), ["IBAN"]);
        assert_eq!(kinds("to=jeanne.martin@example.fr sent"), ["email address"]);
        assert_eq!(kinds("phone=\"+33 6 12 34 56 78\""), ["phone number"]);
        assert_eq!(kinds("tel +33612345678 "), ["phone number"]);
        assert_eq!(kinds("tel: 06 12 34 56 78."), ["phone number"]);
        assert_eq!(kinds("tel=06.12.34.56.78"), ["phone number"]);
        assert_eq!(kinds("tel=0612345678"), ["phone number"]);
        let found: Vec<_> = scan_for(
            "billing name=\"Camille LEROY\" line1=4 rue Paradis",
            &["Camille Leroy", "4 rue Paradis", "Late delivery"],
        )
        .into_iter()
        .map(|l| l.found)
        .collect();
        assert_eq!(found, ["Camille Leroy", "4 rue Paradis"]);
    }

    #[test]
    fn leaves_what_may_be_logged() {
        // Masked address, Luhn-invalid digits, a timestamp, ids, amounts, a VAT number.
        assert!(scan("to=j***@example.fr").is_empty());
        assert!(scan("4242 4242 4242 4241").is_empty());
        assert!(scan("2026-11-22T17:42:37.416947Z 1773310533170 ").is_empty());
        assert!(
            scan("pay_9a16f8dfd66286a136277d8ff64b273c pi_3QxA1b2C3d4E5f6G 2922.00").is_empty()
        );
        assert!(scan("VAT FR32123456789 SIRET 12345678900011").is_empty());
        assert!(scan("last4 4242 cvc_check pass").is_empty());
        assert!(
            scan("took 0.004213s at 2026-12-01T10:00:00+00:00 attempts=0 ORD-10042").is_empty()
        );
    }
}
