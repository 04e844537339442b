//! Fan-out benchmark: N merchant WebSockets on one shop of a real `bookworm-local` process
//! (`BOOKWORM_LOCAL` names the binary); each round publishes one checkout action and times its
//! arrival at every socket. The stack runs in its own process, as a developer runs it, and so
//! that client and server sockets do not share one file-descriptor limit. Prints Markdown.
//!
//!   scripts/bench-fanout 1000 10000

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
const ROUNDS: usize = 20;
const BODY: &str = r#"{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"123e4567-e89b-42d3-a456-426614174000","shopper_id":"ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","action_id":101,"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}"#;

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000] } else { sizes };
    println!(
        "| push | connections | rounds (after a warm-up) | latency p50 | latency p99 | all reached p50 | all reached max | connect all |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for push in ["embedded", "management-api"] {
        for &size in &sizes {
            run(push, size).await;
        }
    }
}

/// A `bookworm-local serve` on a free port with a fresh data folder, stopped on drop.
struct Stack {
    child: Child,
    base: String,
    data: tempfile::TempDir,
}

impl Stack {
    fn start(push: &str) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(binary())
            .args(["serve", "--port", "0", "--template", &template()])
            .env("DATA_DIR", data.path())
            .env("LOG_LEVEL", "warn")
            .env("PUSH_BACKEND", push)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start bookworm-local");
        let mut banner = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut banner).expect("banner");
        let address =
            banner.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("address");
        Self { base: format!("http://{address}"), child, data }
    }

    fn token(&self, args: &[&str]) -> String {
        let output = Command::new(binary())
            .arg("token")
            .args(args)
            .env("DATA_DIR", self.data.path())
            .output()
            .expect("token");
        String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
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

async fn run(push: &str, connections: usize) {
    let stack = Stack::start(push);
    let token = stack.token(&["--role", "merchant", "--shop", SHOP]);
    let url = format!("{}/ws?shop_id={SHOP}&token={token}", stack.base.replace("http://", "ws://"));
    let client = reqwest::Client::new();
    let (arrivals, mut received) = mpsc::unbounded_channel::<Instant>();

    let connecting = Instant::now();
    let sockets = futures::stream::iter(0..connections)
        .map(|_| {
            let url = url.clone();
            async move { connect_async(url).await.expect("connect").0 }
        })
        .buffer_unordered(256)
        .collect::<Vec<_>>()
        .await;
    let connect_time = connecting.elapsed();
    for mut socket in sockets {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                if matches!(message, Message::Text(_)) && arrivals.send(Instant::now()).is_err() {
                    break;
                }
            }
        });
    }

    // The in-store app publishes for its signed-in shopper (the body's shopper_id).
    let publisher = stack.token(&["--role", "customer", "--sub", "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94"]);
    let mut latencies = Vec::with_capacity(connections * ROUNDS);
    let mut completions = Vec::with_capacity(ROUNDS);
    // One unmeasured round first: it pays for connection set-up still in flight on the server.
    for round in 0..=ROUNDS {
        let sent = Instant::now();
        let response = client
            .post(format!("{}/publish/{SHOP}", stack.base))
            .bearer_auth(&publisher)
            .header("content-type", "application/json")
            .body(BODY)
            .send()
            .await
            .expect("publish");
        assert_eq!(response.status(), 200);
        let mut last = sent;
        for _ in 0..connections {
            let arrived = tokio::time::timeout(Duration::from_secs(30), received.recv())
                .await
                .expect("every socket receives")
                .expect("open");
            if round > 0 {
                latencies.push(arrived - sent);
            }
            last = last.max(arrived);
        }
        if round > 0 {
            completions.push(last - sent);
        }
    }
    latencies.sort();
    completions.sort();
    let percentile = |sorted: &[Duration], p: f64| sorted[((sorted.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "| {push} | {connections} | {ROUNDS} | {} | {} | {} | {} | {} |",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&completions, 0.5)),
        ms(*completions.last().unwrap_or(&Duration::ZERO)),
        ms(connect_time),
    );
}
