//! Support's away emails: an agent answered while the customer had no socket open, and the
//! support chat left a reminder (an SQS message delayed by `SUPPORT_AWAY_DELAY_SECONDS`). When
//! it comes due, the customer is mailed the answers they have neither read nor been mailed,
//! unless they have read them by then (or the conversation is closed: its transcript went out). Each reminder is
//! mailed once, under a claim, however often SQS delivers it; a failed one is retried by SQS.

use std::time::Duration;

use askama::Template;
use aws_lambda_events::sqs::SqsEvent;
use bookworm_domain::Error;
use bookworm_domain::mail::{Email, Mailer};
use bookworm_domain::ports::{Claim, Deduplicator, SupportStore, Written};
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
/// Attempts at recording what was mailed, against other changes to the conversation.
const ATTEMPTS: usize = 8;

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
        let seen = conversation.customer_read.max(conversation.away_mailed);
        if seen >= notice.seq || conversation.status == ConversationStatus::Closed {
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

    /// Mails every answer neither read nor mailed yet (so two quick answers make one email,
    /// not two alike), then records what was mailed.
    async fn mail(&self, conversation: &Conversation) -> Result<Outcome, Error> {
        let after = conversation.customer_read.max(conversation.away_mailed);
        let unread = self.store.messages(conversation.id, after, PageSize::new(100)?, false).await?;
        let answers: Vec<&Message> =
            unread.items.iter().filter(|message| message.author_role == AuthorRole::Support).collect();
        let texts: Vec<&str> = answers.iter().map(|message| message.text.as_str()).collect();
        let (Some(last), Some(email)) = (answers.last(), render(conversation, &texts)?) else {
            return Ok(Outcome::Skipped);
        };
        self.mailer.send(&email).await?;
        bookworm_metrics::count("AwayEmailsSent", 1.0);
        self.record_mailed(conversation, last.seq).await;
        Ok(Outcome::Mailed)
    }

    /// Notes the newest answer mailed, so later reminders skip it. Logged, not failed, when it
    /// cannot be saved: the mail went out, and its own reminder is claimed.
    async fn record_mailed(&self, conversation: &Conversation, seq: u32) {
        let mut current = conversation.clone();
        for _ in 0..ATTEMPTS {
            match self.store.save(&current.mailed_up_to(seq)).await {
                Ok(Written::Done) => return,
                Ok(_) => match self.store.conversation(conversation.id).await {
                    Ok(Some(stored)) => current = stored,
                    _ => break,
                },
                Err(error) => {
                    tracing::warn!(%error, conversation = %conversation.id, "could not record the away email");
                    return;
                }
            }
        }
        tracing::warn!(conversation = %conversation.id, "could not record the away email: it kept changing");
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
