//! Support chat: conversations between a customer and the support agents, their messages, and
//! the rules every route and socket applies to them.
//!
//! - [`Conversation`]: one customer's question, `waiting` for an agent, `assigned` to one, then
//!   `closed`; its transitions ([`Conversation::assign`], [`Conversation::close`], …) return
//!   the next version or say why not.
//! - [`Message`]: numbered within its conversation (`seq` 1, 2, …), which makes history order
//!   total and lets a client see a gap; private notes are for agents only.
//! - The inputs routes read ([`NewConversation`], [`NewMessage`], [`RatingInput`], …), each
//!   validated into what is stored.
//! - [`CannedReply`], [`AgentStatus`], [`Quota`]: agents' short texts (picked in the console by
//!   code), availability, limits.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Error;
use crate::identity::{Principal, Role};
use crate::ids::{BookId, ConversationId, MessageId, OrderId, UserId};
use crate::text::{self, Lines};

/// Characters of a subject.
pub const SUBJECT_MAX: usize = 120;
/// Characters of a message.
pub const TEXT_MAX: usize = 4_000;
/// Characters of a rating's comment.
pub const COMMENT_MAX: usize = 1_000;
/// Messages (notes included) one conversation holds.
pub const MESSAGES_MAX: u32 = 1_000;
/// Messages a customer may send a minute.
pub const MESSAGES_PER_MINUTE: u32 = 30;
/// Conversations a customer may open a UTC day.
pub const CONVERSATIONS_PER_DAY: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// No agent has it yet: it is in the queue.
    Waiting,
    Assigned,
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Assigned => "assigned",
            Self::Closed => "closed",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        match text {
            "waiting" => Ok(Self::Waiting),
            "assigned" => Ok(Self::Assigned),
            "closed" => Ok(Self::Closed),
            _ => Err(Error::invalid(field, "must be waiting, assigned or closed")),
        }
    }
}

/// Which side of the conversation wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorRole {
    Customer,
    Support,
}

/// A customer's score of a closed conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Rating {
    #[schemars(range(min = 1, max = 5))]
    pub score: u8,
    pub comment: Option<String>,
    pub rated_at: String,
}

/// One customer's conversation with support, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Conversation {
    pub id: ConversationId,
    pub subject: String,
    pub status: ConversationStatus,
    pub customer_id: UserId,
    /// The name the customer's token gave, for agents to greet them by.
    pub customer_name: Option<String>,
    /// The agent who has it; `null` while it waits.
    pub assignee_id: Option<UserId>,
    /// The caller's own order it is about, if any.
    pub order_id: Option<OrderId>,
    /// The book it is about, if any.
    pub book_id: Option<BookId>,
    pub created_at: String,
    pub last_message_at: String,
    /// When it last entered the queue (the queue serves the oldest first).
    pub waiting_since: String,
    pub closed_at: Option<String>,
    /// Messages in it, notes included: the `seq` of the newest.
    pub message_count: u32,
    /// The newest `seq` the customer has read (0: none), and the newest an agent has.
    pub customer_read: u32,
    pub support_read: u32,
    pub rating: Option<Rating>,
    /// Changes with every write: a write is saved only over the version it was made from.
    pub version: u64,
    /// The newest answer mailed to the customer while away (0: none); never shown.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(skip)]
    pub away_mailed: u32,
    /// The customer's verified email, for the transcript; never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub customer_email: Option<String>,
}

/// A message, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    /// Its place in the conversation: 1, 2, … with no gaps, so a client that misses one knows.
    pub seq: u32,
    pub author_id: UserId,
    pub author_role: AuthorRole,
    pub text: String,
    /// A note agents leave for each other: never shown or sent to the customer.
    pub private: bool,
    pub created_at: String,
    /// The sender's id for it: the same one again is the same message.
    pub client_message_id: Uuid,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Who may do what with a conversation.
pub fn is_agent(principal: &Principal) -> bool {
    principal.has(Role::Support) || principal.has(Role::Admin)
}

impl Conversation {
    /// Whether `principal` may see it at all: its customer, and agents. Anyone else gets a 404.
    pub fn visible_to(&self, principal: &Principal) -> bool {
        self.customer_id == principal.user_id || is_agent(principal)
    }

    /// The conversation with the answers up to `seq` mailed to its away customer.
    pub fn mailed_up_to(&self, seq: u32) -> Self {
        self.next(|c| c.away_mailed = c.away_mailed.max(seq))
    }

    /// Whether `principal` takes part as its customer (not as an agent).
    pub fn is_customer(&self, principal: &Principal) -> bool {
        self.customer_id == principal.user_id && !is_agent(principal)
    }

    /// The version after this one, with `change` applied.
    fn next(&self, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = self.clone();
        change(&mut next);
        next.version = self.version + 1;
        next
    }

    /// Taken by `agent`: only from the queue, so of any number of agents taking it at once,
    /// exactly one succeeds (stores save over the version read).
    pub fn assign(&self, agent: &UserId) -> Result<Self, Error> {
        match self.status {
            ConversationStatus::Waiting => Ok(self.next(|c| {
                c.status = ConversationStatus::Assigned;
                c.assignee_id = Some(agent.clone());
            })),
            ConversationStatus::Assigned if self.assignee_id.as_ref() == Some(agent) => {
                Err(Error::Conflict("the conversation is already assigned to you".into()))
            }
            ConversationStatus::Assigned => {
                Err(Error::Conflict("another agent has taken the conversation".into()))
            }
            ConversationStatus::Closed => Err(Error::Conflict("the conversation is closed".into())),
        }
    }

    /// Back into the queue, by its agent or an admin.
    pub fn unassign(&self, now: &str) -> Result<Self, Error> {
        match self.status {
            ConversationStatus::Assigned => Ok(self.next(|c| {
                c.status = ConversationStatus::Waiting;
                c.assignee_id = None;
                c.waiting_since = now.to_owned();
            })),
            ConversationStatus::Waiting => Err(Error::Conflict("the conversation is not assigned".into())),
            ConversationStatus::Closed => Err(Error::Conflict("the conversation is closed".into())),
        }
    }

    /// Handed from its agent to `agent`.
    pub fn transfer(&self, agent: &UserId) -> Result<Self, Error> {
        match self.status {
            ConversationStatus::Closed => Err(Error::Conflict("the conversation is closed".into())),
            _ if self.assignee_id.as_ref() == Some(agent) => {
                Err(Error::Conflict("the conversation is already assigned to that agent".into()))
            }
            _ => Ok(self.next(|c| {
                c.status = ConversationStatus::Assigned;
                c.assignee_id = Some(agent.clone());
            })),
        }
    }

    /// Whether `principal` may close it or hand it on: its customer, its agent, an admin.
    pub fn may_manage(&self, principal: &Principal) -> bool {
        self.customer_id == principal.user_id
            || self.assignee_id.as_ref() == Some(&principal.user_id)
            || principal.has(Role::Admin)
    }

    pub fn close(&self, now: &str) -> Result<Self, Error> {
        match self.status {
            ConversationStatus::Closed => Err(Error::Conflict("the conversation is closed already".into())),
            _ => Ok(self.next(|c| {
                c.status = ConversationStatus::Closed;
                c.closed_at = Some(now.to_owned());
            })),
        }
    }

    /// Rated by its customer, once, when closed.
    pub fn rate(&self, rating: Rating) -> Result<Self, Error> {
        if self.status != ConversationStatus::Closed {
            return Err(Error::Conflict("a conversation is rated once it is closed".into()));
        }
        if self.rating.is_some() {
            return Err(Error::Conflict("the conversation is rated already".into()));
        }
        Ok(self.next(|c| c.rating = Some(rating)))
    }

    /// `side` has read up to `seq` (never backwards; never past the newest message).
    pub fn read(&self, side: AuthorRole, seq: u32) -> Option<Self> {
        let seq = seq.min(self.message_count);
        let current = match side {
            AuthorRole::Customer => self.customer_read,
            AuthorRole::Support => self.support_read,
        };
        (seq > current).then(|| {
            self.next(|c| match side {
                AuthorRole::Customer => c.customer_read = seq,
                AuthorRole::Support => c.support_read = seq,
            })
        })
    }

    /// The conversation with `message` added, and the message numbered: refused when closed
    /// or full.
    pub fn append(&self, mut message: Message) -> Result<(Self, Message), Error> {
        if self.status == ConversationStatus::Closed {
            return Err(Error::Conflict("the conversation is closed".into()));
        }
        if self.message_count >= MESSAGES_MAX {
            return Err(Error::Conflict(format!(
                "the conversation holds {MESSAGES_MAX} messages, its limit: open a new one"
            )));
        }
        message.seq = self.message_count + 1;
        message.conversation_id = self.id;
        let next = self.next(|c| {
            c.message_count = message.seq;
            c.last_message_at = message.created_at.clone();
            // Writing is reading what came before.
            match message.author_role {
                AuthorRole::Customer => c.customer_read = message.seq,
                AuthorRole::Support => c.support_read = message.seq,
            }
        });
        Ok((next, message))
    }

    /// The key listings of a customer's conversations and of assigned ones sort by: newest
    /// activity last, ties broken by id.
    pub fn activity_key(&self) -> String {
        format!("{}#{}", self.last_message_at, self.id)
    }

    /// The key the queue sorts by: oldest waiting first.
    pub fn waiting_key(&self) -> String {
        format!("{}#{}", self.waiting_since, self.id)
    }

    /// The key closed conversations sort by: newest closed last.
    pub fn closed_key(&self) -> String {
        format!("{}#{}", self.closed_at.as_deref().unwrap_or(&self.created_at), self.id)
    }

    /// The key of this conversation in `listing`'s order.
    pub fn key_in(&self, listing: &Listing) -> String {
        match listing {
            Listing::Customer(_) | Listing::Assigned(_) => self.activity_key(),
            Listing::Queue(ConversationStatus::Waiting) => self.waiting_key(),
            Listing::Queue(ConversationStatus::Assigned) => self.activity_key(),
            Listing::Queue(ConversationStatus::Closed) => self.closed_key(),
        }
    }
}

/// Which conversations a listing holds, and in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// One customer's, newest activity first.
    Customer(UserId),
    /// Every conversation of a status: waiting ones oldest first (the queue), assigned ones
    /// newest activity first, closed ones newest closed first.
    Queue(ConversationStatus),
    /// One agent's assigned ones, newest activity first.
    Assigned(UserId),
}

impl Listing {
    /// Whether the listing runs from the smallest key up (only the queue does).
    pub fn ascending(&self) -> bool {
        matches!(self, Listing::Queue(ConversationStatus::Waiting))
    }

    pub fn holds(&self, conversation: &Conversation) -> bool {
        match self {
            Listing::Customer(customer) => &conversation.customer_id == customer,
            Listing::Queue(status) => conversation.status == *status,
            Listing::Assigned(agent) => {
                conversation.status == ConversationStatus::Assigned
                    && conversation.assignee_id.as_ref() == Some(agent)
            }
        }
    }
}

/// A listing's cursor: the key of the last conversation of the page before (opaque to clients).
pub fn encode_cursor(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

pub fn decode_cursor(text: &str) -> Result<String, Error> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|key| crate::clock::is_time_and_id(key))
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this listing gave"))
}

/// `POST /support/conversations`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("not" = { "required": ["order_id", "book_id"] }))]
pub struct NewConversation {
    /// What it is about, 1–120 characters.
    #[schemars(length(max = 120), extend("pattern" = text::pattern(Lines::One, true)))]
    pub subject: String,
    /// The first message, 1–4,000 characters.
    #[schemars(length(max = 4000), extend("pattern" = text::pattern(Lines::Many, true)))]
    pub text: String,
    /// One of the caller's own orders it is about.
    pub order_id: Option<OrderId>,
    /// A book it is about.
    pub book_id: Option<BookId>,
    /// The sender's id for the first message: sending the same one again returns the
    /// conversation it opened instead of opening another.
    #[serde(default, deserialize_with = "optional_uuid")]
    #[schemars(with = "Option<Uuid>")]
    pub client_message_id: Option<Uuid>,
}

/// What a [`NewConversation`] checked out as.
pub struct Opening {
    pub subject: String,
    pub text: String,
    pub order_id: Option<OrderId>,
    pub book_id: Option<BookId>,
    pub client_message_id: Uuid,
}

impl NewConversation {
    pub fn validate(self) -> Result<Opening, Error> {
        let mut problems = crate::error::Problems::default();
        let subject = problems.check(text::required("subject", &self.subject, SUBJECT_MAX, Lines::One));
        let text = problems.check(text::required("text", &self.text, TEXT_MAX, Lines::Many));
        if self.order_id.is_some() && self.book_id.is_some() {
            problems.add("book_id", "give order_id or book_id, not both");
        }
        let (Some(subject), Some(text)) = (subject, text) else {
            return Err(problems.into_error());
        };
        problems.into_result()?;
        Ok(Opening {
            subject,
            text,
            order_id: self.order_id,
            book_id: self.book_id,
            client_message_id: self.client_message_id.unwrap_or_else(Uuid::new_v4),
        })
    }
}

/// A message's id: derived from its conversation and the sender's id for it, so a message
/// sent again has the id it was stored with.
pub fn message_id(conversation: ConversationId, client_message_id: Uuid) -> MessageId {
    MessageId(Uuid::new_v5(&conversation.0, client_message_id.as_bytes()))
}

impl Opening {
    /// The conversation's id: derived from the customer and the first message's id, so sending
    /// the same opening again finds the conversation it made.
    pub fn conversation_id(&self, customer: &UserId) -> ConversationId {
        ConversationId(Uuid::new_v5(&self.client_message_id, customer.as_str().as_bytes()))
    }
}

/// `POST /support/conversations/{id}/messages`, and `chat.send` over the socket. A canned
/// reply is picked in the console by its code and sent as text, as any other.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// 1–4,000 characters.
    #[schemars(length(max = 4000), extend("pattern" = text::pattern(Lines::Many, true)))]
    pub text: String,
    /// The sender's id for the message (a UUID): sending it again returns the stored one.
    #[serde(deserialize_with = "required_uuid")]
    #[schemars(with = "Uuid")]
    pub client_message_id: Uuid,
    /// Agents only: a note for other agents, never shown to the customer.
    #[serde(default)]
    pub private: bool,
}

/// `POST /support/conversations/{id}/rating`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    // `Option` only so that a missing score is reported by name; the schema requires it.
    /// 1 (poor) to 5 (excellent).
    #[schemars(required, with = "u8", range(min = 1, max = 5))]
    #[serde(deserialize_with = "crate::whole::option")]
    pub score: Option<u8>,
    #[schemars(length(max = 1000), extend("pattern" = text::pattern(Lines::Many, false)))]
    #[serde(default)]
    pub comment: Option<String>,
}

impl RatingInput {
    pub fn validate(self, now: &str) -> Result<Rating, Error> {
        let mut problems = crate::error::Problems::default();
        match self.score {
            None => problems.add("score", "is required"),
            Some(score) if !(1..=5).contains(&score) => {
                problems.add("score", "must be a whole number from 1 to 5")
            }
            Some(_) => {}
        }
        let comment = match self.comment {
            Some(comment) => {
                problems.check(text::optional("comment", &comment, COMMENT_MAX, Lines::Many)).flatten()
            }
            None => None,
        };
        problems.into_result()?;
        Ok(Rating { score: self.score.unwrap_or_default(), comment, rated_at: now.to_owned() })
    }
}

/// `POST /support/conversations/{id}/transfer`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// The agent to hand it to (their user id): one who has set their availability.
    #[schemars(length(min = 1))]
    pub agent_id: String,
}

/// An agent's availability: new conversations are announced to those online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Online,
    Away,
}

/// `PUT /support/agents/me`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityInput {
    pub status: Availability,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentStatus {
    pub agent_id: UserId,
    pub status: Availability,
    pub updated_at: String,
}

/// A reply agents send often, picked by its short code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CannedReply {
    /// Lower-case letters, digits and hyphens, 1–32 characters (`refund-policy`).
    pub code: String,
    pub title: String,
    pub text: String,
    pub updated_at: String,
}

/// `PUT /support/canned-replies/{code}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedReplyInput {
    #[schemars(length(max = 120), extend("pattern" = text::pattern(Lines::One, true)))]
    pub title: String,
    #[schemars(length(max = 4000), extend("pattern" = text::pattern(Lines::Many, true)))]
    pub text: String,
}

impl CannedReplyInput {
    pub fn validate(self, code: &str, now: &str) -> Result<CannedReply, Error> {
        let mut problems = crate::error::Problems::default();
        let code = problems.check(canned_code("code", code));
        let title = problems.check(text::required("title", &self.title, SUBJECT_MAX, Lines::One));
        let text = problems.check(text::required("text", &self.text, TEXT_MAX, Lines::Many));
        match (code, title, text) {
            (Some(code), Some(title), Some(text)) => {
                Ok(CannedReply { code, title, text, updated_at: now.to_owned() })
            }
            _ => Err(problems.into_error()),
        }
    }
}

/// A canned reply's code, checked.
pub fn canned_code(field: &str, code: &str) -> Result<String, Error> {
    let valid = (1..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-');
    if valid {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid(
            field,
            "must be 1–32 lower-case letters, digits and hyphens, not starting with a hyphen",
        ))
    }
}

/// A reminder to mail a customer an answer they have not read: made when an agent writes while
/// the customer has no socket open, handled after [`AWAY_DELAY_DEFAULT`] (a setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwayNotice {
    pub conversation_id: ConversationId,
    /// The answer's `seq`: nothing is mailed once the customer has read up to it.
    pub seq: u32,
}

/// Seconds after an unread answer before the customer is mailed (10 minutes).
pub const AWAY_DELAY_DEFAULT: u64 = 600;
/// The longest delay a reminder may have (SQS's longest message delay, 15 minutes).
pub const AWAY_DELAY_MAX: u64 = 900;

/// The delay `SUPPORT_AWAY_DELAY_SECONDS` names (0–900), or the default when unset.
pub fn away_delay(setting: Option<&str>) -> Result<std::time::Duration, Error> {
    let seconds = match setting {
        None => AWAY_DELAY_DEFAULT,
        Some(text) => text.trim().parse().ok().filter(|s| *s <= AWAY_DELAY_MAX).ok_or_else(|| {
            Error::unavailable(
                "configuration",
                format!("SUPPORT_AWAY_DELAY_SECONDS must be 0 to {AWAY_DELAY_MAX}"),
            )
        })?,
    };
    Ok(std::time::Duration::from_secs(seconds))
}

impl AwayNotice {
    /// The claim under which the notice is mailed once, however often it is delivered.
    pub fn claim(&self) -> crate::ids::EventId {
        crate::ids::EventId(Uuid::new_v5(&self.conversation_id.0, format!("away {}", self.seq).as_bytes()))
    }
}

/// A counter that refuses past `limit` until it expires: a customer's messages this minute,
/// conversations today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub key: String,
    pub limit: u32,
    /// When the counter ends (Unix seconds): also when to try again.
    pub expires_at: u64,
}

impl Quota {
    /// `customer`'s messages in the current minute.
    pub fn messages(customer: &UserId, now: u64) -> Self {
        let minute = now / 60;
        Self {
            key: format!("messages#{customer}#{minute}"),
            limit: MESSAGES_PER_MINUTE,
            expires_at: (minute + 1) * 60,
        }
    }

    /// `customer`'s new conversations in the current UTC day.
    pub fn conversations(customer: &UserId, now: u64) -> Self {
        let day = now / 86_400;
        Self {
            key: format!("conversations#{customer}#{day}"),
            limit: CONVERSATIONS_PER_DAY,
            expires_at: (day + 1) * 86_400,
        }
    }

    /// The refusal once it is used up.
    pub fn exceeded(&self, what: &str, now: u64) -> Error {
        Error::TooMany {
            detail: format!("at most {} {what}", self.limit),
            retry_after: self.expires_at.saturating_sub(now).max(1),
        }
    }
}

/// An optional UUID: absent or `null` is `None`.
fn optional_uuid<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Uuid>, D::Error> {
    let text = Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    text.map(|text| {
        crate::ids::parse_hyphenated(&text).ok_or_else(|| {
            serde::de::Error::custom("must be a UUID like 123e4567-e89b-42d3-a456-426614174000")
        })
    })
    .transpose()
}

fn required_uuid<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    crate::ids::deserialize_hyphenated(deserializer)
}

#[cfg(test)]
mod tests;
