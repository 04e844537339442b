//! In-store devices over MQTT, with a real MQTT client (Debian's mosquitto-clients) and a real
//! WebSocket client: a device's action reaches its shop's merchants as a `POST /publish` does;
//! every other attempt (another shop's topic, a customer's token, no token, another device's
//! client id, a subscription) is refused and delivers nothing; a malformed or oversized payload
//! is dropped and counted; a device whose token expires is disconnected.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e::LocalStack;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SHOP_A: &str = "123e4567-e89b-42d3-a456-426614174000";
const SHOP_B: &str = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const DEVICE: &str = "kiosk-7";

fn action(shop: &str, action_id: u64) -> Value {
    json!({
        "session_id": "4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94", "shop_id": shop,
        "shopper_id": "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94", "action_id": action_id,
        "create_time": "2023-12-18T10:30:00.000Z", "action": "ADD", "product_name": "FUJI Apples",
        "product_id": 500100, "product_price": 3.5, "UPC": "042100005264", "category_id": "fruit",
        "basket_total": 12.18
    })
}

fn topic(shop: &str) -> String {
    format!("shops/{shop}/actions")
}

/// How one `mosquitto_pub` run went: its exit status (0: connected and, at QoS 1, acknowledged)
/// and what it said.
struct Published {
    code: i32,
    stderr: String,
}

/// One message with `mosquitto_pub` at QoS 1, the payload from stdin (any bytes, any size).
fn mosquitto_pub(
    port: u16,
    client_id: &str,
    token: Option<&str>,
    topic: &str,
    payload: &[u8],
    v5: bool,
) -> Published {
    let mut command = Command::new("mosquitto_pub");
    command.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-i", client_id, "-t", topic, "-q", "1", "-s"]);
    if let Some(token) = token {
        command.args(["-u", client_id, "-P", token]);
    }
    if v5 {
        command.args(["-V", "mqttv5"]);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("mosquitto_pub (Debian's mosquitto-clients; scripts/test installs it)");
    child.stdin.take().expect("stdin").write_all(payload).expect("payload");
    let output = child.wait_with_output().expect("mosquitto_pub ran");
    Published {
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into(),
    }
}

async fn publish(
    port: u16,
    client_id: &str,
    token: Option<&str>,
    topic: &str,
    payload: Vec<u8>,
    v5: bool,
) -> Published {
    let (client_id, token, topic) = (client_id.to_owned(), token.map(str::to_owned), topic.to_owned());
    tokio::task::spawn_blocking(move || {
        mosquitto_pub(port, &client_id, token.as_deref(), &topic, &payload, v5)
    })
    .await
    .expect("mosquitto_pub's thread")
}

async fn watch(stack: &LocalStack, shop: &str) -> Socket {
    let token = stack.token(&["merchant"], &[shop]);
    let url = format!("{}/ws?shop_id={shop}&token={token}", stack.base.replace("http://", "ws://"));
    let (socket, response) = connect_async(url).await.expect("upgrade");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text message, or `None` if none comes within `wait`.
async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).expect("JSON")),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// The shop's archived events (the outbox), as its merchant reads them.
async fn history(stack: &LocalStack, shop: &str) -> Vec<Value> {
    let token = stack.token(&["merchant"], &[shop]);
    let (status, page) = stack.call(&token, "GET", &format!("/shops/{shop}/events"), None).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

/// A refused attempt: its name, the client id, the token, the topic and the payload.
type Attempt<'a> = (&'a str, &'a str, Option<&'a str>, String, &'a Vec<u8>);

fn device_token(stack: &LocalStack, shops: &[&str], ttl_seconds: u64) -> String {
    stack.mint(DEVICE, &["device"], shops, ttl_seconds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_devices_action_reaches_its_shops_merchants_as_a_publish_does() {
    let stack = LocalStack::start().await;
    let port = stack.start_broker().await;
    let (mut shop_a, mut shop_b) = (watch(&stack, SHOP_A).await, watch(&stack, SHOP_B).await);
    let token = device_token(&stack, &[SHOP_A], 600);

    for (action_id, v5) in [(101, false), (102, true)] {
        let sent = action(SHOP_A, action_id);
        let published =
            publish(port, DEVICE, Some(&token), &topic(SHOP_A), sent.to_string().into_bytes(), v5).await;
        assert_eq!(published.code, 0, "MQTT {}: {}", if v5 { 5 } else { 3 }, published.stderr);
        let message = next_message(&mut shop_a, Duration::from_secs(5)).await.expect("the merchant got it");
        e2e::assert_conforms_to_asyncapi(&message);
        assert_eq!(message["type"], "com.bookworm.checkout.action");
        assert_eq!(message["source"], format!("/shops/{SHOP_A}"));
        assert_eq!(message["data"], sent, "the action, field for field");
    }
    assert_eq!(
        next_message(&mut shop_b, Duration::from_millis(500)).await,
        None,
        "another shop heard nothing"
    );

    // The same action through `POST /publish/{shop_id}` arrives in the same form.
    let merchant = stack.token(&["merchant"], &[SHOP_A]);
    let (status, _) =
        stack.call(&merchant, "POST", &format!("/publish/{SHOP_A}"), Some(action(SHOP_A, 103))).await;
    assert_eq!(status, 200);
    let over_http = next_message(&mut shop_a, Duration::from_secs(5)).await.expect("the HTTP publish");
    let keys = |message: &Value| message.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(
        keys(&over_http),
        keys(&json!({"specversion": 0, "id": 0, "source": 0, "time": 0, "subject": 0,
        "datacontenttype": 0, "type": 0, "data": 0}))
    );
    assert_eq!(history(&stack, SHOP_A).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_bad_messages_deliver_nothing() {
    let stack = LocalStack::start().await;
    let port = stack.start_broker().await;
    let (mut shop_a, mut shop_b) = (watch(&stack, SHOP_A).await, watch(&stack, SHOP_B).await);
    let device_a = device_token(&stack, &[SHOP_A], 600);
    let body_b = action(SHOP_B, 201).to_string().into_bytes();
    let body_a = action(SHOP_A, 202).to_string().into_bytes();

    // Refused: the connection, or the publish (which ends the connection, as IoT Core does).
    let customer = stack.mint(DEVICE, &["customer"], &[SHOP_A], 600);
    let merchant = stack.mint(DEVICE, &["merchant"], &[SHOP_A], 600);
    let two_shops = device_token(&stack, &[SHOP_A, SHOP_B], 600);
    let refusals: [Attempt; 7] = [
        ("another shop's topic", DEVICE, Some(&device_a), topic(SHOP_B), &body_b),
        ("another shop's topic, its own body", DEVICE, Some(&device_a), topic(SHOP_B), &body_a),
        ("a customer's token", DEVICE, Some(&customer), topic(SHOP_A), &body_a),
        ("a merchant's token", DEVICE, Some(&merchant), topic(SHOP_A), &body_a),
        ("a device of two shops", DEVICE, Some(&two_shops), topic(SHOP_A), &body_a),
        ("no token", DEVICE, None, topic(SHOP_A), &body_a),
        ("another device's client id", "kiosk-8", Some(&device_a), topic(SHOP_A), &body_a),
    ];
    for (name, client_id, token, topic, body) in refusals {
        for v5 in [false, true] {
            let published = publish(port, client_id, token, &topic, body.clone(), v5).await;
            assert_ne!(published.code, 0, "{name} (MQTT 5: {v5}) was accepted");
        }
    }
    // A device may not listen either.
    let subscribed = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-i", DEVICE, "-u", DEVICE, "-P", &device_a])
        .args(["-t", &topic(SHOP_A), "-C", "1", "-W", "3"])
        .output()
        .expect("mosquitto_sub");
    let said = String::from_utf8_lossy(&subscribed.stderr);
    assert!(said.contains("denied"), "a subscription was not refused: {said}");

    // Accepted by the broker, dropped by the handler (and counted).
    let mut oversized = action(SHOP_A, 203);
    oversized["product_name"] = json!("x".repeat(100 * 1024));
    let drops: [(&str, Vec<u8>); 5] = [
        ("not JSON", b"ADD FUJI Apples".to_vec()),
        ("not UTF-8", vec![0xff, 0xfe, 0x00]),
        ("the body names another shop", body_b.clone()),
        ("a missing field", br#"{"shop_id":"123e4567-e89b-42d3-a456-426614174000"}"#.to_vec()),
        ("oversized (100 KiB)", oversized.to_string().into_bytes()),
    ];
    for (name, payload) in &drops {
        let published = publish(port, DEVICE, Some(&device_a), &topic(SHOP_A), payload.clone(), false).await;
        assert_eq!(published.code, 0, "{name}: acknowledged, then dropped: {}", published.stderr);
    }

    // The one good action comes through, first and alone.
    let good = action(SHOP_A, 299);
    let published =
        publish(port, DEVICE, Some(&device_a), &topic(SHOP_A), good.to_string().into_bytes(), false).await;
    assert_eq!(published.code, 0, "{}", published.stderr);
    let first = next_message(&mut shop_a, Duration::from_secs(5)).await.expect("the good action");
    assert_eq!(first["data"], good, "nothing refused or dropped came before it");
    assert_eq!(next_message(&mut shop_a, Duration::from_millis(500)).await, None);
    assert_eq!(next_message(&mut shop_b, Duration::from_millis(100)).await, None, "shop B heard nothing");
    assert_eq!(history(&stack, SHOP_A).await.len(), 1, "only the good action is in the outbox");
    assert_eq!(history(&stack, SHOP_B).await.len(), 0);

    let metrics = stack.stack.metrics.render();
    let count = |name: &str| {
        metrics
            .lines()
            .find(|line| line.starts_with(&format!("bookworm_{name}{{")))
            .and_then(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or_default()
    };
    assert_eq!(count("device_actions_dropped_total"), drops.len() as f64, "{metrics}");
    assert_eq!(count("device_actions_dropped_malformed_total"), 3.0);
    assert_eq!(count("device_actions_dropped_invalid_total"), 1.0);
    assert_eq!(count("device_actions_dropped_too_large_total"), 1.0);
    assert_eq!(count("device_actions_published_total"), 1.0);
    assert!(count("device_auth_rejected_total") >= 10.0, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_token_expires_is_disconnected() {
    let stack = LocalStack::start().await;
    let port = stack.start_broker().await;
    let mut shop_a = watch(&stack, SHOP_A).await;
    let ttl = 3;
    let token = device_token(&stack, &[SHOP_A], ttl);

    // `-l`: one connection that publishes each line of stdin, and reconnects when it is lost.
    let started = Instant::now();
    let mut client = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-i", DEVICE, "-u", DEVICE, "-P", &token])
        .args(["-t", &topic(SHOP_A), "-q", "1", "-l"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mosquitto_pub");
    let mut stdin = client.stdin.take().expect("stdin");
    writeln!(stdin, "{}", action(SHOP_A, 301)).expect("a line");
    stdin.flush().expect("sent");
    let delivered = next_message(&mut shop_a, Duration::from_secs(5)).await.expect("connected and delivered");
    assert_eq!(delivered["data"]["action_id"], 301);

    // Its first error is the reconnection being refused: the token has expired by then.
    let stderr = client.stderr.take().expect("stderr");
    let first_error = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr).lines().map_while(Result::ok).find(|line| !line.trim().is_empty())
    });
    let line = tokio::time::timeout(Duration::from_secs(ttl + 8), first_error).await;
    let after = started.elapsed();
    let _ = client.kill();
    let _ = client.wait();
    let line = line.expect("disconnected within seconds of expiry").expect("read").unwrap_or_default();
    assert!(line.contains("not authorised"), "{line}");
    assert!(after >= Duration::from_secs(ttl - 1), "disconnected at expiry, not before: {after:?}");
    assert_eq!(next_message(&mut shop_a, Duration::from_millis(300)).await, None);
}
