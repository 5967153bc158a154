//! Stripe's form bodies: `application/x-www-form-urlencoded` with bracket notation
//! (`metadata[order_reference]=…`, `line_items[0][price_data][currency]=eur`, `expand[]=…`).
//! Kept as the flat list of pairs; helpers read the few shapes the subset uses and reject
//! parameters an endpoint does not know, as Stripe does (`parameter_unknown`).

use std::collections::BTreeMap;

use super::errors::ApiError;

pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
            ApiError::invalid(
                None,
                "Invalid request body: expected application/x-www-form-urlencoded.",
            )
        })?;
        Ok(Self { pairs })
    }

    pub fn from_query(query: Option<&str>) -> Result<Self, ApiError> {
        Self::parse(query.unwrap_or_default().as_bytes())
    }

    /// The last value given for `key` (Stripe keeps the last duplicate too); empty counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key).ok_or_else(|| ApiError::missing(key))
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                ApiError::invalid_code(
                    key,
                    "parameter_invalid_integer",
                    &format!("Invalid integer: {v}"),
                )
            }),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid_code(
                key,
                "parameter_invalid_boolean",
                &format!("Invalid boolean: {v}"),
            )),
        }
    }

    /// One of `allowed` values, or 400 naming the parameter.
    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
            Some(v) => Err(ApiError::invalid(
                Some(key),
                &format!(
                    "Invalid {key}: must be one of {}. Received: {v}",
                    allowed.join(", ")
                ),
            )),
        }
    }

    /// `prefix[k]=v` pairs as a map (`metadata[order_reference]` → `order_reference`).
    pub fn map(&self, prefix: &str) -> BTreeMap<String, String> {
        let open = format!("{prefix}[");
        self.pairs
            .iter()
            .filter_map(|(k, v)| {
                let inner = k.strip_prefix(&open)?.strip_suffix(']')?;
                (!inner.contains('[') && !inner.is_empty()).then(|| (inner.to_owned(), v.clone()))
            })
            .collect()
    }

    /// The keys given under `prefix[…]`, in the order sent (to refuse a whole group).
    pub fn keys_under(&self, prefix: &str) -> Vec<String> {
        let open = format!("{prefix}[");
        self.pairs
            .iter()
            .filter(|(k, _)| k.starts_with(&open))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Values of a list parameter, given as `key[]=…` or `key[0]=…`.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| {
                segments(k).is_some_and(|s| s.len() == 2 && s[0] == key && is_index(s[1]))
            })
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The indices present under `key[N]…`, sorted (for `line_items[0][…]`).
    pub fn indices(&self, key: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .pairs
            .iter()
            .filter_map(|(k, _)| {
                let s = segments(k)?;
                (s.len() > 1 && s[0] == key)
                    .then(|| s[1].parse().ok())
                    .flatten()
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// 400 `parameter_unknown` for the first key no pattern accepts. In patterns a `*` segment
    /// is any name (metadata keys) and `#` a list index (`0`, `1`, or empty for `[]`).
    pub fn allow_only(&self, patterns: &[&str]) -> Result<(), ApiError> {
        for (key, _) in &self.pairs {
            let ok = segments(key).is_some_and(|ks| {
                patterns.iter().any(|p| {
                    segments(p).is_some_and(|ps| {
                        ps.len() == ks.len()
                            && ps.iter().zip(&ks).all(|(p, k)| match *p {
                                "*" => !k.is_empty(),
                                "#" => is_index(k),
                                _ => p == k,
                            })
                    })
                })
            });
            if !ok {
                return Err(ApiError::invalid_code(
                    key,
                    "parameter_unknown",
                    &format!("Received unknown parameter: {key}"),
                ));
            }
        }
        Ok(())
    }
}

fn is_index(s: &str) -> bool {
    s.is_empty() || s.bytes().all(|b| b.is_ascii_digit())
}

/// `a[b][c]` → `["a", "b", "c"]`; None for malformed brackets.
fn segments(key: &str) -> Option<Vec<&str>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    let mut out = vec![head];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        out.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets() {
        let f = Form::parse(
            b"metadata[order_reference]=ORD-1&line_items[0][price_data][currency]=eur&expand[]=latest_charge&amount=12",
        )
        .unwrap();
        assert_eq!(f.map("metadata").get("order_reference").unwrap(), "ORD-1");
        assert_eq!(f.get("line_items[0][price_data][currency]"), Some("eur"));
        assert_eq!(f.list("expand"), vec!["latest_charge"]);
        assert_eq!(f.indices("line_items"), vec![0]);
        assert_eq!(f.int("amount").unwrap(), Some(12));
        f.allow_only(&[
            "metadata[*]",
            "line_items[#][price_data][currency]",
            "expand[#]",
            "amount",
        ])
        .unwrap();
        assert!(f.allow_only(&["metadata[*]"]).is_err());
    }
}
