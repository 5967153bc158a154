//! What a sandbox needs to know about where it runs.

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where browsers reach the server hosting the sandbox (`http://127.0.0.1:3000`): hosted
    /// page URLs use it, followed by [`crate::MOUNT`].
    pub public_base_url: String,
    /// Webhook endpoint; None keeps events in memory only (`GET /sandbox-psp/_events`).
    pub webhook_url: Option<String>,
    /// Endpoint signing secret (`whsec_…`), the HMAC key of `Stripe-Signature`.
    pub webhook_secret: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:3000".into(),
            webhook_url: None,
            webhook_secret: "whsec_sandbox".into(),
        }
    }
}
