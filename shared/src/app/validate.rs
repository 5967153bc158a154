//! Field checks shared by the use cases: trimmed text without control characters, emails,
//! countries. Each error names the field.

use crate::domain::FieldError;

pub fn text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

pub fn email(field: &str, value: &str) -> Result<String, FieldError> {
    let value = text(field, value, 254)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    };
    if !valid {
        return Err(FieldError::new(field, "must be an email address"));
    }
    Ok(value)
}

/// ISO 3166-1 alpha-2, upper case.
pub fn country(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(FieldError::new(
            field,
            "must be an ISO 3166-1 alpha-2 code such as FR",
        ));
    }
    Ok(value.to_string())
}

/// Integer fields of request bodies, read as openapi.yaml's `type: integer` promises: JSON Schema
/// counts `2.0` as the integer 2, so a whole number written with a fraction (or an exponent) is
/// that integer; `2.5`, a number out of the field's range and any other JSON type stay refused
/// (422 naming the field). `#[serde(deserialize_with = "whole_number::exact")]`, or
/// `whole_number::optional` on an `Option` field (with `#[serde(default)]`).
pub mod whole_number {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    struct Whole<T>(PhantomData<T>);

    impl<T: TryFrom<u64>> Whole<T> {
        fn fit<E: de::Error>(value: u64) -> Result<T, E> {
            T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
        }
    }

    impl<T: TryFrom<u64>> Visitor<'_> for Whole<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            Self::fit(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            u64::try_from(v)
                .map_err(|_| E::custom(format!("{v} is out of range")))
                .and_then(Self::fit)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            // Whole and exactly representable: below 2^53 every whole f64 is one integer.
            if v.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&v) {
                Self::fit(v as u64)
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
        }
    }

    pub fn exact<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
        d.deserialize_any(Whole(PhantomData))
    }

    pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<u64>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        struct Maybe<T>(PhantomData<T>);
        impl<'de, T: TryFrom<u64>> Visitor<'de> for Maybe<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
                exact(d).map(Some)
            }
        }
        d.deserialize_option(Maybe(PhantomData))
    }

    #[cfg(test)]
    mod tests {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[serde(deserialize_with = "super::exact")]
            n: u8,
            #[serde(default, deserialize_with = "super::optional")]
            m: Option<u32>,
        }

        fn read(json: &str) -> Result<Body, serde_json::Error> {
            serde_json::from_str(json)
        }

        #[test]
        fn whole_numbers_with_a_fraction_are_integers() {
            let body = read(r#"{"n": 12.0, "m": 3e2}"#).unwrap();
            assert_eq!((body.n, body.m), (12, Some(300)));
            assert_eq!(read(r#"{"n": 7, "m": null}"#).unwrap().m, None);
            assert_eq!(read(r#"{"n": 7}"#).unwrap().m, None);
        }

        #[test]
        fn fractions_negatives_out_of_range_and_other_types_are_refused() {
            for json in [
                r#"{"n": 1.5}"#,
                r#"{"n": -1}"#,
                r#"{"n": -1.0}"#,
                r#"{"n": 256}"#,
                r#"{"n": 256.0}"#,
                r#"{"n": "1"}"#,
                r#"{"n": null}"#,
                r#"{"n": 1, "m": 0.5}"#,
                r#"{"n": 1, "m": 4294967296}"#,
            ] {
                assert!(read(json).is_err(), "{json} was read");
            }
        }
    }
}
