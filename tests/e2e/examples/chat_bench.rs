//! Support chat latency against a real `bookworm-local` process (`BOOKWORM_LOCAL` names the
//! binary): customer message → agent's socket. Customers each have a conversation the agent
//! has taken; messages go out open loop (each on schedule, whether or not earlier ones arrived)
//! at `--rate` a second for `--seconds`, over the socket (`chat.send`) or HTTPS (`POST …/messages`),
//! round robin over the customers (staying under their 30 a minute), each timed from its send to
//! its arrival on the agent's socket. Prints a Markdown table; every message is counted.
//!
//!   scripts/bench-chat [--rate 100] [--seconds 20]

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

/// A `bookworm-local serve` on a free port with a fresh data folder, stopped on drop.
struct Stack {
    child: Child,
    base: String,
    data: tempfile::TempDir,
}

impl Stack {
    fn start() -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(binary())
            .args(["serve", "--port", "0", "--template", &template()])
            .env("DATA_DIR", data.path())
            .env("LOG_LEVEL", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start bookworm-local");
        let mut banner = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut banner).expect("banner");
        let address =
            banner.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("address");
        Self { base: format!("http://{address}"), child, data }
    }

    fn token(&self, role: &str, sub: &str) -> String {
        let output = Command::new(binary())
            .args(["token", "--role", role, "--sub", sub])
            .env("DATA_DIR", self.data.path())
            .output()
            .expect("token");
        String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
    }

    fn socket_url(&self, token: &str) -> String {
        format!("{}/ws?channel=support&token={token}", self.base.replace("http://", "ws://"))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> String {
    std::env::var("BOOKWORM_LOCAL").unwrap_or_else(|_| "target/release/bookworm-local".into())
}

fn template() -> String {
    format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct Options {
    rate: u32,
    seconds: u64,
}

fn options() -> Options {
    let mut options = Options { rate: 100, seconds: 20 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (arg.as_str(), value) {
            ("--rate", Some(rate)) => options.rate = rate as u32,
            ("--seconds", Some(seconds)) => options.seconds = seconds,
            _ => panic!("usage: chat_bench [--rate N] [--seconds N]"),
        }
    }
    options
}

#[tokio::main]
async fn main() {
    let options = options();
    println!("| path | rate | messages | p50 | p99 | max | arrived |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for path in ["socket", "https"] {
        run(path, &options).await;
    }
    println!();
    println!(
        "Customer message → the agent's socket on one `bookworm-local` (release) over loopback, open loop; \
         `socket`: `chat.send` on the customer's socket, `https`: `POST /support/conversations/{{id}}/messages`."
    );
}

async fn run(path: &str, options: &Options) {
    let stack = Stack::start();
    let client = reqwest::Client::new();
    let agent = stack.token("support", "agent");
    // 30 messages a minute each: enough customers that none is refused at this rate.
    let customers = ((options.rate as u64 * 60).div_ceil(25)).clamp(1, 2_000) as usize;
    let mut conversations = Vec::with_capacity(customers);
    for i in 0..customers {
        let token = stack.token("customer", &format!("customer-{i}"));
        let opened: Value = client
            .post(format!("{}/support/conversations", stack.base))
            .bearer_auth(&token)
            .json(&json!({"subject": "Bench", "text": "hello"}))
            .send()
            .await
            .expect("open")
            .json()
            .await
            .expect("a conversation");
        let id = opened["id"].as_str().expect("an id").to_owned();
        let assigned = client
            .post(format!("{}/support/conversations/{id}/assign", stack.base))
            .bearer_auth(&agent)
            .send()
            .await
            .expect("assign");
        assert_eq!(assigned.status(), 200);
        conversations.push((id, token));
    }

    // The agent's socket: each message's arrival, by its text (the send's number).
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(usize, Instant)>();
    let (mut agent_socket, _) = connect_async(stack.socket_url(&agent)).await.expect("agent socket");
    tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = agent_socket.next().await {
            let Ok(event) = serde_json::from_str::<Value>(&text) else { continue };
            if event["type"] == "com.bookworm.chat.message"
                && let Some(number) = event["data"]["text"]
                    .as_str()
                    .and_then(|t| t.strip_prefix("m "))
                    .and_then(|n| n.parse().ok())
            {
                let _ = arrivals.send((number, Instant::now()));
            }
        }
    });
    let mut sockets = Vec::new();
    if path == "socket" {
        for (_, token) in &conversations {
            let (sink, mut stream) =
                connect_async(stack.socket_url(token)).await.expect("customer socket").0.split();
            // Read what the customer is sent (acks, their own messages), as a client would.
            tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
            sockets.push(sink);
        }
    }

    let total = options.rate as usize * options.seconds as usize;
    let interval = Duration::from_secs_f64(1.0 / f64::from(options.rate));
    let started = Instant::now();
    let mut sent_at = HashMap::with_capacity(total);
    for number in 0..total {
        let due = started + interval * number as u32;
        tokio::time::sleep_until(due.into()).await;
        let customer = number % customers;
        let (id, token) = &conversations[customer];
        let body = json!({"text": format!("m {number}"), "client_message_id": uuid::Uuid::new_v4()});
        sent_at.insert(number, Instant::now());
        if path == "socket" {
            let mut send = body.clone();
            send["action"] = json!("chat.send");
            send["conversation_id"] = json!(id);
            sockets[customer].send(Message::text(send.to_string())).await.expect("send");
        } else {
            let (client, url, token) = (
                client.clone(),
                format!("{}/support/conversations/{id}/messages", stack.base),
                token.clone(),
            );
            tokio::spawn(async move {
                let _ = client.post(url).bearer_auth(token).json(&body).send().await;
            });
        }
    }
    let mut latencies = Vec::with_capacity(total);
    let deadline = Instant::now() + Duration::from_secs(5);
    while latencies.len() < total {
        match tokio::time::timeout_at(deadline.into(), arrived.recv()).await {
            Ok(Some((number, at))) => {
                if let Some(sent) = sent_at.remove(&number) {
                    latencies.push(at - sent);
                }
            }
            _ => break,
        }
    }
    latencies.sort();
    println!(
        "| {path} | {}/s | {total} | {} | {} | {} | {} |",
        options.rate,
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        latencies.len()
    );
}
