//! The local stack's `/_local/metrics`: what the functions record reaches it, as CloudWatch
//! would get it from their EMF lines. A checkout counts an order; a publish to a merchant online
//! counts the event and its fan-out latency; each route its requests.

use std::time::Duration;

use e2e::LocalStack;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
const SHOPPER: &str = "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94";

async fn metrics(stack: &LocalStack) -> String {
    let response = stack.get("/_local/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    response.text().await.unwrap()
}

/// The value of the sample `series` (its name and labels exactly), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn a_checkout_counts_an_order_and_a_fan_out_its_latency() {
    let stack = LocalStack::start().await;
    let url = format!(
        "{}/ws?shop_id={SHOP}&token={}",
        stack.base.replace("http://", "ws://"),
        stack.token(&["merchant"], &[SHOP])
    );
    let (mut merchant, _) = connect_async(url).await.expect("upgrade");
    let shopper = stack.token_as(SHOPPER, &["customer"], &[]);

    let books = stack.get_json("/books?sort=price&limit=50", 200).await;
    let book = books["items"].as_array().unwrap().iter().find(|b| b["status"] == "in_stock").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = stack
        .client
        .put(stack.url(&format!("/shops/{SHOP}/basket/items/{book}")))
        .bearer_auth(&shopper)
        .json(&json!({ "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let placed = stack
        .client
        .post(stack.url(&format!("/shops/{SHOP}/checkout")))
        .bearer_auth(&shopper)
        .header("Idempotency-Key", "metrics-1")
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 201);
    // The basket change and the checkout both reach the merchant: two fan-outs.
    for _ in 0..2 {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), merchant.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let _: Value = serde_json::from_str(&text).unwrap();
                    break;
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!("no event: {other:?}"),
            }
        }
    }
    let unauthenticated = stack.client.get(stack.url("/orders")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);

    // Fan-out records once it has pushed; give the bus a moment to finish its record.
    let mut text = metrics(&stack).await;
    for _ in 0..50 {
        if sample(&text, "bookworm_events_fanned_out_total{function=\"fanout\"}").is_some_and(|n| n >= 2.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        text = metrics(&stack).await;
    }
    assert_eq!(sample(&text, "bookworm_orders_placed_total{function=\"checkout\"}"), Some(1.0), "{text}");
    let checkout = "function=\"checkout\",route=\"POST /shops/{shop_id}/checkout\"";
    assert_eq!(sample(&text, &format!("bookworm_requests_total{{{checkout}}}")), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, &format!("bookworm_latency_milliseconds_count{{{checkout}}}")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "bookworm_events_fanned_out_total{function=\"fanout\"}"), Some(2.0), "{text}");
    assert_eq!(
        sample(&text, "bookworm_fanout_latency_milliseconds_count{function=\"fanout\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(sample(&text, "bookworm_connections_reached_total{function=\"fanout\"}"), Some(2.0), "{text}");
    let orders = "function=\"orders\",route=\"GET /orders\"";
    assert_eq!(
        sample(&text, &format!("bookworm_4xx_total{{{orders}}}")),
        None,
        "refused before any function: API Gateway's 401"
    );
    assert!(text.contains("# TYPE bookworm_orders_placed_total counter"), "{text}");
    assert!(sample(&text, "bookworm_local_shop_commits_total").is_some_and(|n| n >= 2.0), "{text}");
}
