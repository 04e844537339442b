//! The local stack is as strict as API Gateway, so that what works locally works deployed:
//! every refusal is problem+json, request heads are bounded, the authorizer's cache holds only
//! verdicts worth keeping, slow, idle and surplus connections are let go, WebSocket messages
//! are bounded and never select a `$` route, a request with two Hosts or Origins is refused,
//! and the template's CORS configuration is served.

use std::time::Duration;

use bookworm_local::Limits;
use e2e::LocalStack;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";

/// `request` (a whole HTTP/1.1 request) on its own connection; the whole answer as text.
async fn raw(stack: &LocalStack, request: &str) -> String {
    let mut connection =
        tokio::net::TcpStream::connect(stack.base.trim_start_matches("http://")).await.unwrap();
    connection.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = connection.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    response.json().await.unwrap()
}

/// Item 4: axum's path extractor answered `text/plain` ("Invalid URL: Invalid UTF-8 in `id`").
#[tokio::test]
async fn a_path_parameter_that_is_not_utf8_is_a_problem_naming_it() {
    let stack = LocalStack::start().await;
    let body = problem(stack.get("/books/%ff%fe").await, 400).await;
    assert_eq!(body["errors"][0]["field"], "id", "{body}");
}

/// Item 6: API Gateway refuses a request line and headers over 10,240 bytes with 431.
#[tokio::test]
async fn request_heads_over_10_kb_are_refused() {
    let stack = LocalStack::start().await;
    let header = |size: usize| "x".repeat(size);
    let small =
        stack.client.get(stack.url("/health")).header("x-pad", header(9 * 1024)).send().await.unwrap();
    assert_eq!(small.status(), 200);
    let large =
        stack.client.get(stack.url("/health")).header("x-pad", header(10 * 1024)).send().await.unwrap();
    problem(large, 431).await;
    let token = format!("Bearer {}", header(390 * 1024));
    let huge = stack.client.get(stack.url("/me")).header("authorization", token).send().await.unwrap();
    assert_eq!(huge.status(), 431);
}

/// Item 6: a refusal of something that is not even a token is not remembered (anyone could
/// fill the cache with them); a verdict on a well-formed token is.
#[tokio::test]
async fn only_verdicts_of_well_formed_tokens_are_cached() {
    let stack = LocalStack::start().await;
    for garbage in ["not-a-token", "a.b", "a.b.c!"] {
        let response = stack.client.get(stack.url("/me")).bearer_auth(garbage).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }
    assert!(stack.stack.verdicts.is_empty(), "{} verdicts cached", stack.stack.verdicts.len());
    let token = stack.token(&["customer"], &[]);
    let response = stack.client.get(stack.url("/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(stack.stack.verdicts.len(), 1);
}

async fn merchant_socket(
    stack: &LocalStack,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!(
        "{}/ws?shop_id={SHOP}&token={}",
        stack.base.replace("http://", "ws://"),
        stack.token(&["merchant"], &[SHOP])
    );
    connect_async(url).await.expect("upgrade").0
}

/// Item 8: API Gateway closes a socket whose frame is over 32 KB (messages: 128 KB) with 1009.
#[tokio::test]
async fn a_websocket_frame_over_32_kb_is_closed_with_1009() {
    let stack = LocalStack::start().await;
    let mut small = merchant_socket(&stack).await;
    small
        .send(Message::text(format!(r#"{{"action":"ping","pad":"{}"}}"#, "x".repeat(30 * 1024))))
        .await
        .unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), small.next()).await.unwrap();
    assert!(matches!(pong, Some(Ok(Message::Text(ref text))) if text.contains("pong")), "{pong:?}");

    let mut large = merchant_socket(&stack).await;
    let _ = large.send(Message::text("x".repeat(200 * 1024))).await;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), large.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(close.map(|frame| frame.code), Some(CloseCode::Size));
}

/// Item 9: `{"action":"$disconnect"}` ran the disconnect route: the socket stayed open but its
/// connection record was gone, so it silently stopped receiving events.
#[tokio::test]
async fn a_message_never_selects_a_dollar_route() {
    let stack = LocalStack::start().await;
    let mut socket = merchant_socket(&stack).await;
    for action in ["$disconnect", "$connect", "$default"] {
        socket.send(Message::text(format!(r#"{{"action":"{action}"}}"#))).await.unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
        assert!(
            matches!(reply, Some(Ok(Message::Text(ref text))) if text.contains("Forbidden")),
            "{reply:?}"
        );
    }
    use bookworm_domain::ports::Connections;
    let listening = stack.stack.stores.shop.for_shop(SHOP.parse().unwrap()).await.unwrap();
    assert_eq!(listening.len(), 1, "the connection record is kept");
}

/// Item 10: with two Host headers only the first was checked (`Host: 127.0.0.1` then
/// `Host: evil.example` read the outbox). RFC 9112 §3.2: more than one Host is a 400.
#[tokio::test]
async fn a_request_with_two_hosts_or_two_origins_is_refused() {
    let stack = LocalStack::start().await;
    let two_hosts =
        "GET /_local/outbox HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n";
    let answer = raw(&stack, two_hosts).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let two_origins = "GET /_local/outbox HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n\
                       Origin: https://evil.example\r\nConnection: close\r\n\r\n";
    let answer = raw(&stack, two_origins).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let one =
        raw(&stack, "GET /_local/outbox HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await;
    assert!(one.starts_with("HTTP/1.1 200"), "{one}");
}

/// Item 11: the template's HttpApi CorsConfiguration (AllowOrigins: the AllowedOrigins
/// parameter, `*` by default): API Gateway answers preflights itself and adds the headers.
#[tokio::test]
async fn the_templates_cors_configuration_is_served() {
    let stack = LocalStack::start().await;
    let preflight = stack
        .client
        .request(reqwest::Method::OPTIONS, stack.url("/books"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(
        headers["access-control-allow-headers"].to_str().unwrap().to_lowercase().contains("idempotency-key")
    );
    assert_eq!(headers["access-control-max-age"], "600");
    let simple =
        stack.client.get(stack.url("/books")).header("origin", "https://app.example").send().await.unwrap();
    assert_eq!(simple.status(), 200);
    assert_eq!(simple.headers()["access-control-allow-origin"], "*");
}

/// Item 7: one header line every 100 ms kept a connection as long as the client liked, and an
/// idle keep-alive connection was kept for ever. Here the head must arrive within 300 ms.
#[tokio::test]
async fn a_head_sent_slowly_and_an_idle_connection_are_let_go() {
    let limits = Limits { header_read_timeout: Duration::from_millis(300), ..Limits::default() };
    let stack = LocalStack::start_limited(limits).await;
    let address = stack.base.trim_start_matches("http://").to_owned();

    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let mut cut_off = false;
    for line in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut byte = [0; 1];
        let closed = tokio::time::timeout(Duration::from_millis(1), slow.read(&mut byte)).await;
        if matches!(closed, Ok(Ok(0) | Err(_)))
            || slow.write_all(format!("X-{line}: y\r\n").as_bytes()).await.is_err()
        {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "a head trickled in over 3 s and the connection is still open");

    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(format!("GET /health HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let read = idle.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));
    let closed = tokio::time::timeout(Duration::from_secs(3), idle.read(&mut answer)).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "an idle connection kept past 3 s: {closed:?}");
}

/// Item 7: past the connection cap a new connection gets a 503 saying so (not silence), and
/// is served again once a connection has closed.
#[tokio::test]
async fn a_connection_past_the_cap_is_refused_with_503() {
    let stack = LocalStack::start_limited(Limits { max_connections: 2, ..Limits::default() }).await;
    let address = stack.base.trim_start_matches("http://").to_owned();
    let first = tokio::net::TcpStream::connect(&address).await.unwrap();
    let _second = tokio::net::TcpStream::connect(&address).await.unwrap();
    let health = format!("GET /health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let refused = raw(&stack, &health).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("application/problem+json") && refused.contains("limit"), "{refused}");
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let answer = raw(&stack, &health).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no slot came back: {answer}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
