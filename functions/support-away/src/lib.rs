//! Support's away emails: an agent answered while the customer had no socket open, and the
//! support chat left a reminder (an SQS message delayed by `SUPPORT_AWAY_DELAY_SECONDS`). When
//! it comes due, the customer is mailed the answers they have not read, unless they have read
//! them by then (or the conversation is closed: its transcript went out). Each reminder is
//! mailed once, under a claim, however often SQS delivers it; a failed one is retried by SQS.

use std::time::Duration;

use askama::Template;
use aws_lambda_events::sqs::SqsEvent;
use bookworm_domain::Error;
use bookworm_domain::mail::{Email, Mailer};
use bookworm_domain::ports::{Claim, Deduplicator, SupportStore};
use bookworm_domain::query::PageSize;
use bookworm_domain::support::{AuthorRole, AwayNotice, Conversation, ConversationStatus, Message};

/// What the function needs.
pub struct Away<'a> {
    pub store: &'a dyn SupportStore,
    pub mailer: &'a dyn Mailer,
    pub dedupe: &'a dyn Deduplicator,
}

/// What one reminder came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Mailed,
    /// Read meanwhile, closed, no verified email, or mailed before.
    Skipped,
}

const CONSUMER: &str = "support-away";
const LEASE: Duration = Duration::from_secs(60);

#[derive(Template)]
#[template(path = "away.html")]
struct HtmlPart<'a> {
    subject: &'a str,
    name: &'a str,
    topic: &'a str,
    answers: &'a [&'a str],
}

#[derive(Template)]
#[template(path = "away.txt")]
struct TextPart<'a> {
    name: &'a str,
    topic: &'a str,
    answers: &'a [&'a str],
}

impl Away<'_> {
    /// Every reminder of an SQS batch; an error has SQS deliver the batch again (those mailed
    /// already are skipped by their claims).
    pub async fn handle(&self, batch: SqsEvent) -> Result<Vec<Outcome>, Error> {
        let mut outcomes = Vec::with_capacity(batch.records.len());
        for record in batch.records {
            let body = record.body.unwrap_or_default();
            let notice: AwayNotice = serde_json::from_str(&body)
                .map_err(|e| Error::invalid("body", format!("is not an away notice: {e}")))?;
            outcomes.push(self.remind(&notice).await?);
        }
        Ok(outcomes)
    }

    /// Mails `notice`'s customer if the answer is still unread, once.
    pub async fn remind(&self, notice: &AwayNotice) -> Result<Outcome, Error> {
        let Some(conversation) = self.store.conversation(notice.conversation_id).await? else {
            return Ok(Outcome::Skipped);
        };
        if conversation.customer_read >= notice.seq || conversation.status == ConversationStatus::Closed {
            return Ok(Outcome::Skipped);
        }
        let claim = notice.claim();
        match self.dedupe.claim(CONSUMER, claim, LEASE).await? {
            Claim::Claimed => {}
            Claim::Done => return Ok(Outcome::Skipped),
            Claim::InProgress => {
                return Err(Error::unavailable("claim the reminder", "another attempt holds it"));
            }
        }
        let mailed = self.mail(&conversation).await;
        match mailed {
            Ok(outcome) => {
                self.dedupe.complete(CONSUMER, claim).await?;
                Ok(outcome)
            }
            Err(error) => {
                self.dedupe.release(CONSUMER, claim).await?;
                Err(error)
            }
        }
    }

    async fn mail(&self, conversation: &Conversation) -> Result<Outcome, Error> {
        let unread = self
            .store
            .messages(conversation.id, conversation.customer_read, PageSize::new(100)?, false)
            .await?;
        let answers: Vec<&str> = unread
            .items
            .iter()
            .filter(|message: &&Message| message.author_role == AuthorRole::Support)
            .map(|message| message.text.as_str())
            .collect();
        match render(conversation, &answers)? {
            Some(email) if !answers.is_empty() => {
                self.mailer.send(&email).await?;
                bookworm_metrics::count("AwayEmailsSent", 1.0);
                Ok(Outcome::Mailed)
            }
            _ => Ok(Outcome::Skipped),
        }
    }
}

/// The email, or `None` without a verified address.
fn render(conversation: &Conversation, answers: &[&str]) -> Result<Option<Email>, Error> {
    let Some(to) = conversation.customer_email.as_deref() else { return Ok(None) };
    let name = conversation.customer_name.as_deref().unwrap_or("reader");
    let topic = conversation.subject.as_str();
    let subject = format!("BookWorm support answered: {topic}");
    let failed = |e: askama::Error| Error::unavailable("render the away email", e);
    let html = HtmlPart { subject: &subject, name, topic, answers }.render().map_err(failed)?;
    let text = TextPart { name, topic, answers }.render().map_err(failed)?;
    Ok(Some(Email { to: to.to_owned(), subject, html, text }))
}
