//! The transcript a customer is mailed when a conversation closes: every message they could
//! see (never a private note), rendered with askama (the HTML part escapes every value).

use askama::Template;
use bookworm_domain::Error;
use bookworm_domain::mail::Email;
use bookworm_domain::support::{AuthorRole, Conversation, Message};

pub struct Line<'a> {
    who: &'static str,
    at: &'a str,
    text: &'a str,
}

#[derive(Template)]
#[template(path = "transcript.html")]
struct HtmlPart<'a> {
    subject: &'a str,
    name: &'a str,
    topic: &'a str,
    closed_at: &'a str,
    lines: &'a [Line<'a>],
}

#[derive(Template)]
#[template(path = "transcript.txt")]
struct TextPart<'a> {
    name: &'a str,
    topic: &'a str,
    closed_at: &'a str,
    lines: &'a [Line<'a>],
}

/// The transcript of `conversation` (closed) to its customer, or `None` when no verified
/// email of theirs is known.
pub fn render(conversation: &Conversation, messages: &[Message]) -> Result<Option<Email>, Error> {
    let Some(to) = conversation.customer_email.as_deref() else { return Ok(None) };
    let name = conversation.customer_name.as_deref().unwrap_or("reader");
    let closed_at = conversation.closed_at.as_deref().unwrap_or(&conversation.last_message_at);
    let lines: Vec<Line> = messages
        .iter()
        .filter(|message| !message.private)
        .map(|message| Line {
            who: match message.author_role {
                AuthorRole::Customer => "You",
                AuthorRole::Support => "BookWorm support",
            },
            at: &message.created_at,
            text: &message.text,
        })
        .collect();
    let subject = format!("Your conversation with BookWorm support: {}", conversation.subject);
    let topic = conversation.subject.as_str();
    let failed = |e: askama::Error| Error::unavailable("render the transcript", e);
    let html =
        HtmlPart { subject: &subject, name, topic, closed_at, lines: &lines }.render().map_err(failed)?;
    let text = TextPart { name, topic, closed_at, lines: &lines }.render().map_err(failed)?;
    Ok(Some(Email { to: to.to_owned(), subject, html, text }))
}
