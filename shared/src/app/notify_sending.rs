//! The notifier's sending machinery (a child of `notify`): each email claimed under its key,
//! sent, and marked sent, so a redelivered event sends nothing twice.

use super::{Handled, Notifier, NotifyError, EMAIL_LEASE, MARK_ATTEMPTS};
use crate::domain::log_safe::LogSafe;
use crate::domain::OutboxEvent;
use time::OffsetDateTime;

use crate::ports::{mask_address, Attachment, EmailClaim, EmailKey, OutgoingEmail};

impl Notifier {
    /// Sends `rendered` to `to` once for this event and template, and counts it in `handled`.
    pub(super) async fn deliver(
        &self,
        event: &OutboxEvent,
        template: &'static str,
        to: &str,
        rendered: crate::domain::emails::RenderedEmail,
        handled: &mut Handled,
    ) -> Result<(), NotifyError> {
        self.deliver_with(event, template, to, rendered, Vec::new(), handled)
            .await
    }

    /// `deliver` with files attached.
    pub(super) async fn deliver_with(
        &self,
        event: &OutboxEvent,
        template: &'static str,
        to: &str,
        rendered: crate::domain::emails::RenderedEmail,
        attachments: Vec<Attachment>,
        handled: &mut Handled,
    ) -> Result<(), NotifyError> {
        let key = EmailKey::new(&event.id, template, to);
        let email = OutgoingEmail {
            to: to.to_string(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            idempotency_key: key.as_str().to_string(),
            attachments,
        };
        if self.send_once(&key, &email).await? {
            handled.sent.push(template);
        } else {
            handled.already_sent.push(template);
        }
        Ok(())
    }

    /// Sends unless already sent; true when this call sent it.
    async fn send_once(&self, key: &EmailKey, email: &OutgoingEmail) -> Result<bool, NotifyError> {
        let now = self.clock.now();
        match self
            .notifications
            .claim_email(key, now, now + EMAIL_LEASE)
            .await?
        {
            EmailClaim::AlreadySent { .. } => return Ok(false),
            EmailClaim::InFlight => {
                return Err(NotifyError::Transient(
                    "email is being sent by another consumer".into(),
                ))
            }
            EmailClaim::Claimed => {}
        }
        let to = mask_address(&email.to);
        let message_id = match self.mailer.send(email).await {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!(to = %to, key = key.as_str(), error = %LogSafe(&e), "email not sent");
                // Best effort: if this fails too, the lease runs out and a retry claims it.
                let _ = self.notifications.release_email(key).await;
                return Err(match e.is_retryable() {
                    true => NotifyError::Transient(e.to_string()),
                    false => NotifyError::Permanent(e.to_string()),
                });
            }
        };
        self.mark_sent(key, &message_id.0, now).await?;
        tracing::info!(to = %to, key = key.as_str(), message_id = %message_id.0, "email sent");
        Ok(true)
    }

    /// The email is out: insist on recording it, since a lost mark risks a second send.
    async fn mark_sent(
        &self,
        key: &EmailKey,
        message_id: &str,
        sent_at: OffsetDateTime,
    ) -> Result<(), NotifyError> {
        let mut last = None;
        for attempt in 0..MARK_ATTEMPTS {
            match self
                .notifications
                .mark_email_sent(key, message_id, sent_at)
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
        }
        let e = last.map_or_else(|| "unknown".to_string(), |e| e.to_string());
        tracing::error!(key = key.as_str(), error = %LogSafe(&e), "email sent but not recorded");
        Err(NotifyError::Transient(e))
    }
}
