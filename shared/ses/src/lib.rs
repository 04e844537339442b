//! Sends email with SESv2 `SendEmail`, simple content: the subject and both parts rendered by
//! the email function (SES templates are not used, so rendering is checked at compile time).

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use bookworm_domain::Error;
use bookworm_domain::mail::{Email, Mailer};

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// `from` must be a verified SES identity; `configuration_set` routes bounce and delivery events.
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self { client, from: from.into(), configuration_set: configuration_set.filter(|set| !set.is_empty()) }
    }
}

/// Where a function's mail comes from, from its environment (email, email-retry, support).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `MAIL_FROM`: the verified sender.
    pub from: String,
    /// `SES_CONFIGURATION_SET`: where SES reports deliveries, bounces and complaints, if set.
    pub configuration_set: Option<String>,
}

impl MailSettings {
    pub fn from_env() -> Result<Self, Error> {
        let from = std::env::var("MAIL_FROM")
            .map_err(|_| Error::unavailable("configuration", "MAIL_FROM is not set"))?;
        Ok(Self { from, configuration_set: std::env::var("SES_CONFIGURATION_SET").ok() })
    }
}

impl SesMailer {
    /// The mailer `settings` describe, on `config`'s credentials and region.
    pub fn from_settings(config: &bookworm_aws::SdkConfig, settings: MailSettings) -> Self {
        Self::new(Client::new(config), settings.from, settings.configuration_set)
    }
}

fn content(text: &str) -> Result<Content, Error> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| Error::unavailable("build an email", e))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<(), Error> {
        let body = Body::builder().html(content(&email.html)?).text(content(&email.text)?).build();
        let message = Message::builder().subject(content(&email.subject)?).body(body).build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| Error::unavailable("send an email", DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
