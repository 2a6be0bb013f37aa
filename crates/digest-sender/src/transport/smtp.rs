//! Direct email through an SMTP server (lettre): HTML with a plain-text alternative.
//!
//! Every message carries `Message-ID` (on the domain of `DIGEST_EMAIL_FROM`; Gmail refuses mail without one with
//! `550 5.7.1`), `Date`, and `Auto-Submitted: auto-generated` (RFC 3834, so vacation responders stay quiet).
//!
//! `SMTP_URL`: `smtp://host:25` (no TLS, a local relay), `smtp://user:pass@host:587?tls=required` (STARTTLS),
//! `smtps://user:pass@host:465` (TLS). SMTP 4xx answers and connection failures are transient; 5xx are permanent.

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Delivered, DeliveryError};
use crate::render::Rendered;

pub struct Smtp {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl Smtp {
    /// Fails with a message naming the setting that is wrong.
    pub fn new(url: &str, from: &str, to: &str, timeout: Duration) -> anyhow::Result<Self> {
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not usable: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox =
            from.parse().map_err(|e| anyhow::anyhow!("DIGEST_EMAIL_FROM {from:?} is not an address: {e}"))?;
        let to: Vec<Mailbox> = to
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| a.parse().map_err(|e| anyhow::anyhow!("DIGEST_EMAIL_TO entry {a:?} is not an address: {e}")))
            .collect::<anyhow::Result<_>>()?;
        anyhow::ensure!(!to.is_empty(), "DIGEST_EMAIL_TO needs at least one address for the smtp transport");
        Ok(Self { mailer, from, to })
    }

    pub async fn deliver(&self, digest: &Rendered) -> Result<Delivered, DeliveryError> {
        let message_id =
            format!("<digest-{}.{}@{}>", digest.digest_id, uuid::Uuid::new_v4().simple(), self.from.email.domain());
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(digest.subject.clone())
            .message_id(Some(message_id))
            .date_now()
            .header(AutoSubmitted);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(digest.text.clone(), digest.html.clone()))
            .map_err(|e| DeliveryError::Permanent(format!("cannot build the email: {e}")))?;
        match self.mailer.send(message).await {
            Ok(response) => Ok(Delivered { remote_id: Some(response.message().collect::<Vec<_>>().join(" ")) }),
            Err(error) if error.is_permanent() => Err(DeliveryError::Permanent(format!("SMTP: {error}"))),
            Err(error) => Err(DeliveryError::transient(format!("SMTP: {error}"))),
        }
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): a message sent by a program, not in reply to anyone.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}
