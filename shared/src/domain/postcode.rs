use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::FieldError;

/// A shipping postcode in its comparison form: trimmed, inner spaces removed, upper-cased
/// ("sw1a 1aa" → "SW1A1AA", " 83 000" → "83000"). ASCII letters, digits and '-' only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Postcode(String);

impl Postcode {
    pub const MAX_LEN: usize = 12;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "postcode")
    }

    pub fn parse_field(raw: &str, field: &str) -> Result<Self, FieldError> {
        if raw.chars().count() > 32 {
            return Err(FieldError::new(field, "is too long"));
        }
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '\t')
            .collect::<String>()
            .to_ascii_uppercase();
        if compact.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if compact.len() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if !compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(FieldError::new(
                field,
                "must contain only ASCII letters, digits, spaces or '-'",
            ));
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Postcode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Postcode::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_in_normal_form() {
        assert_eq!(
            Postcode::parse(" 83 000 ").unwrap(),
            Postcode::parse("83000").unwrap()
        );
        assert_eq!(Postcode::parse("sw1a 1aa").unwrap().as_str(), "SW1A1AA");
        assert_eq!(Postcode::parse("\u{a0}83000\n").unwrap().as_str(), "83000");
        for bad in [
            "",
            "   ",
            "８３０００",
            "83\u{200B}000",
            "83000;",
            "1234567890123",
        ] {
            assert!(Postcode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
