//! The local stack's mailer and text-message sender: each email lands in `<data>/outbox/` as a
//! `.eml` file a person can open in any mail client, with a `.json` twin, and each text message
//! as a `.sms.json` file; `GET /_local/outbox` lists them.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::mail::{Email, Mailer, Sms, SmsSender};
use serde::{Deserialize, Serialize};

pub struct LocalOutbox {
    dir: PathBuf,
    from: String,
}

/// One sent email, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub id: String,
    pub sent_at: String,
    pub from: String,
    #[serde(flatten)]
    pub email: Email,
}

impl LocalOutbox {
    pub fn new(dir: &Path, from: &str) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::unavailable("create the outbox folder", e))?;
        Ok(Self { dir: dir.to_owned(), from: from.to_owned() })
    }

    /// Every email sent so far, oldest first.
    pub fn list(&self) -> Result<Vec<Sent>, Error> {
        let mut sent: Vec<Sent> = self.read_all(".json")?;
        sent.sort_by(|a, b| (&a.sent_at, &a.id).cmp(&(&b.sent_at, &b.id)));
        Ok(sent)
    }
}

/// The message as a MIME multipart/alternative file (RFC 5322), text first, then HTML.
fn eml(sent: &Sent) -> String {
    let boundary = format!("bookworm-{}", sent.id);
    let encoded = |text: &str| STANDARD.encode(text.as_bytes());
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: =?UTF-8?B?{subject}?=\r\nDate: {date}\r\nMessage-ID: <{id}@bookworm.local>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{text}\r\n\
         --{boundary}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n\
         --{boundary}--\r\n",
        from = sent.from,
        to = sent.email.to,
        subject = encoded(&sent.email.subject),
        date = sent.sent_at,
        id = sent.id,
        text = encoded(&sent.email.text),
        html = encoded(&sent.email.html),
    )
}

/// One sent text message, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentSms {
    pub id: String,
    pub sent_at: String,
    #[serde(flatten)]
    pub sms: Sms,
}

impl LocalOutbox {
    /// Every text message sent so far, oldest first.
    pub fn list_sms(&self) -> Result<Vec<SentSms>, Error> {
        let mut sent: Vec<SentSms> = self.read_all(".sms.json")?;
        sent.sort_by(|a, b| (&a.sent_at, &a.id).cmp(&(&b.sent_at, &b.id)));
        Ok(sent)
    }

    fn read_all<T: serde::de::DeserializeOwned>(&self, suffix: &str) -> Result<Vec<T>, Error> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| Error::unavailable("read the outbox", e))?;
        let mut items = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // `.sms.json` files are not emails' `.json` twins.
            let wanted = name.ends_with(suffix) && (suffix != ".json" || !name.ends_with(".sms.json"));
            if wanted {
                let text =
                    std::fs::read(entry.path()).map_err(|e| Error::unavailable("read the outbox", e))?;
                items.push(
                    serde_json::from_slice(&text).map_err(|e| Error::unavailable("read the outbox", e))?,
                );
            }
        }
        Ok(items)
    }
}

#[async_trait]
impl SmsSender for LocalOutbox {
    async fn send_sms(&self, sms: &Sms) -> Result<(), Error> {
        let sent = SentSms { id: uuid::Uuid::new_v4().to_string(), sent_at: now_rfc3339(), sms: sms.clone() };
        let json =
            serde_json::to_vec_pretty(&sent).map_err(|e| Error::unavailable("write to the outbox", e))?;
        std::fs::write(self.dir.join(format!("{}.sms.json", sent.id)), json)
            .map_err(|e| Error::unavailable("write to the outbox", e))
    }
}

#[async_trait]
impl Mailer for LocalOutbox {
    async fn send(&self, email: &Email) -> Result<(), Error> {
        let sent = Sent {
            id: uuid::Uuid::new_v4().to_string(),
            sent_at: now_rfc3339(),
            from: self.from.clone(),
            email: email.clone(),
        };
        let fail = |e: std::io::Error| Error::unavailable("write to the outbox", e);
        std::fs::write(self.dir.join(format!("{}.eml", sent.id)), eml(&sent)).map_err(fail)?;
        let json =
            serde_json::to_vec_pretty(&sent).map_err(|e| Error::unavailable("write to the outbox", e))?;
        std::fs::write(self.dir.join(format!("{}.json", sent.id)), json).map_err(fail)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sent_mail_is_a_readable_eml_and_listed() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = LocalOutbox::new(dir.path(), "orders@bookworm.local").unwrap();
        let email = Email {
            to: "ann@example.com".into(),
            subject: "Ümlaut".into(),
            html: "<p>Hi</p>".into(),
            text: "Hi".into(),
        };
        outbox.send(&email).await.unwrap();
        let sent = outbox.list().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].email, email);
        let eml = std::fs::read_to_string(dir.path().join(format!("{}.eml", sent[0].id))).unwrap();
        assert!(eml.starts_with("From: orders@bookworm.local\r\nTo: ann@example.com\r\n"), "{eml}");
        assert!(eml.contains("multipart/alternative"));
        assert!(eml.contains(&STANDARD.encode("<p>Hi</p>")));
    }
}
