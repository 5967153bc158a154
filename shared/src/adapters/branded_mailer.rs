//! A mailer that puts the seller's brand above every email it sends (`domain::branding`), in
//! front of SES or the memory mailer: every sender (notifier, sign-in codes) is branded
//! without knowing it.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::branding::Branding;
use crate::ports::mailer::{MailError, Mailer, MessageId, OutgoingEmail};

pub struct BrandedMailer {
    inner: Arc<dyn Mailer>,
    branding: Option<Branding>,
}

impl BrandedMailer {
    /// `branding` None sends as is (no brand configured).
    pub fn new(inner: Arc<dyn Mailer>, branding: Option<Branding>) -> Self {
        Self { inner, branding }
    }
}

#[async_trait]
impl Mailer for BrandedMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<MessageId, MailError> {
        match &self.branding {
            None => self.inner.send(email).await,
            Some(branding) => {
                let (text, html) = branding.decorate(&email.text, &email.html);
                let branded = OutgoingEmail {
                    text,
                    html,
                    ..email.clone()
                };
                self.inner.send(&branded).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::notifications::MemoryMailer;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            to: "buyer@example.fr".into(),
            subject: "Paiement reçu".into(),
            text: "Bonjour,".into(),
            html: "<html><body><p>Bonjour,</p></body></html>".into(),
            idempotency_key: "k".into(),
            attachments: Vec::new(),
        }
    }

    #[tokio::test]
    async fn what_reaches_the_provider_carries_the_brand_and_nothing_else_changes() {
        let sent = Arc::new(MemoryMailer::new());
        let brand = Branding::new("Atelier Demo", None, "#0a4a8f").unwrap();
        let mailer = BrandedMailer::new(sent.clone(), Some(brand));
        mailer.send(&email()).await.unwrap();
        let unbranded = BrandedMailer::new(sent.clone(), None);
        unbranded.send(&email()).await.unwrap();
        let delivered = sent.sent();
        assert_eq!(delivered.len(), 2);
        assert!(delivered[0].text.starts_with("Atelier Demo\n\nBonjour,"));
        assert!(delivered[0]
            .html
            .contains("<body><div style=\"border-bottom:4px solid #0a4a8f"));
        assert_eq!(delivered[0].subject, "Paiement reçu");
        assert_eq!(delivered[0].idempotency_key, "k");
        assert_eq!(delivered[1].text, "Bonjour,");
        assert_eq!(delivered[1].html, email().html);
    }
}
