//! Stripe's error body `{"error": {type, code, decline_code, message, …}}`.

use serde::Deserialize;

use crate::ports::PaymentFailure;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// `card_error`, `invalid_request_error`, `idempotency_error`, `api_error`, …
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
}

impl ErrorBody {
    pub fn is(&self, kind: &str) -> bool {
        self.kind.as_deref() == Some(kind)
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Stripe reports an off-session 3-D Secure demand either as the code or as the decline code
    /// (`card_declined` / `authentication_required`), depending on the issuer's answer.
    pub fn is_authentication_required(&self) -> bool {
        self.has_code("authentication_required")
            || self.decline_code.as_deref() == Some("authentication_required")
    }

    pub fn failure(&self) -> PaymentFailure {
        PaymentFailure {
            code: self
                .code
                .clone()
                .or_else(|| self.kind.clone())
                .unwrap_or_else(|| "unknown".into()),
            decline_code: self.decline_code.clone(),
            message: self.message.clone().unwrap_or_default(),
        }
    }

    /// For `InvalidRequest` / `NotFound`: Stripe's message names the parameter or the id,
    /// never card data or the api key.
    pub fn describe(&self, status: u16) -> String {
        let mut text = format!("stripe {status}");
        for part in [&self.kind, &self.code, &self.param, &self.message]
            .into_iter()
            .flatten()
        {
            text.push_str(": ");
            text.push_str(part);
        }
        text
    }
}
