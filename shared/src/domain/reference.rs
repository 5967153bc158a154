use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::FieldError;

/// An order reference such as `ORD-10042`: ASCII letters, digits and '-', 3 to 32 characters,
/// compared upper-cased so "ord-10042" finds the same order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("reference", "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                "reference",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let upper = trimmed.to_ascii_uppercase();
        let valid = upper.len() >= 3
            && upper
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && upper.as_bytes()[0].is_ascii_alphanumeric();
        if !valid {
            return Err(FieldError::new(
                "reference",
                "must be 3 to 32 ASCII letters, digits or '-', starting with a letter or digit",
            ));
        }
        Ok(Self(upper))
    }

    /// The generated form, `ORD-<digits>`, from a sequence number.
    pub fn generated(sequence: u64) -> Self {
        Self(format!("ORD-{}", 10_000 + sequence))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Reference::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_validates() {
        assert_eq!(
            Reference::parse(" ord-10042 ").unwrap().as_str(),
            "ORD-10042"
        );
        for bad in [
            "",
            "  ",
            "AB",
            "-ORD1",
            "ORD 1",
            "ORD\u{200B}1",
            "ÖRD-1",
            "ORD/1",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Reference::parse(&"A".repeat(33)).is_err());
        assert_eq!(Reference::generated(1).as_str(), "ORD-10001");
    }
}
