//! The mailer on Amazon SES: one message with text and HTML bodies, from the configured
//! `SES_SENDER` (v1 SendEmail); with attachments (the invoice PDF), the MIME message is built by
//! mail-builder and sent with SendRawEmail. Logs carry the masked recipient only.

use async_trait::async_trait;
use aws_sdk_ses::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ses::operation::send_email::SendEmailError;
use aws_sdk_ses::operation::send_raw_email::SendRawEmailError;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::{Body, Content, Destination, Message, RawMessage};
use aws_sdk_ses::Client;

use crate::config::{require, ConfigError};
use crate::ports::{MailError, Mailer, MessageId, OutgoingEmail};

const THROTTLING_CODES: &[&str] = &["Throttling", "ThrottlingException", "TooManyRequests"];

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    sender: String,
}

/// An SES client from the environment (`AWS_ENDPOINT_URL` reaches an emulator). Call at init.
pub async fn client_from_env() -> Client {
    let sdk_config = aws_config::load_from_env().await;
    Client::new(&sdk_config)
}

/// An SES client from a configuration already loaded at init.
pub fn client_from_config(config: &aws_config::SdkConfig) -> Client {
    Client::new(config)
}

/// `SES_SENDER`: the verified address emails come from.
pub fn sender_from_env() -> Result<String, ConfigError> {
    require("SES_SENDER")
}

fn content(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Rejected(format!("building message: {e}")))
}

/// Throttled, refused for good (`rejected`: the account or sender may not send, or the message
/// is refused: retrying the same message will not change that), or unavailable.
fn classify<E>(
    err: SdkError<E, aws_sdk_ses::config::http::HttpResponse>,
    rejected: impl Fn(&E) -> bool,
) -> MailError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if err.code().is_some_and(|c| THROTTLING_CODES.contains(&c)) {
        return MailError::Throttled;
    }
    let text = DisplayErrorContext(&err).to_string();
    match err.as_service_error() {
        Some(e) if rejected(e) => MailError::Rejected(text),
        _ => MailError::Unavailable(text),
    }
}

fn mail_error(err: SdkError<SendEmailError, aws_sdk_ses::config::http::HttpResponse>) -> MailError {
    classify(err, |e| {
        matches!(
            e,
            SendEmailError::MessageRejected(_)
                | SendEmailError::MailFromDomainNotVerifiedException(_)
                | SendEmailError::ConfigurationSetDoesNotExistException(_)
        )
    })
}

fn raw_mail_error(
    err: SdkError<SendRawEmailError, aws_sdk_ses::config::http::HttpResponse>,
) -> MailError {
    classify(err, |e| {
        matches!(
            e,
            SendRawEmailError::MessageRejected(_)
                | SendRawEmailError::MailFromDomainNotVerifiedException(_)
                | SendRawEmailError::ConfigurationSetDoesNotExistException(_)
        )
    })
}

/// The MIME message (RFC 5322) of an email with attachments: text and HTML alternatives, then
/// each file.
pub fn mime_message(sender: &str, email: &OutgoingEmail) -> Result<Vec<u8>, MailError> {
    let mut message = mail_builder::MessageBuilder::new()
        .from(sender)
        .to(email.to.as_str())
        .subject(email.subject.as_str())
        .text_body(email.text.as_str())
        .html_body(email.html.as_str());
    for file in &email.attachments {
        message = message.attachment(
            file.content_type,
            file.file_name.as_str(),
            file.bytes.as_slice(),
        );
    }
    message
        .write_to_vec()
        .map_err(|e| MailError::Rejected(format!("building message: {e}")))
}

impl SesMailer {
    pub fn new(client: Client, sender: impl Into<String>) -> Self {
        Self {
            client,
            sender: sender.into(),
        }
    }

    pub async fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(client_from_env().await, sender_from_env()?))
    }

    /// Asks SES to verify the sender (VerifyEmailIdentity): for the devserver and tests on
    /// moto, which refuses unverified senders; in AWS the identity is set up once, by hand.
    pub async fn verify_sender(&self) -> Result<(), MailError> {
        self.client
            .verify_email_identity()
            .email_address(&self.sender)
            .send()
            .await
            .map_err(|e| MailError::Unavailable(DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<MessageId, MailError> {
        if !email.attachments.is_empty() {
            let raw = RawMessage::builder()
                .data(Blob::new(mime_message(&self.sender, email)?))
                .build()
                .map_err(|e| MailError::Rejected(format!("building message: {e}")))?;
            let out = self
                .client
                .send_raw_email()
                .source(&self.sender)
                .destinations(&email.to)
                .raw_message(raw)
                .send()
                .await
                .map_err(raw_mail_error)?;
            return Ok(MessageId(out.message_id().to_string()));
        }
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        let out = self
            .client
            .send_email()
            .source(&self.sender)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .message(message)
            .send()
            .await
            .map_err(mail_error)?;
        Ok(MessageId(out.message_id().to_string()))
    }
}
