//! The admins' orders feed over a real WebSocket (`/ws?feed=orders`): an admin's socket gets
//! every shop's order events, and nothing else; anyone else asking for it is refused.

use std::time::Duration;

use e2e::LocalStack;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SHOP_A: &str = "123e4567-e89b-42d3-a456-426614174000";
const SHOP_B: &str = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const SAMPLE: &str = r#"{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"123e4567-e89b-42d3-a456-426614174000","shopper_id":"ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","action_id":101,"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}"#;

fn feed_url(stack: &LocalStack, query: &str, token: &str) -> String {
    format!("{}/ws?{query}&token={token}", stack.base.replace("http://", "ws://"))
}

/// The next text message, or `None` if none comes within `wait`.
async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                return Some(serde_json::from_str(&text).expect("JSON message"));
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// A checkout in `shop` by `buyer`: the order.
async fn checkout(stack: &LocalStack, shop: &str, buyer: &str) -> Value {
    let token = stack.token_as(buyer, &["customer"], &[]);
    let book = stack.get_json("/books?limit=1", 200).await["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/shops/{shop}/basket/items/{book}");
    assert_eq!(stack.call(&token, "PUT", &path, Some(json!({"quantity": 1}))).await.0, 200);
    let response = stack
        .client
        .post(stack.url(&format!("/shops/{shop}/checkout")))
        .bearer_auth(&token)
        .header("Idempotency-Key", format!("{buyer}-{shop}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_admins_feed_gets_every_shops_order_events_and_nothing_else() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    let (mut feed, response) = connect_async(feed_url(&stack, "feed=orders", &admin)).await.expect("upgrade");
    assert_eq!(response.status(), 101);

    // A shop's own event that is no order (an in-store action) does not reach the feed.
    let shopper = stack.token_as("ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94", &["customer"], &[]);
    let published = stack
        .client
        .post(stack.url(&format!("/publish/{SHOP_A}")))
        .bearer_auth(&shopper)
        .header("content-type", "application/json")
        .body(SAMPLE)
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);

    for (shop, buyer) in [(SHOP_A, "ann-1"), (SHOP_B, "bob-2")] {
        let order = checkout(&stack, shop, buyer).await;
        // Basket events are not orders either: the first message is the checkout.
        let message = next_message(&mut feed, Duration::from_secs(5)).await.expect("the checkout, live");
        assert_eq!(message["type"], "com.bookworm.checkout.completed", "{message}");
        assert_eq!(message["data"]["order_id"], order["id"], "{message}");
        assert!(message["source"].as_str().unwrap().contains(shop), "{message}");
    }
    let order = checkout(&stack, SHOP_A, "cy-3").await;
    let id = order["id"].as_str().unwrap();
    let _ = next_message(&mut feed, Duration::from_secs(5)).await.expect("the third checkout");
    assert_eq!(stack.call(&admin, "PATCH", &format!("/orders/{id}/cancel"), None).await.0, 200);
    let cancelled = next_message(&mut feed, Duration::from_secs(5)).await.expect("the cancellation");
    assert_eq!(cancelled["type"], "com.bookworm.order.cancelled", "{cancelled}");
    assert_eq!(next_message(&mut feed, Duration::from_millis(500)).await, None, "each event once");
}

#[tokio::test]
async fn only_admins_may_watch_the_orders_feed() {
    let stack = LocalStack::start().await;
    let refused = |url: String| async move {
        match connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
            other => panic!("expected a refused upgrade, got {:?}", other.map(|(_, r)| r.status())),
        }
    };
    for (roles, shops) in
        [(vec!["merchant"], vec![SHOP_A]), (vec!["customer"], vec![]), (vec!["support"], vec![])]
    {
        let token = stack.token(&roles, &shops);
        assert_eq!(refused(feed_url(&stack, "feed=orders", &token)).await, 403, "{roles:?}");
    }
    let admin = stack.token(&["admin"], &[]);
    assert_eq!(refused(feed_url(&stack, "feed=reviews", &admin)).await, 400, "no such feed");
    assert_eq!(refused(feed_url(&stack, &format!("feed=orders&shop_id={SHOP_A}"), &admin)).await, 400);
    let feed_id = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    let merchant = stack.token(&["merchant"], &[feed_id]);
    assert_eq!(
        refused(feed_url(&stack, &format!("shop_id={feed_id}"), &merchant)).await,
        400,
        "not by its id"
    );
}
