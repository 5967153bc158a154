//! Sending email: SES in AWS, memory for the devserver and tests.

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The dedupe key this email was claimed under (outbox event + template + recipient).
    pub idempotency_key: String,
    /// Files sent with it (the invoice PDF); empty for most emails.
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageId(pub String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The provider refused this message (bad address, unverified sender): retrying won't help.
    #[error("email rejected: {0}")]
    Rejected(String),
    #[error("mail provider throttled the request")]
    Throttled,
    #[error("mail provider unavailable: {0}")]
    Unavailable(String),
}

impl MailError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, MailError::Rejected(_))
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &OutgoingEmail) -> Result<MessageId, MailError>;
}

/// An address safe for logs: `b***@example.fr`.
pub fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_the_first_letter_and_domain() {
        assert_eq!(mask_address("buyer@example.fr"), "b***@example.fr");
        assert_eq!(mask_address("nonsense"), "***");
    }
}
