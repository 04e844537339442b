//! Outgoing mail. The email function renders it; a mailer delivers it (SES in AWS, a local
//! outbox folder in the local stack).

use async_trait::async_trait;

use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), Error>;
}
