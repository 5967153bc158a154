//! `return_url` must be on an allowed origin: we never redirect shoppers to arbitrary sites.

use crate::domain::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
struct OriginRule {
    scheme: String,
    host: String,
    /// None: any port (`http://localhost:*`).
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnOrigins(Vec<OriginRule>);

struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

/// Splits `scheme://host[:port]...` without accepting userinfo, odd schemes or odd hosts.
fn parse_origin(url: &str) -> Option<(Origin, bool)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') || authority.is_empty() {
        return None;
    }
    let (host, port, any_port) = match authority.rsplit_once(':') {
        Some((h, "*")) => (h, default_port, true),
        // Digits only (u16's parser would take "+80").
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h, p.parse().ok()?, false),
        Some(_) => return None,
        None => (authority, default_port, false),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    host_ok.then(|| {
        (
            Origin {
                scheme,
                host: host.to_ascii_lowercase(),
                port,
            },
            any_port,
        )
    })
}

impl ReturnOrigins {
    /// `ALLOWED_RETURN_ORIGINS`: comma-separated origins; `:*` allows any port.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (origin, any_port) =
                parse_origin(entry).ok_or_else(|| format!("not an origin: {entry:?}"))?;
            rules.push(OriginRule {
                scheme: origin.scheme,
                host: origin.host,
                port: (!any_port).then_some(origin.port),
            });
        }
        Ok(Self(rules))
    }

    /// No return origin allowed (for functions that never start a payment).
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// The devserver's default: http on 127.0.0.1 and localhost, any port.
    pub fn local_development() -> Self {
        Self::parse("http://127.0.0.1:*,http://localhost:*").unwrap_or(Self(Vec::new()))
    }

    pub fn check(&self, field: &str, url: &str) -> Result<(), FieldError> {
        // Characters, as openapi.yaml's maxLength counts them.
        if url.chars().count() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(field, "must be an absolute http(s) URL"));
        }
        let Some((origin, _)) = parse_origin(url).filter(|(_, any)| !any) else {
            return Err(FieldError::new(field, "must be an absolute http(s) URL"));
        };
        let allowed = self.0.iter().any(|rule| {
            rule.scheme == origin.scheme
                && rule.host == origin.host
                && rule.port.is_none_or(|p| p == origin.port)
        });
        if !allowed {
            return Err(FieldError::new(field, "is not on an allowed origin"));
        }
        Ok(())
    }
}

/// Adds `name=value` pairs to a URL's query (before any fragment).
pub fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut out = base.to_string();
    for (i, (name, value)) in pairs.iter().enumerate() {
        let separator = if i == 0 && !base.contains('?') {
            '?'
        } else {
            '&'
        };
        out.push(separator);
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_origins() {
        let origins = ReturnOrigins::parse("https://shop.example, http://localhost:*").unwrap();
        for ok in [
            "https://shop.example/return",
            "https://SHOP.example:443/r?x=1",
            "http://localhost:5173/pay",
            "http://localhost/",
        ] {
            assert!(origins.check("return_url", ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://shop.example.evil.com/",
            "https://evil.com/?https://shop.example",
            "http://shop.example/",
            "https://shop.example@evil.com/",
            "https://shop.example:8443/",
            "javascript:alert(1)",
            "//shop.example/",
            "https://shop.example/ x",
            "http://localhost:*/",
            "http://localhost:+5173/",
            "http://localhost:/",
            "http://localhost:65536/",
            "http://lócalhost/",
        ] {
            assert!(origins.check("return_url", bad).is_err(), "{bad}");
        }
        // At most 2048 characters, whatever their UTF-8 length.
        let long = format!("http://localhost/{}", "é".repeat(2048 - 17));
        assert!(origins.check("return_url", &long).is_ok());
        assert!(origins.check("return_url", &format!("{long}é")).is_err());
        assert!(origins
            .check("return_url", "http://localhost:0005173/")
            .is_ok());
        assert!(ReturnOrigins::local_development()
            .check("return_url", "http://127.0.0.1:3000/return")
            .is_ok());
    }

    #[test]
    fn query_is_appended() {
        assert_eq!(with_query("https://a/r", &[("p", "1")]), "https://a/r?p=1");
        assert_eq!(
            with_query("https://a/r?x=1#top", &[("p", "1"), ("q", "2")]),
            "https://a/r?x=1&p=1&q=2#top"
        );
    }
}
