//! The WebSocket side of the local stack, emulating API Gateway's WebSocket API on the same
//! port: `GET /ws?shop_id=…&token=…` runs the authorizer and the `$connect` route before the
//! upgrade (refusing it when either refuses), routes each message by its `action` (never to a
//! `$` route), closes a socket whose message is over API Gateway's size limits with 1009, runs
//! `$disconnect` on close, and serves the `@connections` management API so the fan-out
//! function's AWS SDK client posts to it unchanged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bookworm_domain::clock::now_rfc3339;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::sockets::{Socket, Sockets};
use crate::stack::Stack;

/// API Gateway's limits: a message of at most 128 KB, in frames of at most 32 KB.
const MAX_MESSAGE_BYTES: usize = 128 * 1024;
const MAX_FRAME_BYTES: usize = 32 * 1024;
/// How long a closing socket's last frames (a close 1009) may take to go out.
const CLOSING: Duration = Duration::from_secs(1);

#[derive(Clone)]
struct Local {
    stack: Arc<Stack>,
    sockets: Arc<Sockets>,
}

pub fn routes(stack: Arc<Stack>, sockets: Arc<Sockets>) -> Router {
    Router::new()
        .route("/ws", get(upgrade))
        .route("/@connections/{id}", post(post_to_connection).get(get_connection).delete(delete_connection))
        .with_state(Local { stack, sockets })
}

/// A WebSocket event for the `websocket` function, as API Gateway builds it.
fn event(
    route: &str,
    kind: &str,
    connection_id: &str,
    authorizer: &HashMap<String, Value>,
) -> ApiGatewayWebsocketProxyRequest {
    let mut event = ApiGatewayWebsocketProxyRequest::default();
    event.request_context.route_key = Some(route.to_owned());
    event.request_context.event_type = Some(kind.to_owned());
    event.request_context.connection_id = Some(connection_id.to_owned());
    event.request_context.stage = Some("local".to_owned());
    event.request_context.request_id = Some(uuid::Uuid::new_v4().to_string());
    event.request_context.authorizer.fields = authorizer.clone();
    event
}

async fn upgrade(
    State(local): State<Local>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // The authorizer's identity source is the `token` query parameter: without it API
    // Gateway answers 401; a denied token, 403.
    let Some(token) = query.get("token").filter(|token| !token.is_empty()) else {
        return refuse(StatusCode::UNAUTHORIZED, "a token query parameter is required");
    };
    let verdict = authorizer::verdict_for(&local.stack.verifier, Some(token)).await;
    if verdict.get("user_id").is_none() {
        return refuse(StatusCode::FORBIDDEN, "the token was refused");
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade.max_message_size(MAX_MESSAGE_BYTES).max_frame_size(MAX_FRAME_BYTES),
        Err(rejection) => return crate::answers::problem(rejection.status(), &rejection.body_text()),
    };
    let authorizer: HashMap<String, Value> = serde_json::from_value(verdict).unwrap_or_default();
    let connection_id = connection_id();
    let mut connect = event("$connect", "CONNECT", &connection_id, &authorizer);
    connect.query_string_parameters =
        query.into_iter().map(|(k, v)| (k, vec![v])).collect::<HashMap<_, _>>().into();
    let answer = websocket::handle(&local.stack.stores.websocket(), connect).await;
    if answer.status_code != 200 {
        // The function's own refusal (problem+json), as API Gateway passes it on.
        let status = StatusCode::from_u16(answer.status_code as u16).unwrap_or(StatusCode::FORBIDDEN);
        let body = body_text(&answer);
        return (status, answer.headers, body).into_response();
    }
    let user_agent = headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned();
    upgrade.on_upgrade(move |socket| session(local, socket, connection_id, authorizer, peer, user_agent))
}

async fn session(
    local: Local,
    socket: WebSocket,
    id: String,
    authorizer: HashMap<String, Value>,
    peer: SocketAddr,
    user_agent: String,
) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut queued) = mpsc::unbounded_channel::<Message>();
    let record = Socket {
        outbox: outbox.clone(),
        connected_at: now_rfc3339(),
        source_ip: peer.ip().to_string(),
        user_agent,
    };
    local.sockets.open.lock().unwrap_or_else(PoisonError::into_inner).insert(id.clone(), record);
    let writer = tokio::spawn(async move {
        while let Some(message) = queued.recv().await {
            let closing = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
    });

    while let Some(received) = stream.next().await {
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                if is_too_big(error) {
                    let reason = "Message too big".into();
                    let _ = outbox.send(Message::Close(Some(CloseFrame { code: close_code::SIZE, reason })));
                }
                break;
            }
        };
        let text = match message {
            Message::Text(text) => text.to_string(),
            Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Message::Close(_) => break,
            _ => continue,
        };
        // Route selection: `$request.body.action`, as the template's RouteSelectionExpression.
        // The `$` routes are API Gateway's own, never a message's: `{"action":"$disconnect"}`
        // would remove the caller's connection record while its socket stays open.
        let action = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|body| body["action"].as_str().map(str::to_owned));
        let route =
            action.filter(|action| !action.starts_with('$') && local.stack.websocket_routes.contains(action));
        let Some(route) = route else {
            let _ =
                outbox.send(Message::text(json!({"message": "Forbidden", "connectionId": id}).to_string()));
            continue;
        };
        let mut message_event = event(&route, "MESSAGE", &id, &authorizer);
        message_event.body = Some(text);
        let answer = websocket::handle(&local.stack.stores.websocket(), message_event).await;
        if let Some(body) = answer.body.as_ref().map(|_| body_text(&answer)) {
            let _ = outbox.send(Message::text(body));
        }
    }

    local.sockets.remove(&id);
    let _ = websocket::handle(
        &local.stack.stores.websocket(),
        event("$disconnect", "DISCONNECT", &id, &authorizer),
    )
    .await;
    // With the last sender gone the writer sends what is queued (a close frame) and stops.
    drop(outbox);
    let writing = writer.abort_handle();
    if tokio::time::timeout(CLOSING, writer).await.is_err() {
        writing.abort();
    }
}

/// Whether a read failed on a message or frame over the limits (tungstenite's capacity error).
fn is_too_big(error: axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    matches!(error.into_inner().downcast_ref::<Error>(), Some(Error::Capacity(_)))
}

/// `POST /@connections/{id}`: the body goes down that socket; 410 Gone when it is not open.
async fn post_to_connection(State(local): State<Local>, Path(id): Path<String>, body: Bytes) -> Response {
    match local.sockets.sender(&id) {
        Some(outbox) if outbox.send(Message::text(String::from_utf8_lossy(&body).into_owned())).is_ok() => {
            StatusCode::OK.into_response()
        }
        _ => gone(&id),
    }
}

async fn get_connection(State(local): State<Local>, Path(id): Path<String>) -> Response {
    let open = local.sockets.open.lock().unwrap_or_else(PoisonError::into_inner);
    match open.get(&id) {
        Some(socket) => axum::Json(json!({
            "connectedAt": socket.connected_at,
            "lastActiveAt": socket.connected_at,
            "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent},
        }))
        .into_response(),
        None => gone(&id),
    }
}

async fn delete_connection(State(local): State<Local>, Path(id): Path<String>) -> Response {
    match local.sockets.remove(&id) {
        Some(socket) => {
            let _ = socket.outbox.send(Message::Close(None));
            StatusCode::NO_CONTENT.into_response()
        }
        None => gone(&id),
    }
}

/// API Gateway's answer for a connection that is not open, which the SDK reads as GoneException.
fn gone(id: &str) -> Response {
    let body = json!({"message": format!("connection {id} is gone")}).to_string();
    (StatusCode::GONE, [("x-amzn-errortype", "GoneException"), ("content-type", "application/json")], body)
        .into_response()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"message": message}))).into_response()
}

fn body_text(response: &ApiGatewayProxyResponse) -> String {
    match &response.body {
        Some(body) => String::from_utf8_lossy(body.as_ref()).into_owned(),
        None => String::new(),
    }
}

/// API Gateway's connection ids are short, URL-safe and unique.
fn connection_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_owned()
}
