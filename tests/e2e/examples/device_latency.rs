//! A checkout action to a merchant's socket, two ways, in one run on one local stack: a device
//! publishing over MQTT (one `mosquitto_pub -l` connection, QoS 1, each line one action) and
//! `POST /publish/{shop_id}` (one keep-alive HTTP client). Each action is timed from the moment
//! it is sent to its arrival on a merchant's WebSocket; the two ways alternate, one at a time.
//! Prints a Markdown table.
//!
//!   scripts/bench-devices [ROUNDS]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e::LocalStack;
use futures::StreamExt;
use serde_json::Value;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";

fn body(action_id: u64) -> String {
    format!(
        r#"{{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"{SHOP}","shopper_id":"ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","action_id":{action_id},"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}}"#
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len().max(1) as f64 - 1.0) * p).round() as usize).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200);
    let stack = LocalStack::start().await;
    let port = stack.start_broker().await;
    let merchant = stack.token(&["merchant"], &[SHOP]);
    let url = format!("{}/ws?shop_id={SHOP}&token={merchant}", stack.base.replace("http://", "ws://"));
    let (mut socket, _) = connect_async(url).await.expect("the merchant's socket");
    let device = stack.mint("kiosk-7", &["device"], &[SHOP], 3600);
    let mut client = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-i", "kiosk-7", "-u", "kiosk-7", "-P", &device])
        .args(["-t", &format!("shops/{SHOP}/actions"), "-q", "1", "-l"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("mosquitto_pub (Debian's mosquitto-clients)");
    let mut lines = client.stdin.take().expect("stdin");
    let publish_url = stack.url(&format!("/publish/{SHOP}"));

    let (mut over_mqtt, mut over_http) = (Vec::new(), Vec::new());
    // A warm-up round each way, not counted: the first connection, the first write.
    for round in 0..=rounds {
        for mqtt in [true, false] {
            let action_id = round * 2 + u64::from(mqtt);
            let sent = Instant::now();
            if mqtt {
                writeln!(lines, "{}", body(action_id)).expect("a line");
                lines.flush().expect("sent");
            } else {
                let response =
                    stack.client.post(&publish_url).bearer_auth(&merchant).body(body(action_id)).send();
                assert_eq!(response.await.expect("POST").status(), 200);
            }
            let arrived = loop {
                match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
                    Ok(Some(Ok(Message::Text(text)))) => {
                        let message: Value = serde_json::from_str(&text).expect("JSON");
                        if message["data"]["action_id"] == action_id {
                            break sent.elapsed();
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    other => panic!("action {action_id} never arrived: {other:?}"),
                }
            };
            if round > 0 {
                if mqtt { over_mqtt.push(arrived) } else { over_http.push(arrived) }
            }
        }
    }
    drop(lines);
    let _ = client.kill();
    let _ = client.wait();

    println!("| path | actions | to the merchant's socket p50 | p99 | max |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, mut latencies) in [("MQTT publish (QoS 1)", over_mqtt), ("POST /publish/{shop_id}", over_http)]
    {
        latencies.sort();
        let max = latencies.last().copied().unwrap_or_default();
        println!(
            "| {name} | {} | {} | {} | {} |",
            latencies.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(max)
        );
    }
}
