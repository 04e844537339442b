//! Shop real time through the local stack with a real WebSocket client: who may watch a
//! shop, and that each shop's events reach its merchants, exactly once, and nobody else.

use std::time::Duration;

use bookworm_domain::ports::{Connection, Connections};
use bookworm_local::{AuthConfig, PushBackend};
use e2e::LocalStack;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SHOP_A: &str = "123e4567-e89b-42d3-a456-426614174000";
const SHOP_B: &str = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const SHOPPER: &str = "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94";
const SAMPLE: &str = r#"{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"123e4567-e89b-42d3-a456-426614174000","shopper_id":"ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","action_id":101,"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}"#;

fn ws_url(stack: &LocalStack, shop: &str, token: &str) -> String {
    format!("{}/ws?shop_id={shop}&token={token}", stack.base.replace("http://", "ws://"))
}

async fn watch(stack: &LocalStack, shop: &str) -> Socket {
    watch_with(stack, shop, &stack.token(&["merchant"], &[shop])).await
}

async fn watch_with(stack: &LocalStack, shop: &str, token: &str) -> Socket {
    let (socket, response) = connect_async(ws_url(stack, shop, token)).await.expect("upgrade");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text message, or `None` if none comes within `wait`.
async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message = serde_json::from_str(&text).expect("JSON message");
                e2e::assert_conforms_to_asyncapi(&message);
                return Some(message);
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// The in-store app's call, signed in as the sample's shopper.
async fn publish(stack: &LocalStack, shop: &str, body: &str) -> reqwest::Response {
    publish_as(stack, &stack.token_as(SHOPPER, &["customer"], &[]), shop, body).await
}

async fn publish_as(stack: &LocalStack, token: &str, shop: &str, body: &str) -> reqwest::Response {
    stack
        .client
        .post(stack.url(&format!("/publish/{shop}")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_publish_reaches_its_shops_merchant_exactly_once_as_a_cloud_event_and_nobody_else() {
    let stack = LocalStack::start().await;
    let mut merchant_a = watch(&stack, SHOP_A).await;
    let mut merchant_b = watch(&stack, SHOP_B).await;

    let response = publish(&stack, SHOP_A, SAMPLE).await;
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply, json!({"status": format!("Message sent to shop ID {SHOP_A}")}));

    let event =
        next_message(&mut merchant_a, Duration::from_secs(5)).await.expect("merchant A gets the event");
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], "com.bookworm.checkout.action");
    assert_eq!(event["source"], format!("/shops/{SHOP_A}"));
    for attribute in ["id", "time", "subject"] {
        assert!(event[attribute].is_string(), "{attribute}: {event}");
    }
    let posted: Value = serde_json::from_str(SAMPLE).unwrap();
    assert_eq!(event["data"], posted, "data is the posted body, field for field");

    assert_eq!(next_message(&mut merchant_a, Duration::from_millis(300)).await, None, "exactly once");
    assert_eq!(
        next_message(&mut merchant_b, Duration::from_millis(300)).await,
        None,
        "never to another shop"
    );

    let history = stack
        .client
        .get(stack.url(&format!("/shops/{SHOP_A}/events")))
        .bearer_auth(stack.token(&["merchant"], &[SHOP_A]))
        .send()
        .await
        .unwrap();
    assert_eq!(history.status(), 200);
    let history: Value = history.json().await.unwrap();
    assert_eq!(history["items"][0], event, "the archive holds what was pushed");
    let foreign = stack
        .client
        .get(stack.url(&format!("/shops/{SHOP_A}/events")))
        .bearer_auth(stack.token(&["merchant"], &[SHOP_B]))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
}

#[tokio::test]
async fn only_the_shops_merchants_and_admins_may_connect() {
    let stack = LocalStack::start().await;
    let refused = |url: String| async move {
        match connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
            other => panic!("expected a refused upgrade, got {:?}", other.map(|(_, r)| r.status())),
        }
    };
    let other_shop = stack.token(&["merchant"], &[SHOP_B]);
    assert_eq!(refused(ws_url(&stack, SHOP_A, &other_shop)).await, 403, "another shop's merchant");
    assert_eq!(refused(ws_url(&stack, SHOP_A, &stack.token(&["customer"], &[]))).await, 403, "a customer");
    assert_eq!(refused(ws_url(&stack, SHOP_A, "forged.token.value")).await, 403, "a forged token");
    let no_token = format!("{}/ws?shop_id={SHOP_A}", stack.base.replace("http://", "ws://"));
    assert_eq!(refused(no_token).await, 401, "no token");
    assert_eq!(refused(ws_url(&stack, "not-a-shop", &other_shop)).await, 400, "no valid shop");

    let admin = stack.token(&["admin"], &[]);
    let (mut socket, _) = connect_async(ws_url(&stack, SHOP_A, &admin)).await.expect("admins watch any shop");
    socket.send(Message::text(r#"{"action":"ping"}"#)).await.unwrap();
    assert_eq!(next_message(&mut socket, Duration::from_secs(5)).await, Some(json!({"type": "pong"})));
}

#[tokio::test]
async fn a_connection_that_went_away_is_dropped_and_the_others_still_receive() {
    went_away(PushBackend::Embedded).await;
}

#[tokio::test]
async fn through_the_management_api_a_gone_connection_answers_410_and_is_dropped() {
    // Through @connections with the AWS SDK client, as in Lambda: the 410 Gone is real.
    went_away(PushBackend::ManagementApi).await;
}

async fn went_away(push: PushBackend) {
    let stack = LocalStack::start_configured(AuthConfig::default(), push).await;
    let mut staying = watch(&stack, SHOP_A).await;
    let mut leaving = watch(&stack, SHOP_A).await;
    leaving.close(None).await.unwrap();
    // A connection whose socket died without a $disconnect: only a 410 from @connections tells.
    let stale = Connection {
        id: "stale-connection".parse().unwrap(),
        channel: bookworm_domain::ports::Channel::Shop(SHOP_A.parse().unwrap()),
        user_id: "gone".parse().unwrap(),
        connected_at: String::new(),
        token_expires_at: 0,
    };
    stack.stack.stores.shop.add(&stale).await.unwrap();

    assert_eq!(publish(&stack, SHOP_A, SAMPLE).await.status(), 200);
    let event =
        next_message(&mut staying, Duration::from_secs(5)).await.expect("the staying merchant receives");
    assert_eq!(event["data"]["product_name"], "FUJI Apples");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let remaining = stack.stack.stores.shop.for_shop(SHOP_A.parse().unwrap()).await.unwrap();
    assert_eq!(remaining.len(), 1, "the closed and the stale connection are gone: {remaining:?}");
}

#[tokio::test]
async fn bad_publishes_are_problems_naming_the_field() {
    let stack = LocalStack::start().await;
    let mut sample: Value = serde_json::from_str(SAMPLE).unwrap();
    let cases: Vec<(String, &str, &str)> = vec![
        (SAMPLE.to_owned(), SHOP_B, "shop_id"),
        ("{not json".to_owned(), SHOP_A, "body"),
        (
            {
                sample.as_object_mut().unwrap().remove("UPC");
                sample.to_string()
            },
            SHOP_A,
            "UPC",
        ),
        (SAMPLE.replace("101", "\"one\""), SHOP_A, "action_id"),
        (SAMPLE.replace("4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94", "session-1"), SHOP_A, "session_id"),
        (SAMPLE.replace("2023-12-18T10:30:00.000Z", "yesterday"), SHOP_A, "create_time"),
        (SAMPLE.to_owned(), "not-a-uuid", "shop_id"),
    ];
    for (body, shop, field) in cases {
        let response = publish(&stack, shop, &body).await;
        assert_eq!(response.status(), 400, "{field}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let anonymous =
        stack.client.post(stack.url(&format!("/publish/{SHOP_A}"))).body(SAMPLE).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn only_the_shopper_the_shops_merchants_and_admins_may_publish() {
    let stack = LocalStack::start().await;
    let cases = [
        (stack.token_as(SHOPPER, &["customer"], &[]), 200, "the shopper"),
        (stack.token(&["merchant"], &[SHOP_A]), 200, "the shop's merchant"),
        (stack.token(&["admin"], &[]), 200, "an admin"),
        (stack.token_as(&uuid::Uuid::new_v4().to_string(), &["customer"], &[]), 403, "another shopper"),
        (stack.token(&["customer"], &[]), 403, "a customer whose id is no UUID"),
        (stack.token(&["merchant"], &[SHOP_B]), 403, "another shop's merchant"),
    ];
    for (token, status, who) in cases {
        assert_eq!(publish_as(&stack, &token, SHOP_A, SAMPLE).await.status(), status, "{who}");
    }
    let huge = SAMPLE.replace("FUJI Apples", &"x".repeat(70 * 1024));
    let response = publish(&stack, SHOP_A, &huge).await;
    assert_eq!(response.status(), 413);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "body", "{problem}");
}

#[tokio::test]
async fn a_merchants_socket_ends_with_their_token() {
    let stack = LocalStack::start().await;
    let short = stack.token_for(&["merchant"], &[SHOP_A], 3);
    let mut expiring = watch_with(&stack, SHOP_A, &short).await;
    let mut staying = watch(&stack, SHOP_A).await;
    tokio::time::sleep(Duration::from_millis(4500)).await;

    assert_eq!(publish(&stack, SHOP_A, SAMPLE).await.status(), 200);
    assert!(
        next_message(&mut staying, Duration::from_secs(5)).await.is_some(),
        "a valid token still receives"
    );
    // The expired socket gets no event: the server closes it instead.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match expiring.next().await {
                Some(Ok(Message::Text(text))) => return Err(format!("received {text}")),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(()),
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(Ok(())), "the expired socket is closed without the event");
}
