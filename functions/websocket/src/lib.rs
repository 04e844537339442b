//! The WebSocket API's routes, as vouched for by the authorizer:
//!
//! - `$connect`: `?shop_id=` admits that shop's merchants (and admins) to its events;
//!   `?feed=orders` admits admins only to every shop's order events (the back office);
//!   `?channel=support` admits anyone signed in to support chat (agents see the queue's and
//!   their conversations' events, customers their own). Any other answer refuses the upgrade.
//! - `$disconnect` forgets the connection; `ping` answers `{"type":"pong"}`.
//! - `chat.send` (answered `{"type":"chat.ack",…}` once stored), `chat.typing`, `chat.read`:
//!   support chat, by the same rules as over HTTPS (the `support` function's [`Chat`]).

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::events::ORDERS_FEED;
use bookworm_domain::identity::Role;
use bookworm_domain::ids::{ConnectionId, ConversationId, MessageId, ShopId};
use bookworm_domain::ports::{Channel, Connection, Connections};
use bookworm_domain::support::{AuthorRole, NewMessage, is_agent};
use bookworm_http::access::{principal_from_context, token_expiry};
use serde_json::{Value, json};
use support::chat::Chat;

/// What the routes work with.
pub struct Routes<'a> {
    pub connections: &'a dyn Connections,
    pub chat: Chat<'a>,
}

pub async fn handle(routes: &Routes<'_>, event: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let outcome = route(routes, &event).await;
    let context = &event.request_context;
    match outcome {
        Ok(body) => response(200, body),
        // The one mapping from errors to answers every HTTP function uses (problem+json).
        Err(error) => {
            let problem = bookworm_http::problem_response(&error, context.request_id.as_deref());
            let status = i64::from(problem.status().as_u16());
            let body = with_client_message_id(problem.body().as_ref(), &event);
            let mut answer = response(status, Some(body));
            answer.headers = problem.headers().clone();
            answer
        }
    }
}

/// The problem's JSON, with the refused message's `client_message_id` when the action named
/// one: a client with several messages in flight learns which one was refused.
fn with_client_message_id(problem: &[u8], event: &ApiGatewayWebsocketProxyRequest) -> String {
    let sent = event.body.as_deref().and_then(|body| serde_json::from_str::<Value>(body).ok());
    let id = sent.as_ref().and_then(|sent| sent.get("client_message_id")).filter(|id| id.is_string());
    match (serde_json::from_slice::<serde_json::Map<String, Value>>(problem), id) {
        (Ok(mut problem), Some(id)) => {
            problem.insert("client_message_id".into(), id.clone());
            Value::Object(problem).to_string()
        }
        _ => String::from_utf8_lossy(problem).into_owned(),
    }
}

async fn route(
    routes: &Routes<'_>,
    event: &ApiGatewayWebsocketProxyRequest,
) -> Result<Option<String>, Error> {
    let connections = routes.connections;
    // API Gateway names the connection of every `$connect` and `$disconnect`.
    let connection_id = || {
        ConnectionId::parse(
            "connectionId",
            event.request_context.connection_id.as_deref().unwrap_or_default(),
        )
    };
    match event.request_context.route_key.as_deref() {
        Some("$connect") => connect(connections, event, connection_id()?).await,
        Some("$disconnect") => connections.remove(&connection_id()?).await.map(|()| None),
        Some("ping") => Ok(Some(json!({"type": "pong"}).to_string())),
        Some(action @ ("chat.send" | "chat.typing" | "chat.read")) => chat(routes, event, action).await,
        other => Err(Error::invalid("action", format!("no route {}", other.unwrap_or("")))),
    }
}

async fn connect(
    connections: &dyn Connections,
    event: &ApiGatewayWebsocketProxyRequest,
    connection_id: ConnectionId,
) -> Result<Option<String>, Error> {
    let fields = &event.request_context.authorizer.fields;
    let principal = principal_from_context(fields)?;
    let query = &event.query_string_parameters;
    if let Some(feed) = query.first("feed") {
        if feed != "orders" || query.first("channel").is_some() || query.first("shop_id").is_some() {
            return Err(Error::invalid("feed", "must be orders, without channel or shop_id"));
        }
        if !principal.has(Role::Admin) {
            return Err(Error::Forbidden("only admins may watch every shop's orders".into()));
        }
    }
    let channel = match (query.first("channel"), query.first("shop_id")) {
        _ if query.first("feed").is_some() => Channel::Shop(ORDERS_FEED),
        (Some("support"), None) => {
            Channel::Support(if is_agent(&principal) { AuthorRole::Support } else { AuthorRole::Customer })
        }
        (Some(_), _) => return Err(Error::invalid("channel", "must be support, without shop_id")),
        (None, shop) => {
            let shop: ShopId = shop.and_then(|text| text.parse().ok()).ok_or_else(|| {
                Error::invalid("shop_id", "must name the shop to watch (a UUID), or give channel=support")
            })?;
            if shop == ORDERS_FEED {
                return Err(Error::invalid("shop_id", "is the orders feed's id: ask for feed=orders"));
            }
            if !principal.works_for(shop) {
                return Err(Error::Forbidden("only this shop's merchants and admins may watch it".into()));
            }
            Channel::Shop(shop)
        }
    };
    let connection = Connection {
        id: connection_id,
        channel,
        user_id: principal.user_id,
        connected_at: now_rfc3339(),
        // Fan-out ends the socket when the token does (principal_from_context checked it is set).
        token_expires_at: token_expiry(fields).unwrap_or_default(),
    };
    connections.add(&connection).await?;
    tracing::info!(channel = ?connection.channel, connection = %connection.id, "connected");
    Ok(None)
}

/// A chat action: `{"action", "conversation_id", …}`, the rest as the HTTPS route takes it.
async fn chat(
    routes: &Routes<'_>,
    event: &ApiGatewayWebsocketProxyRequest,
    action: &str,
) -> Result<Option<String>, Error> {
    let principal = principal_from_context(&event.request_context.authorizer.fields)?;
    let mut body: serde_json::Map<String, Value> =
        serde_json::from_str(event.body.as_deref().unwrap_or_default())
            .map_err(|e| Error::invalid("body", format!("must be a JSON object: {e}")))?;
    body.remove("action");
    let conversation = match body.remove("conversation_id") {
        Some(Value::String(id)) => ConversationId::parse("conversation_id", &id)?,
        _ => return Err(Error::invalid("conversation_id", "is required (a UUID)")),
    };
    let chat = &routes.chat;
    match action {
        "chat.send" => {
            let input: NewMessage = serde_json::from_value(Value::Object(body))
                .map_err(|e| Error::invalid("body", e.to_string()))?;
            let sent = chat.send(&principal, conversation, input).await?;
            let message = &sent.message;
            let ack = json!({"type": "chat.ack", "conversation_id": conversation, "client_message_id": message.client_message_id,
                "message_id": message.id, "seq": message.seq, "created": sent.created});
            Ok(Some(ack.to_string()))
        }
        "chat.typing" => chat.typing(&principal, conversation).await.map(|()| None),
        _ => {
            let message = match body.remove("message_id") {
                Some(Value::String(id)) => MessageId::parse("message_id", &id)?,
                _ => return Err(Error::invalid("message_id", "is required (a UUID)")),
            };
            chat.read(&principal, conversation, message).await.map(|()| None)
        }
    }
}

fn response(status: i64, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.body = body.map(Body::Text);
    response
}
