//! The AsyncAPI 3.0 document of the WebSocket API: how to connect, the `ping` route, the
//! support chat channel ([`support`]), the in-store devices' MQTT topic, and one message per
//! shop CloudEvent type, whose `data` schema is generated from the
//! event's Rust type ([`Payload`]). Every variant of `Payload` becomes a message by itself, so
//! a new kind of event cannot be left out.
//!
//! Payload schemas are JSON Schema draft-07 (AsyncAPI's default schema format): AsyncAPI tools
//! validate draft-07 payloads, and check none of draft 2020-12.

mod support;

use bookworm_domain::events::Payload;
use bookworm_domain::publish::CheckoutAction;
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// The whole document: `websocket` and `mqtt` are each a named AsyncAPI server, the WebSocket
/// API's and the devices' MQTT broker's.
pub fn document(websocket: (&str, Value), mqtt: (&str, Value)) -> Value {
    let mut generator = SchemaGenerator::new(
        SchemaSettings::draft07().with(|settings| settings.definitions_path = "/components/schemas".into()),
    );
    let payload = generator.subschema_for::<Payload>().to_value();
    let action = generator.subschema_for::<CheckoutAction>().to_value();
    let (chat_messages, chat_received, chat_sent) = support::messages(&mut generator);
    let mut schemas = generator.take_definitions(true);
    let variants = payload["$ref"]
        .as_str()
        .and_then(|reference| reference.rsplit('/').next())
        .and_then(|name| schemas.remove(name))
        .map(|definition| definition["oneOf"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();

    let mut messages = Map::new();
    messages.insert("ping".into(), ping());
    messages.insert("pong".into(), pong());
    messages.insert("refused".into(), refused());
    let mut events = vec![json!({ "$ref": "#/channels/shop/messages/refused" })];
    for variant in variants {
        let Some(kind) = variant["properties"]["type"]["const"].as_str() else {
            continue;
        };
        events.push(json!({ "$ref": format!("#/channels/shop/messages/{kind}") }));
        messages.insert(kind.to_owned(), event_message(kind, &variant));
    }
    let channel_messages: Map<String, Value> = messages
        .keys()
        .map(|name| (name.clone(), json!({ "$ref": format!("#/components/messages/{name}") })))
        .collect();
    let chat_channel_messages: Map<String, Value> = chat_messages
        .keys()
        .chain(["refused".to_owned(), "ping".to_owned(), "pong".to_owned()].iter())
        .map(|name| (name.clone(), json!({ "$ref": format!("#/components/messages/{name}") })))
        .collect();
    let chat_refs = |names: &[String]| -> Vec<Value> {
        names.iter().map(|name| json!({ "$ref": format!("#/channels/support/messages/{name}") })).collect()
    };
    let (chat_received, chat_sent) = (chat_refs(&chat_received), chat_refs(&chat_sent));
    messages.extend(chat_messages);
    messages.insert("device.action".into(), device_action(action));
    let (ws_server, mqtt_server) = (websocket.0.to_owned(), mqtt.0.to_owned());
    let on = |name: &str| json!([{ "$ref": format!("#/servers/{name}") }]);

    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "BookWorm live shop events",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Merchants watch their shop live: every checkout action, basket change, \
                checkout and order change of the shop arrives on the socket as a CloudEvents 1.0 \
                message (structured JSON mode). Delivery is at most once per socket and the order \
                is not guaranteed: deduplicate by `id`, order by `time`, and read what was missed \
                (a dropped socket, a failed push) from `GET /shops/{shop_id}/events` (OpenAPI). \
                A socket whose token has expired is closed at its shop's next event; reconnect \
                with a fresh token. Review events belong to no shop: they come on the catalog \
                feed, `shop_id=00000000-0000-0000-0000-000000000000`, which only admins may watch. \
                Admins may also watch every shop's order events at once with `?feed=orders` \
                instead of `shop_id` (anyone else: 403). \
                The same API carries support chat: the `support` channel.",
            "license": { "name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0" },
        },
        "defaultContentType": "application/json",
        "servers": { websocket.0: websocket.1, mqtt.0: mqtt.1 },
        "channels": { "shop": {
            "address": "/",
            "servers": on(&ws_server),
            "title": "One shop's live events",
            "description": "Connect with `?shop_id=<shop>&token=<access token>`: merchants of the \
                shop and admins are admitted; anyone else is refused the upgrade: 401 without a \
                token, 403 for a token that is invalid or not for this shop, 400 for a missing or \
                malformed `shop_id`.",
            "messages": channel_messages,
            "bindings": { "ws": {
                "method": "GET",
                "query": {
                    "type": "object",
                    "required": ["shop_id", "token"],
                    "properties": {
                        "shop_id": { "type": "string", "format": "uuid", "description": "The shop to watch." },
                        "token": { "type": "string", "description": "A bearer access token (JWT) of a merchant of the shop, or an admin." },
                    },
                },
                "bindingVersion": "0.1.0",
            }},
        },
        "support": {
            "address": "/",
            "servers": on(&ws_server),
            "title": "Support chat",
            "description": "Connect with `?channel=support&token=<access token>`: anyone signed in. \
                Customers receive their own conversations' events; support agents and admins those \
                of the conversations they have, and of the queue. Messages carry their `seq` (1, 2, … \
                per conversation): a client that sees a gap, or reconnects, reads what it missed from \
                `GET /support/conversations/{id}/messages?cursor=<last seq>` (OpenAPI). Events are \
                pushed once, right after the change is stored; the history is the record.",
            "messages": chat_channel_messages,
            "bindings": { "ws": {
                "method": "GET",
                "query": {
                    "type": "object",
                    "required": ["channel", "token"],
                    "properties": {
                        "channel": { "const": "support" },
                        "token": { "type": "string", "description": "A bearer access token (JWT)." },
                    },
                },
                "bindingVersion": "0.1.0",
            }},
        },
        "deviceActions": {
            "address": "shops/{shop_id}/actions",
            "servers": on(&mqtt_server),
            "title": "A shop's checkout actions, from its in-store devices",
            "description": "An in-store device (scanner, self-checkout kiosk, shelf display) \
                publishes the shop's checkout actions here instead of `POST /publish/{shop_id}` \
                (OpenAPI), with the same body and the same rules; its `shop_id` must be the \
                topic's. Connect with the device id as client id and the device's access token \
                (role `device`, one shop) as password; only its own shop's topic is allowed, \
                nothing may be subscribed, and the connection ends when the token expires. A \
                malformed payload is acknowledged and dropped (docs/devices.md). Each action \
                reaches the shop's merchants as a `com.bookworm.checkout.action` event.",
            "parameters": { "shop_id": { "description": "The device's own shop (a UUID, lower case, hyphenated)." } },
            "messages": { "device.action": { "$ref": "#/components/messages/device.action" } },
        }},
        "operations": {
            "publishDeviceAction": {
                "action": "send",
                "channel": { "$ref": "#/channels/deviceActions" },
                "summary": "A device publishes a checkout action of its shop (QoS 0 or 1).",
                "messages": [{ "$ref": "#/channels/deviceActions/messages/device.action" }],
            },
            "receiveShopEvents": {
                "action": "receive",
                "channel": { "$ref": "#/channels/shop" },
                "summary": "The shop's events, as they happen.",
                "messages": events,
            },
            "receiveChatEvents": {
                "action": "receive",
                "channel": { "$ref": "#/channels/support" },
                "summary": "Support chat events of the caller's conversations (and the queue's, for agents).",
                "messages": chat_received,
            },
            "sendChatActions": {
                "action": "send",
                "channel": { "$ref": "#/channels/support" },
                "summary": "Chat actions: send a message, say you are typing, say what you read.",
                "messages": chat_sent,
                "reply": {
                    "channel": { "$ref": "#/channels/support" },
                    "messages": [{ "$ref": "#/channels/support/messages/chat.ack" }],
                },
            },
            "sendPing": {
                "action": "send",
                "channel": { "$ref": "#/channels/shop" },
                "summary": "Keep the connection alive (API Gateway closes it after 10 idle minutes).",
                "messages": [{ "$ref": "#/channels/shop/messages/ping" }],
                "reply": {
                    "channel": { "$ref": "#/channels/shop" },
                    "messages": [{ "$ref": "#/channels/shop/messages/pong" }],
                },
            },
        },
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": { "token": {
                "type": "httpApiKey",
                "name": "token",
                "in": "query",
                "description": "The access token, in the connect URL's query (browsers cannot set \
                    headers on a WebSocket).",
            },
            "deviceToken": {
                "type": "userPassword",
                "description": "MQTT CONNECT: the device's access token as the password; the \
                    user name is free locally, `?x-amz-customauthorizer-name=bookworm-<stage>-devices` \
                    on AWS IoT Core.",
            }},
        },
    })
}

/// What a device publishes: `POST /publish/{shop_id}`'s body.
fn device_action(payload: Value) -> Value {
    json!({
        "name": "device.action",
        "title": "Checkout action",
        "summary": "One checkout action of the shop, as `POST /publish/{shop_id}` takes it (at most 64 KiB).",
        "contentType": "application/json",
        "payload": payload,
    })
}

/// The message of one event type: the CloudEvents envelope, with this type and its `data`.
fn event_message(kind: &str, variant: &Value) -> Value {
    json!({
        "name": kind,
        "title": kind,
        "summary": variant["description"].as_str().unwrap_or(kind),
        "contentType": "application/json",
        "payload": {
            "type": "object",
            "required": ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"],
            "properties": {
                "specversion": { "const": "1.0" },
                "id": { "type": "string", "format": "uuid", "description": "Unique per event: deduplicate by it." },
                "source": { "type": "string", "pattern": "^/shops/[0-9a-f-]{36}$", "description": "`/shops/<shop id>`." },
                "type": { "const": kind },
                "time": { "type": "string", "format": "date-time", "description": "When it happened (UTC, milliseconds)." },
                "subject": { "type": "string", "description": "What it is about: `sessions/<id>`, `baskets/<id>`, `orders/<id>` or `books/<book id>/reviews/<review id>`." },
                "datacontenttype": { "const": "application/json" },
                "data": variant["properties"]["data"],
            },
            "additionalProperties": false,
        },
    })
}

fn ping() -> Value {
    json!({
        "name": "ping",
        "title": "Ping",
        "summary": "The `ping` route (API Gateway selects routes by `action`).",
        "payload": {
            "type": "object",
            "required": ["action"],
            "properties": { "action": { "const": "ping" } },
        },
    })
}

/// API Gateway's own answer to a message no route takes (any `action` but `ping`).
fn refused() -> Value {
    json!({
        "name": "refused",
        "title": "Refused",
        "summary": "API Gateway's answer to a message with an `action` no route takes: `ping` and the chat actions are the routes.",
        "payload": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": { "type": "string", "examples": ["Forbidden"] },
                "connectionId": { "type": "string" },
                "requestId": { "type": "string" },
            },
        },
    })
}

fn pong() -> Value {
    json!({
        "name": "pong",
        "title": "Pong",
        "summary": "The answer to a ping.",
        "payload": {
            "type": "object",
            "required": ["type"],
            "properties": { "type": { "const": "pong" } },
            "additionalProperties": false,
        },
    })
}
