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
