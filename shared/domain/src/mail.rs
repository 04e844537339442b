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

/// A text message to a phone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sms {
    /// E.164, e.g. `+79516519741`.
    pub to: String,
    pub text: String,
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send_sms(&self, sms: &Sms) -> Result<(), Error>;
}

/// Whether `text` is an E.164 phone number: `+`, then 8 to 15 digits, the first not 0.
pub fn is_e164(text: &str) -> bool {
    text.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// What a user chose to be told about, beyond email.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Preferences {
    /// Text messages about their orders, to the phone number they sign in with. Off unless asked for.
    #[serde(default)]
    pub sms_notifications: bool,
    /// Pushes about their orders to the devices they registered (`/me/devices`). Off unless asked for.
    #[serde(default)]
    pub push_notifications: bool,
}

#[async_trait]
pub trait PreferenceStore: Send + Sync {
    /// A user's preferences; the defaults when they never set any.
    async fn preferences(&self, user: &crate::ids::UserId) -> Result<Preferences, Error>;
    async fn set_preferences(
        &self,
        user: &crate::ids::UserId,
        preferences: &Preferences,
    ) -> Result<(), Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers_are_recognised() {
        assert!(is_e164("+79516519741"));
        assert!(is_e164("+14155552671"));
        for bad in ["79516519741", "+0123456789", "+1234567", "+1234567890123456", "+7951651974a", "ann", ""]
        {
            assert!(!is_e164(bad), "{bad}");
        }
    }
}
