//! How the local stack treats connections: a refused request with a body never costs the
//! client its keep-alive connection, a publish reaches a connected merchant within a few
//! milliseconds, and the authorizer's verdict is cached per token as API Gateway does.

use std::time::{Duration, Instant};

use e2e::LocalStack;
use futures::StreamExt;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
const SHOPPER: &str = "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94";

fn action(action_id: u64) -> String {
    format!(
        r#"{{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"{SHOP}","shopper_id":"{SHOPPER}","action_id":{action_id},"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}}"#
    )
}

/// On one keep-alive connection: a POST with a 32 KB body answered before its body is needed
/// (401: no token; 404: no such route), then a second request, which must be answered. Left
/// unread, the body made hyper close the connection without saying so in the answer: a client
/// that had already sent its next request on it (httpx: 4 in 800) saw it closed unanswered.
/// (reqwest hides this by checking pooled connections before reuse, so the test speaks raw HTTP.)
#[tokio::test]
async fn a_second_request_on_the_connection_of_a_refused_post_is_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stack = LocalStack::start().await;
    let address = stack.base.trim_start_matches("http://").to_owned();
    for path in [format!("/publish/{SHOP}"), "/nowhere".to_owned()] {
        let mut connection = tokio::net::TcpStream::connect(&address).await.unwrap();
        let body = "x".repeat(32 * 1024);
        let refused = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        connection.write_all(refused.as_bytes()).await.unwrap();
        let mut first = vec![0; 4096];
        let read = connection.read(&mut first).await.unwrap();
        let first = String::from_utf8_lossy(&first[..read]).into_owned();
        assert!(first.starts_with("HTTP/1.1 40"), "{first}");
        assert!(!first.to_ascii_lowercase().contains("connection: close"), "{first}");
        let next = format!("GET /health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        let mut second = Vec::new();
        let sent = connection.write_all(next.as_bytes()).await;
        let received = connection.read_to_end(&mut second).await;
        let second = String::from_utf8_lossy(&second).into_owned();
        assert!(
            sent.is_ok() && received.is_ok() && second.contains(r#"{"status":"ok"}"#),
            "after POST {path}: {sent:?} {received:?} {second:?}"
        );
    }
}

/// A body too large to drain is not read: the answer closes the connection on purpose.
#[tokio::test]
async fn an_early_answer_to_a_large_body_says_it_closes_the_connection() {
    let stack = LocalStack::start().await;
    let response =
        stack.client.post(stack.url("/nowhere")).body(vec![b'x'; 1024 * 1024]).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["connection"], "close");
    let small = stack.client.post(stack.url("/nowhere")).body("{}").send().await.unwrap();
    assert_eq!(small.status(), 404);
    assert!(!small.headers().contains_key("connection"), "a small body is drained, the connection kept");
}

/// Publish → merchant on loopback, 200 times in a row, the whole path: handler, group commit,
/// bus, fan-out, socket. The bounds are loose on purpose (a debug build on a busy machine);
/// `scripts/bench http` reports the release figures under load. Without TCP_NODELAY (set in
/// connections.rs on every accepted socket) a frame waits for a delayed ACK, up to 40 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_reaches_a_connected_merchant_without_waiting_for_an_ack() {
    let stack = LocalStack::start().await;
    let url = format!(
        "{}/ws?shop_id={SHOP}&token={}",
        stack.base.replace("http://", "ws://"),
        stack.token(&["merchant"], &[SHOP])
    );
    let (mut socket, _) = connect_async(url).await.expect("upgrade");
    let token = stack.token_as(SHOPPER, &["customer"], &[]);
    let mut latencies = Vec::new();
    for action_id in 0..200 {
        let sent = Instant::now();
        let response = stack
            .client
            .post(stack.url(&format!("/publish/{SHOP}")))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(action(action_id))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        loop {
            match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
                Ok(Some(Ok(Message::Text(_)))) => break,
                Ok(Some(Ok(_))) => continue,
                other => panic!("no event for publish {action_id}: {other:?}"),
            }
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    let (p50, p90, p99) = (latencies[100], latencies[180], latencies[198]);
    println!("publish → merchant over 200: p50 {p50:?}, p90 {p90:?}, p99 {p99:?}");
    assert!(p50 < Duration::from_millis(5), "p50 {p50:?} (p90 {p90:?}, p99 {p99:?})");
    assert!(p90 < Duration::from_millis(20), "p90 {p90:?}: frames waiting for an ACK?");
}

/// One token, many requests: verified once and then served from the cache; yet a token that
/// expires within the cache time is refused from then on (the functions check its expiry).
#[tokio::test]
async fn the_verdict_is_cached_per_token_and_expiry_still_applies() {
    let stack = LocalStack::start().await;
    let cached_before = stack.stack.verdicts.len();
    let token = stack.token_for(&["customer"], &[], 2);
    for _ in 0..5 {
        let response = stack.client.get(stack.url("/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(stack.stack.verdicts.len(), cached_before + 1, "one verdict for five requests");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let late = stack.client.get(stack.url("/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(late.status(), 401, "the cached verdict does not outlive the token");
}
