//! The support chat's operations (the `support` function).

use bookworm_domain::query::Page;
use bookworm_domain::support::{
    AgentStatus, AvailabilityInput, CannedReply, CannedReplyInput, Conversation, Message, NewConversation,
    NewMessage, Rating, RatingInput, TransferInput,
};
use schemars::SchemaGenerator;
use serde_json::json;

use super::{Cursor, Operation, Refusal, choice, cursor, limit, query};

pub fn operations(schemas: &mut SchemaGenerator) -> Vec<Operation> {
    use Refusal::{Conflict, Forbidden, NotFound, TooMany};
    let mut schema = |f: fn(&mut SchemaGenerator) -> schemars::Schema| f(schemas).to_value();
    let conversation = schema(|g| g.subschema_for::<Conversation>());
    let conversations = schema(|g| g.subschema_for::<Page<Conversation>>());
    let message = schema(|g| g.subschema_for::<Message>());
    let messages = schema(|g| g.subschema_for::<Page<Message>>());
    let canned = schema(|g| g.subschema_for::<CannedReply>());
    let status = schema(|g| g.subschema_for::<AgentStatus>());
    let rating = schema(|g| g.subschema_for::<Rating>());
    let after_seq = query(
        "cursor",
        "Messages after this `seq` (the `next_cursor` of the page before, or the last `seq` the \
         client has: how a reconnecting client catches up).",
        json!({ "type": "string", "pattern": "^[0-9]{1,10}$" }),
    );
    vec![
        Operation::new("POST /support/conversations", "support chat", "Open a conversation with support")
            .body(schema(|g| g.subschema_for::<NewConversation>()))
            .ok(201, "The conversation, waiting for an agent.", conversation.clone())
            .ok(
                200,
                "The conversation this opening (its `client_message_id`) made before.",
                conversation.clone(),
            )
            .refusing(&[TooMany]),
        Operation::new(
            "GET /support/conversations",
            "support chat",
            "List conversations: one's own, or the queue",
        )
        .query([
            choice(
                "status",
                &["waiting", "assigned", "closed"],
                "Agents: the queue of this status (waiting: oldest first).",
            ),
            choice("assignee", &["me"], "Agents, with status=assigned: only the caller's."),
            cursor(Cursor::Newest),
            limit(),
        ])
        .ok(200, "A page of conversations.", conversations)
        .refusing(&[Forbidden]),
        Operation::new("GET /support/conversations/{id}", "support chat", "Read a conversation")
            .ok(
                200,
                "The conversation, with the order or book it is about.",
                schema(|g| g.subschema_for::<support::ConversationDetail>()),
            )
            .refusing(&[NotFound]),
        Operation::new(
            "GET /support/conversations/{id}/messages",
            "support chat",
            "Read a conversation's messages",
        )
        .query([after_seq, limit()])
        .ok(200, "A page of messages, oldest first (private notes for agents only).", messages)
        .refusing(&[NotFound]),
        Operation::new("POST /support/conversations/{id}/messages", "support chat", "Send a message")
            .body(schema(|g| g.subschema_for::<NewMessage>()))
            .ok(201, "The message, stored and sent to the conversation's sockets.", message.clone())
            .ok(200, "The message sent before with this `client_message_id`.", message)
            .refusing(&[Forbidden, NotFound, Conflict, TooMany]),
        Operation::new("POST /support/conversations/{id}/close", "support chat", "Close a conversation")
            .ok(
                200,
                "The conversation, closed; the transcript is mailed to the customer.",
                conversation.clone(),
            )
            .refusing(&[Forbidden, NotFound]),
        Operation::new(
            "POST /support/conversations/{id}/rating",
            "support chat",
            "Rate a closed conversation (once)",
        )
        .body(schema(|g| g.subschema_for::<RatingInput>()))
        .ok(201, "The rating.", rating)
        .refusing(&[Forbidden, NotFound, Conflict]),
        Operation::new(
            "POST /support/conversations/{id}/assign",
            "support agents",
            "Take a conversation from the queue",
        )
        .ok(200, "The conversation, the caller's now.", conversation.clone())
        .refusing(&[NotFound, Conflict]),
        Operation::new(
            "POST /support/conversations/{id}/unassign",
            "support agents",
            "Put a conversation back in the queue",
        )
        .ok(200, "The conversation, waiting again.", conversation.clone())
        .refusing(&[Forbidden, NotFound, Conflict]),
        Operation::new(
            "POST /support/conversations/{id}/transfer",
            "support agents",
            "Hand a conversation to another agent",
        )
        .body(schema(|g| g.subschema_for::<TransferInput>()))
        .ok(200, "The conversation, the other agent's now.", conversation)
        .refusing(&[Forbidden, NotFound, Conflict]),
        Operation::new("GET /support/canned-replies", "support agents", "List canned replies").ok(
            200,
            "Every canned reply, by code.",
            json!({ "type": "object", "required": ["items"],
                "properties": { "items": { "type": "array", "items": canned.clone() } } }),
        ),
        Operation::new("PUT /support/canned-replies/{code}", "support agents", "Write a canned reply")
            .body(schema(|g| g.subschema_for::<CannedReplyInput>()))
            .ok(200, "The canned reply as stored.", canned),
        Operation::new("DELETE /support/canned-replies/{code}", "support agents", "Delete a canned reply")
            .no_content("Deleted.")
            .refusing(&[NotFound]),
        Operation::new("GET /support/agents/me", "support agents", "Read one's availability")
            .ok(200, "The caller's availability.", status.clone())
            .refusing(&[NotFound]),
        Operation::new("PUT /support/agents/me", "support agents", "Set one's availability (online or away)")
            .body(schema(|g| g.subschema_for::<AvailabilityInput>()))
            .ok(200, "The caller's availability; new conversations are announced to online agents.", status),
    ]
}
