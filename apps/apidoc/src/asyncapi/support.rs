//! The support channel of the WebSocket API (`?channel=support`): the chat actions a client
//! sends, the acknowledgement of `chat.send`, and the chat events it receives, whose `data`
//! schemas come from the Rust types the functions send.

use bookworm_domain::support::Message;
use schemars::SchemaGenerator;
use serde_json::{Map, Value, json};
use support::chat::{Changed, ReadUpTo, Typing};
use support::live::Kind;

/// The channel's messages by name: what a client receives, then what it sends.
pub fn messages(generator: &mut SchemaGenerator) -> (Map<String, Value>, Vec<String>, Vec<String>) {
    let mut messages = Map::new();
    let (mut received, mut sent) = (Vec::new(), Vec::new());
    for kind in Kind::ALL {
        let (summary, data) = match kind {
            Kind::Message => (
                "A message of the conversation (never a private note, to a customer).",
                generator.subschema_for::<Message>(),
            ),
            Kind::Typing => ("The other side is typing.", generator.subschema_for::<Typing<'static>>()),
            Kind::Read => {
                ("The other side has read up to a message.", generator.subschema_for::<ReadUpTo<'static>>())
            }
            Kind::Assigned => (
                "The conversation was taken, handed on or put back in the queue.",
                generator.subschema_for::<Changed>(),
            ),
            Kind::Closed => ("The conversation was closed.", generator.subschema_for::<Changed>()),
            Kind::Waiting => (
                "A conversation entered the queue (to online agents, and its customer).",
                generator.subschema_for::<Changed>(),
            ),
        };
        let name = kind.type_name();
        messages.insert(name.into(), event(name, summary, data.to_value()));
        received.push(name.to_owned());
    }
    let conversation_id = json!({ "type": "string", "format": "uuid" });
    let mut send = |name: &str, summary: &str, extra: Value| {
        let mut properties = json!({ "action": { "const": name }, "conversation_id": conversation_id });
        if let (Some(all), Some(extra)) = (properties.as_object_mut(), extra.as_object()) {
            all.extend(extra.clone());
        }
        messages.insert(name.into(), json!({
            "name": name, "title": name, "summary": summary, "contentType": "application/json",
            "payload": { "type": "object", "required": ["action", "conversation_id"], "properties": properties },
        }));
        sent.push(name.to_owned());
    };
    send(
        "chat.send",
        "Send a message: the body of `POST /support/conversations/{id}/messages`, with the action and conversation. Answered `chat.ack` once stored; a refusal is problem+json (`status`, `detail`, `errors`) carrying the message's `client_message_id`.",
        json!({ "text": { "type": "string" }, "client_message_id": { "type": "string", "format": "uuid" }, "private": { "type": "boolean" } }),
    );
    send("chat.typing", "Say you are typing (nothing is stored).", json!({}));
    send(
        "chat.read",
        "Say you have read up to a message.",
        json!({ "message_id": { "type": "string", "format": "uuid" } }),
    );
    messages.insert("chat.ack".into(), json!({
        "name": "chat.ack", "title": "chat.ack", "contentType": "application/json",
        "summary": "The answer to `chat.send` once the message is stored (`created: false`: it was, before, under this `client_message_id`).",
        "payload": {
            "type": "object",
            "required": ["type", "conversation_id", "client_message_id", "message_id", "seq", "created"],
            "properties": {
                "type": { "const": "chat.ack" },
                "conversation_id": conversation_id,
                "client_message_id": { "type": "string", "format": "uuid" },
                "message_id": { "type": "string", "format": "uuid" },
                "seq": { "type": "integer", "minimum": 1 },
                "created": { "type": "boolean" },
            },
            "additionalProperties": false,
        },
    }));
    (messages, received, sent)
}

fn event(kind: &str, summary: &str, data: Value) -> Value {
    json!({
        "name": kind,
        "title": kind,
        "summary": summary,
        "contentType": "application/json",
        "payload": {
            "type": "object",
            "required": ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"],
            "properties": {
                "specversion": { "const": "1.0" },
                "id": { "type": "string", "format": "uuid", "description": "Unique per event." },
                "source": { "type": "string", "pattern": "^/support/conversations/[0-9a-f-]{36}$" },
                "type": { "const": kind },
                "time": { "type": "string", "format": "date-time" },
                "subject": { "type": "string", "description": "The conversation's id." },
                "datacontenttype": { "const": "application/json" },
                "data": data,
            },
            "additionalProperties": false,
        },
    })
}
