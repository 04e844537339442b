//! Chat events to the support-channel sockets of the people they concern: CloudEvents 1.0,
//! pushed straight after the durable write they announce (no outbox hop).
//!
//! What that guarantees: an acknowledged message is in the history before any socket hears of
//! it; each socket gets it at most once from here, and a push that fails (a socket dropping,
//! the function dying mid-way) is caught up from the history: messages carry their `seq`, so a
//! client that sees 5 after 3 fetches `cursor=3`, and one that reconnects fetches from the last
//! `seq` it has. Sockets are found by user through the connections table's index, never a
//! Scan; a gone one (410) is forgotten.

use std::collections::BTreeSet;
use std::time::Duration;

use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::ids::{ConversationId, UserId};
use bookworm_domain::ports::{Connections, Delivery, Listener, Push, SupportStore};
use futures::StreamExt;
use serde::Serialize;
use uuid::Uuid;

/// The chat events a socket receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new message (data: the message).
    Message,
    /// Someone is typing (data: who).
    Typing,
    /// Someone read up to a message (data: who, and the message).
    Read,
    /// The conversation was taken, handed on or put back (data: the conversation).
    Assigned,
    /// The conversation was closed (data: the conversation).
    Closed,
    /// A conversation entered the queue (data: the conversation): to online agents.
    Waiting,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Message, Kind::Typing, Kind::Read, Kind::Assigned, Kind::Closed, Kind::Waiting];

    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Message => "com.bookworm.chat.message",
            Kind::Typing => "com.bookworm.chat.typing",
            Kind::Read => "com.bookworm.chat.read",
            Kind::Assigned => "com.bookworm.chat.assigned",
            Kind::Closed => "com.bookworm.chat.closed",
            Kind::Waiting => "com.bookworm.chat.waiting",
        }
    }
}

/// A chat event as sockets receive it (CloudEvents 1.0, structured JSON mode).
#[derive(Debug, Serialize)]
struct CloudEvent<'a, T: Serialize> {
    specversion: &'static str,
    id: Uuid,
    /// `/support/conversations/<id>`.
    source: String,
    #[serde(rename = "type")]
    kind: &'static str,
    time: String,
    subject: String,
    datacontenttype: &'static str,
    data: &'a T,
}

/// Where chat events go, and how long one push may take.
pub struct Live<'a> {
    pub connections: &'a dyn Connections,
    pub push: &'a dyn Push,
}

/// Pushes in flight at once, and how long one may take.
const PARALLELISM: usize = 32;
const PUSH_TIMEOUT: Duration = Duration::from_secs(2);

impl Live<'_> {
    /// Sends the event to every support socket of `users` (each user once). Never fails: the
    /// change it announces is stored already, and the history carries it to whoever missed it.
    pub async fn send<T: Serialize>(
        &self,
        users: impl IntoIterator<Item = &UserId>,
        kind: Kind,
        conversation: ConversationId,
        data: &T,
    ) -> usize {
        let users: BTreeSet<&UserId> = users.into_iter().collect();
        let event = CloudEvent {
            specversion: "1.0",
            id: Uuid::new_v4(),
            source: format!("/support/conversations/{conversation}"),
            kind: kind.type_name(),
            time: now_rfc3339(),
            subject: conversation.to_string(),
            datacontenttype: "application/json",
            data,
        };
        let Ok(message) = serde_json::to_vec(&event) else {
            tracing::error!(%conversation, "could not encode a chat event");
            return 0;
        };
        let mut sockets = Vec::new();
        for user in users {
            match self.connections.for_user(user).await {
                Ok(found) => sockets.extend(found),
                Err(error) => tracing::warn!(%error, %conversation, "could not find a user's sockets"),
            }
        }
        self.push_all(sockets, &message, kind, conversation).await
    }

    /// Whether `user` has a support socket open that would be sent to (as the index last
    /// heard; one whose token has expired gets nothing, so it does not count).
    pub async fn is_connected(&self, user: &UserId) -> bool {
        let now = bookworm_domain::clock::unix_now();
        self.connections.for_user(user).await.is_ok_and(|sockets| sockets.iter().any(|s| !s.expired(now)))
    }

    /// The online agents, for announcing the queue's changes.
    pub async fn online_agents(&self, store: &dyn SupportStore) -> Vec<UserId> {
        store.online_agents().await.unwrap_or_else(|error| {
            tracing::warn!(%error, "could not read who is online");
            Vec::new()
        })
    }

    async fn push_all(
        &self,
        sockets: Vec<Listener>,
        message: &[u8],
        kind: Kind,
        conversation: ConversationId,
    ) -> usize {
        let now = bookworm_domain::clock::unix_now();
        let live = sockets.into_iter().filter(|socket| !socket.expired(now));
        let outcomes: Vec<_> = futures::stream::iter(live)
            .map(|socket| async move {
                let pushed = tokio::time::timeout(PUSH_TIMEOUT, self.push.push(&socket.id, message)).await;
                (socket, pushed)
            })
            .buffer_unordered(PARALLELISM)
            .collect()
            .await;
        let mut delivered = 0;
        for (socket, outcome) in outcomes {
            match outcome {
                Ok(Ok(Delivery::Delivered)) => delivered += 1,
                Ok(Ok(Delivery::Gone)) => {
                    if let Err(error) = self.connections.remove(&socket.id).await {
                        tracing::warn!(%error, connection = %socket.id, "could not forget a gone socket");
                    }
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, connection = %socket.id, %conversation, "push failed")
                }
                Err(_) => tracing::warn!(connection = %socket.id, %conversation, "push timed out"),
            }
        }
        tracing::debug!(kind = kind.type_name(), %conversation, delivered, "chat event sent");
        delivered
    }
}
