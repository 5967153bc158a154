//! Parameter checks shared by the endpoints: `expand[]`, URLs, amounts, currencies.

use crate::stripe::errors::ApiError;
use crate::stripe::forms::Form;

/// Checks `expand[]` against what an endpoint can expand.
pub fn expansions(form: &Form, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let list = form.list("expand");
    match list.iter().find(|e| !allowed.contains(&e.as_str())) {
        Some(bad) => Err(ApiError::invalid(
            Some("expand"),
            &format!("This property cannot be expanded ({bad})."),
        )),
        None => Ok(list),
    }
}

pub fn url_param(form: &Form, key: &str) -> Result<Option<String>, ApiError> {
    match form.get(key) {
        None => Ok(None),
        // Absolute http(s) only: the hosted page links to it, so no `javascript:` URLs.
        Some(u)
            if (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(char::is_whitespace) =>
        {
            Ok(Some(u.to_owned()))
        }
        Some(_) => Err(ApiError::invalid_code(
            key,
            "url_invalid",
            "Not a valid URL",
        )),
    }
}

pub fn positive(form: &Form, key: &str, min: i64) -> Result<i64, ApiError> {
    let v = form.int(key)?.ok_or_else(|| ApiError::missing(key))?;
    if v < min {
        return Err(ApiError::invalid(
            Some(key),
            &format!("Invalid {key}: must be at least {min}"),
        ));
    }
    Ok(v)
}

pub fn currency(form: &Form, key: &str) -> Result<String, ApiError> {
    let c = form.required(key)?;
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(c.to_owned())
    } else {
        Err(ApiError::invalid(
            Some(key),
            &format!("Invalid currency: {c}. Stripe currencies are lower-case ISO codes (eur)."),
        ))
    }
}
