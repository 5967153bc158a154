//! A PSP notification as it reached us: the whole HTTP request, so a connector whose PSP signs
//! a POST body (Stripe) and one whose PSP calls a GET URL with query parameters and signs
//! nothing (MangoPay) read it the same way.

/// The request our webhook route received, untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRequest {
    /// `GET`, `POST`, …
    pub method: String,
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// Header names in lower case, values as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl NotificationRequest {
    /// A POST with a body and headers (names matched without regard to case).
    pub fn post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        Self {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
                .collect(),
            body: body.to_vec(),
        }
    }

    /// The first value of a header, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_whatever_their_case() {
        let request =
            NotificationRequest::post("/v1/webhooks/stripe", &[("Stripe-Signature", "t=1")], b"{}");
        assert_eq!(request.header("stripe-signature"), Some("t=1"));
        assert_eq!(request.header("STRIPE-SIGNATURE"), Some("t=1"));
        assert_eq!(request.header("other"), None);
    }
}
