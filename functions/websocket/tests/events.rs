//! Runs the WebSocket routes on the sample events in events/websocket/.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use bookworm_domain::ids::{ConnectionId, UserId};
use bookworm_domain::ports::{Connections, Delivery, Push};
use bookworm_embedded::{EmbeddedShop, EmbeddedSupport};
use support::chat::Chat;
use support::live::Live;

fn event(file: &str) -> ApiGatewayWebsocketProxyRequest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/websocket").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn body(answer: &aws_lambda_events::apigw::ApiGatewayProxyResponse) -> String {
    answer.body.as_ref().map(|body| String::from_utf8(body.to_vec()).unwrap()).unwrap_or_default()
}

/// Keeps what is pushed to which socket.
#[derive(Default)]
struct Sockets(Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl Push for Sockets {
    async fn push(&self, id: &ConnectionId, message: &[u8]) -> Result<Delivery, bookworm_domain::Error> {
        self.0.lock().unwrap().push((id.as_str().to_owned(), String::from_utf8_lossy(message).into_owned()));
        Ok(Delivery::Delivered)
    }
    async fn disconnect(&self, _: &ConnectionId) -> Result<(), bookworm_domain::Error> {
        Ok(())
    }
}

/// Customers here are connected: no reminder is left (the support function's tests count them).
struct NoReminders;

#[async_trait::async_trait]
impl bookworm_domain::ports::Reminders for NoReminders {
    async fn remind(
        &self,
        _: &bookworm_domain::support::AwayNotice,
        _: std::time::Duration,
    ) -> Result<(), bookworm_domain::Error> {
        panic!("no reminder expected")
    }
}

#[tokio::test]
async fn connect_ping_chat_and_disconnect_as_api_gateway_sends_them() {
    let store = Arc::new(EmbeddedShop::in_memory().unwrap());
    let support = EmbeddedSupport::open(store.clone()).unwrap();
    let sockets = Sockets::default();
    let routes = websocket::Routes {
        connections: store.as_ref(),
        chat: Chat {
            store: &support,
            live: Live { connections: store.as_ref(), push: &sockets },
            reminders: &NoReminders,
            away_delay: std::time::Duration::ZERO,
        },
    };
    let shop = "123e4567-e89b-42d3-a456-426614174000".parse().unwrap();

    assert_eq!(websocket::handle(&routes, event("connect-foreign-shop.json")).await.status_code, 403);
    assert!(store.for_shop(shop).await.unwrap().is_empty());
    assert_eq!(websocket::handle(&routes, event("connect.json")).await.status_code, 200);
    let listeners = store.for_shop(shop).await.unwrap();
    assert_eq!(listeners.len(), 1);
    assert_eq!(listeners[0].id, "L0SM9cOFvHcCIhw=");
    assert_eq!(listeners[0].token_expires_at, 4_102_444_800, "the token's expiry, from the authorizer");

    let pong = websocket::handle(&routes, event("ping.json")).await;
    assert_eq!(pong.status_code, 200);
    assert_eq!(body(&pong), r#"{"type":"pong"}"#);

    // Support chat: the customer's socket, on the conversation the sample opening makes.
    assert_eq!(websocket::handle(&routes, event("connect-support.json")).await.status_code, 200);
    let customer = UserId::new("5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f").unwrap();
    assert_eq!(store.for_user(&customer).await.unwrap().len(), 1, "found by its user");
    let unknown = websocket::handle(&routes, event("chat-send.json")).await;
    assert_eq!(unknown.status_code, 404, "no conversation yet: {}", body(&unknown));
    open_sample_conversation(&routes).await;
    let sent = websocket::handle(&routes, event("chat-send.json")).await;
    assert_eq!(sent.status_code, 200, "{}", body(&sent));
    let ack: serde_json::Value = serde_json::from_str(&body(&sent)).unwrap();
    assert_eq!(
        (ack["type"].as_str(), ack["seq"].as_u64(), ack["created"].as_bool()),
        (Some("chat.ack"), Some(2), Some(true))
    );
    let again: serde_json::Value =
        serde_json::from_str(&body(&websocket::handle(&routes, event("chat-send.json")).await)).unwrap();
    assert_eq!(
        (again["seq"].as_u64(), again["created"].as_bool()),
        (Some(2), Some(false)),
        "sent again: the same message"
    );
    let pushed = sockets.0.lock().unwrap().clone();
    let kinds: Vec<(&str, bool)> = pushed
        .iter()
        .map(|(socket, event)| (socket.as_str(), event.contains("com.bookworm.chat.message")))
        .collect();
    // The opening is announced (waiting), then the message, once, to the customer's own socket.
    assert_eq!(kinds, [("Sup0rtC0nn3ct1d=", false), ("Sup0rtC0nn3ct1d=", true)], "{pushed:?}");
    assert_eq!(websocket::handle(&routes, event("chat-typing.json")).await.status_code, 200);
    let read = websocket::handle(&routes, event("chat-read.json")).await;
    assert_eq!(read.status_code, 200, "{}", body(&read));

    assert_eq!(websocket::handle(&routes, event("disconnect.json")).await.status_code, 200);
    assert!(store.for_shop(shop).await.unwrap().is_empty());
}

/// The conversation `events/support/open-conversation.json` opens.
async fn open_sample_conversation(routes: &websocket::Routes<'_>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/support/open-conversation.json");
    let request = lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let catalog = bookworm_embedded::EmbeddedCatalog::in_memory().unwrap();
    let shop = EmbeddedShop::in_memory().unwrap();
    shop.seed_order(&bookworm_embedded::seed::sample_order().unwrap()).await.unwrap();
    let outbox = test_support::email::Outbox::default();
    let service = support::Support {
        chat: Chat {
            store: routes.chat.store,
            live: Live { connections: routes.connections, push: routes.chat.live.push },
            reminders: &NoReminders,
            away_delay: std::time::Duration::ZERO,
        },
        orders: &shop,
        books: &catalog,
        mailer: &outbox,
        contacts: Default::default(),
    };
    assert_eq!(support::handle(&service, request).await.status().as_u16(), 201);
}
