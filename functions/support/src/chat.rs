//! What a conversation's participants do, over HTTPS and over the socket alike: write a
//! message, say they are typing, say what they have read, and every change to a conversation,
//! each saved over the version it was made from and then announced ([`crate::live`]).

use bookworm_domain::Error;
use bookworm_domain::clock::{now_rfc3339, unix_now};
use bookworm_domain::identity::Principal;
use bookworm_domain::ids::{ConversationId, MessageId, UserId};
use bookworm_domain::ports::{Reminders, SupportStore, Written};
use bookworm_domain::support::{
    AuthorRole, AwayNotice, Conversation, ConversationStatus, Message, NewMessage, Quota, TEXT_MAX, is_agent,
    message_id,
};
use bookworm_domain::text::{self, Lines};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use crate::live::{Kind, Live};

/// Attempts of a change racing other changes to the same conversation.
const ATTEMPTS: usize = 8;

pub struct Chat<'a> {
    pub store: &'a dyn SupportStore,
    pub live: Live<'a>,
    /// Where an answer the customer is not connected to see waits to be mailed.
    pub reminders: &'a dyn Reminders,
    /// How long it waits (`SUPPORT_AWAY_DELAY_SECONDS`).
    pub away_delay: Duration,
}

/// A stored message, and whether this call stored it (`false`: the same `client_message_id`
/// was sent before, and this is that message).
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

/// Which side `caller` writes from: an agent's, unless it is their own conversation.
pub fn side(conversation: &Conversation, caller: &Principal) -> AuthorRole {
    if is_agent(caller) && conversation.customer_id != caller.user_id {
        AuthorRole::Support
    } else {
        AuthorRole::Customer
    }
}

/// The conversation as anyone may see it: without the customer's email or what was mailed.
pub fn shown(conversation: &Conversation) -> Conversation {
    Conversation { customer_email: None, away_mailed: 0, ..conversation.clone() }
}

/// `com.bookworm.chat.typing`'s data: who is typing.
#[derive(Serialize, JsonSchema)]
pub struct Typing<'a> {
    pub conversation_id: ConversationId,
    pub user_id: &'a UserId,
    pub role: AuthorRole,
}

/// `com.bookworm.chat.read`'s data: who read up to which message.
#[derive(Serialize, JsonSchema)]
pub struct ReadUpTo<'a> {
    pub conversation_id: ConversationId,
    pub user_id: &'a UserId,
    pub role: AuthorRole,
    pub message_id: MessageId,
    pub seq: u32,
}

/// The data of `com.bookworm.chat.assigned`, `…closed` and `…waiting`: the conversation, with
/// `conversation_id` as every chat event's data has it.
#[derive(Serialize, JsonSchema)]
pub struct Changed {
    pub conversation_id: ConversationId,
    #[serde(flatten)]
    pub conversation: Conversation,
}

impl Chat<'_> {
    /// Conversation `id` if `caller` may see it; anyone else's is not found, not forbidden.
    pub async fn visible(&self, caller: &Principal, id: ConversationId) -> Result<Conversation, Error> {
        self.store
            .conversation(id)
            .await?
            .filter(|conversation| conversation.visible_to(caller))
            .ok_or_else(|| Error::not_found("conversation", id))
    }

    /// Stores `input` as `caller`'s message in conversation `id`, then announces it.
    pub async fn send(
        &self,
        caller: &Principal,
        id: ConversationId,
        input: NewMessage,
    ) -> Result<Sent, Error> {
        let mut conversation = self.visible(caller, id).await?;
        let role = side(&conversation, caller);
        let text = text::required("text", &input.text, TEXT_MAX, Lines::Many)?;
        if input.private && role != AuthorRole::Support {
            return Err(Error::Forbidden("only agents leave private notes".into()));
        }
        if role == AuthorRole::Customer {
            let quota = Quota::messages(&caller.user_id, unix_now());
            if !self.store.take(&quota).await? {
                return Err(quota.exceeded("messages a minute", unix_now()));
            }
        }
        let message = Message {
            id: message_id(id, input.client_message_id),
            conversation_id: id,
            seq: 0,
            author_id: caller.user_id.clone(),
            author_role: role,
            text,
            private: input.private,
            created_at: now_rfc3339(),
            client_message_id: input.client_message_id,
        };
        for _ in 0..ATTEMPTS {
            let (next, numbered) = conversation.append(message.clone())?;
            match self.store.append(&next, &numbered).await? {
                Written::Done => {
                    self.announce_message(&next, &numbered).await;
                    return Ok(Sent { message: numbered, created: true });
                }
                Written::Duplicate(stored) => return Ok(Sent { message: *stored, created: false }),
                Written::Stale => conversation = self.visible(caller, id).await?,
            }
        }
        Err(busy())
    }

    async fn announce_message(&self, conversation: &Conversation, message: &Message) {
        let mut audience = vec![message.author_id.clone()];
        audience.extend(conversation.assignee_id.clone());
        if !message.private {
            audience.push(conversation.customer_id.clone());
            if conversation.status == ConversationStatus::Waiting {
                audience.extend(self.live.online_agents(self.store).await);
            }
        }
        self.live.send(&audience, Kind::Message, conversation.id, message).await;
        if message.author_role == AuthorRole::Support && !message.private {
            self.remind_if_away(conversation, message).await;
        }
    }

    /// An answer to a customer with no socket open: mailed after the delay unless read by then.
    /// A reminder that cannot be handed over is logged: the answer itself is stored.
    async fn remind_if_away(&self, conversation: &Conversation, message: &Message) {
        if self.live.is_connected(&conversation.customer_id).await {
            return;
        }
        let notice = AwayNotice { conversation_id: conversation.id, seq: message.seq };
        if let Err(error) = self.reminders.remind(&notice, self.away_delay).await {
            tracing::warn!(%error, conversation = %conversation.id, "could not schedule the away email");
            bookworm_metrics::count("AwayRemindersFailed", 1.0);
        }
    }

    /// Tells the other side that `caller` is typing (nothing is stored).
    pub async fn typing(&self, caller: &Principal, id: ConversationId) -> Result<(), Error> {
        let conversation = self.visible(caller, id).await?;
        if conversation.status == ConversationStatus::Closed {
            return Err(Error::Conflict("the conversation is closed".into()));
        }
        let role = side(&conversation, caller);
        let typing = Typing { conversation_id: id, user_id: &caller.user_id, role };
        self.live.send(&self.other_side(&conversation, role), Kind::Typing, id, &typing).await;
        Ok(())
    }

    /// Records that `caller` has read up to `message` and tells the other side (a private note
    /// counts only for agents: customers cannot name one).
    pub async fn read(
        &self,
        caller: &Principal,
        id: ConversationId,
        message: MessageId,
    ) -> Result<(), Error> {
        let mut conversation = self.visible(caller, id).await?;
        let role = side(&conversation, caller);
        let read = self
            .store
            .message(id, message)
            .await?
            .filter(|read| role == AuthorRole::Support || !read.private)
            .ok_or_else(|| Error::not_found("message", message))?;
        for _ in 0..ATTEMPTS {
            let Some(next) = conversation.read(role, read.seq) else { return Ok(()) };
            match self.store.save(&next).await? {
                Written::Done => {
                    let receipt = ReadUpTo {
                        conversation_id: id,
                        user_id: &caller.user_id,
                        role,
                        message_id: read.id,
                        seq: read.seq,
                    };
                    self.live.send(&self.other_side(&next, role), Kind::Read, id, &receipt).await;
                    return Ok(());
                }
                _ => conversation = self.visible(caller, id).await?,
            }
        }
        Err(busy())
    }

    fn other_side(&self, conversation: &Conversation, role: AuthorRole) -> Vec<UserId> {
        match role {
            AuthorRole::Customer => conversation.assignee_id.clone().into_iter().collect(),
            AuthorRole::Support => vec![conversation.customer_id.clone()],
        }
    }

    /// Applies `change` to conversation `id` as `caller` sees it, saved over the version it was
    /// made from (reloading and applying it again when another change won), then announces it
    /// as `announce` (if any).
    pub async fn update(
        &self,
        caller: &Principal,
        id: ConversationId,
        announce: Option<Kind>,
        change: impl Fn(&Conversation) -> Result<Conversation, Error>,
    ) -> Result<Conversation, Error> {
        for _ in 0..ATTEMPTS {
            let current = self.visible(caller, id).await?;
            let next = change(&current)?;
            if self.store.save(&next).await? == Written::Done {
                if let Some(kind) = announce {
                    self.announce_change(&current, &next, kind).await;
                }
                return Ok(next);
            }
        }
        Err(busy())
    }

    /// A change to the conversation: to its customer, its agents before and after, and, when it
    /// enters or leaves the queue, every online agent.
    pub async fn announce_change(&self, before: &Conversation, after: &Conversation, kind: Kind) {
        let mut audience = vec![after.customer_id.clone()];
        audience.extend(before.assignee_id.clone());
        audience.extend(after.assignee_id.clone());
        let queue_changed =
            (before.status == ConversationStatus::Waiting) != (after.status == ConversationStatus::Waiting);
        if queue_changed {
            audience.extend(self.live.online_agents(self.store).await);
        }
        let data = Changed { conversation_id: after.id, conversation: shown(after) };
        self.live.send(&audience, kind, after.id, &data).await;
    }

    /// A new conversation: to every online agent (and the customer's other sockets).
    pub async fn announce_new(&self, conversation: &Conversation) {
        let mut audience = self.live.online_agents(self.store).await;
        audience.push(conversation.customer_id.clone());
        let data = Changed { conversation_id: conversation.id, conversation: shown(conversation) };
        self.live.send(&audience, Kind::Waiting, conversation.id, &data).await;
    }
}

fn busy() -> Error {
    Error::Conflict("the conversation kept changing while this was saved: try again".into())
}
