//! Fan-out benchmark against a real `bookworm-local` process (`BOOKWORM_LOCAL` names the
//! binary), in its own process as a developer runs it, so that client and server sockets do not
//! share one file-descriptor limit. Prints Markdown tables, with fan-out pushing straight into
//! the sockets (`embedded`) and through the stack's `@connections` API (`management-api`).
//!
//! - One shop: N merchant sockets; each round publishes one checkout action and times its
//!   arrival at every socket. With sharding off (one invocation pushes to all, as before
//!   sharding), and at the largest N also with 1,000 connections a shard.
//! - Many shops: 1,000 shops × 3 merchants; 1,000 checkout actions a second, open loop (each
//!   sent on schedule, whether or not earlier ones were answered), spread over the shops in turn,
//!   each timed from its publish to every merchant of its shop, and every delivery counted.
//!
//!   scripts/bench-fanout [--seconds 60] [--only single|many] [CONNECTIONS...]

use std::collections::HashSet;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
const SHOPPER: &str = "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94";
const ROUNDS: usize = 20;
const PUSHES: [&str; 2] = ["embedded", "management-api"];
/// `FANOUT_SHARD_SIZE` for "one invocation pushes to every connection".
const SHARDING_OFF: &str = "0";
const SHARD_SIZE: &str = "1000";
const SHOPS: usize = 1_000;
const MERCHANTS: usize = 3;
const EVENTS_PER_SECOND: u32 = 1_000;

fn body(shop: &str, action_id: u64) -> String {
    format!(
        r#"{{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"{shop}","shopper_id":"{SHOPPER}","action_id":{action_id},"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}}"#
    )
}

struct Options {
    seconds: u64,
    single: bool,
    many: bool,
    sizes: Vec<usize>,
}

fn options() -> Options {
    let mut options = Options { seconds: 60, single: true, many: true, sizes: Vec::new() };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => options.seconds = args.next().and_then(|s| s.parse().ok()).expect("--seconds N"),
            "--only" => match args.next().as_deref() {
                Some("single") => options.many = false,
                Some("many") => options.single = false,
                other => panic!("--only single|many, not {other:?}"),
            },
            size => options.sizes.push(size.parse().expect("a number of connections")),
        }
    }
    if options.sizes.is_empty() {
        options.sizes = vec![1_000, 10_000];
    }
    options
}

#[tokio::main]
async fn main() {
    let options = options();
    if options.single {
        println!(
            "| push | connections | sharding | rounds (after a warm-up) | latency p50 | latency p99 | all reached p50 | all reached max | connect all |"
        );
        println!("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        let largest = options.sizes.iter().copied().max().unwrap_or(0);
        for push in PUSHES {
            for &size in &options.sizes {
                one_shop(push, size, SHARDING_OFF).await;
            }
            if largest > SHARD_SIZE.parse().unwrap_or(usize::MAX) {
                one_shop(push, largest, SHARD_SIZE).await;
            }
        }
    }
    if options.many {
        println!();
        println!(
            "| push | shops × merchants | events | deliveries (expected) | latency p50 | latency p99 | latency max | publish p99 | sent at |"
        );
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for push in PUSHES {
            many_shops(push, options.seconds).await;
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
    fn start(push: &str, shard_size: &str) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(binary())
            .args(["serve", "--port", "0", "--template", &template()])
            .env("DATA_DIR", data.path())
            .env("LOG_LEVEL", "warn")
            .env("PUSH_BACKEND", push)
            .env("FANOUT_SHARD_SIZE", shard_size)
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

    fn socket_url(&self, shop: &str, token: &str) -> String {
        format!("{}/ws?shop_id={shop}&token={token}", self.base.replace("http://", "ws://"))
    }

    /// The in-store app's token: it publishes for its signed-in shopper (the body's shopper_id).
    fn publisher(&self) -> String {
        self.token(&["--role", "customer", "--sub", SHOPPER])
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

/// Opens one socket per URL, 256 at a time; each text message it gets is reported on `arrivals`
/// as (socket index, the message, when).
async fn connect_all(
    urls: Vec<String>,
    arrivals: mpsc::UnboundedSender<(usize, String, Instant)>,
) -> Duration {
    let connecting = Instant::now();
    let sockets = futures::stream::iter(urls)
        .map(|url| async move { connect_async(url).await.expect("connect").0 })
        .buffered(256)
        .collect::<Vec<_>>()
        .await;
    let connect_time = connecting.elapsed();
    for (index, mut socket) in sockets.into_iter().enumerate() {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message
                    && arrivals.send((index, text.as_str().to_owned(), Instant::now())).is_err()
                {
                    break;
                }
            }
        });
    }
    connect_time
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn one_shop(push: &str, connections: usize, shard_size: &str) {
    let stack = Stack::start(push, shard_size);
    let token = stack.token(&["--role", "merchant", "--shop", SHOP]);
    let client = reqwest::Client::new();
    let (arrivals, mut received) = mpsc::unbounded_channel();
    let connect_time = connect_all(vec![stack.socket_url(SHOP, &token); connections], arrivals).await;

    let publisher = stack.publisher();
    let mut latencies = Vec::with_capacity(connections * ROUNDS);
    let mut completions = Vec::with_capacity(ROUNDS);
    // One unmeasured round first: it pays for connection set-up still in flight on the server.
    for round in 0..=ROUNDS {
        let sent = Instant::now();
        let response = client
            .post(format!("{}/publish/{SHOP}", stack.base))
            .bearer_auth(&publisher)
            .header("content-type", "application/json")
            .body(body(SHOP, round as u64))
            .send()
            .await
            .expect("publish");
        assert_eq!(response.status(), 200);
        let mut last = sent;
        for _ in 0..connections {
            let (_, _, arrived) = tokio::time::timeout(Duration::from_secs(30), received.recv())
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
    let sharding =
        if shard_size == SHARDING_OFF { "off".to_owned() } else { format!("{shard_size} a shard") };
    println!(
        "| {push} | {connections} | {sharding} | {ROUNDS} | {} | {} | {} | {} | {} |",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&completions, 0.5)),
        ms(*completions.last().unwrap_or(&Duration::ZERO)),
        ms(connect_time),
    );
}

/// The shops: UUIDs that differ in their first group only.
fn shop(index: usize) -> String {
    format!("{index:08x}-0000-4000-8000-000000000000")
}

/// When each action was sent, and how long its publish took to be answered.
#[derive(Default, Clone, Copy)]
struct Sent {
    at: Option<Instant>,
    answered: Option<Duration>,
    refused: bool,
}

async fn many_shops(push: &str, seconds: u64) {
    let stack = Stack::start(push, SHARD_SIZE);
    // Admins may watch any shop: one token for every socket, rather than a thousand merchants'.
    let admin = stack.token(&["--role", "admin"]);
    let urls: Vec<String> =
        (0..SHOPS * MERCHANTS).map(|i| stack.socket_url(&shop(i / MERCHANTS), &admin)).collect();
    let (arrivals, mut received) = mpsc::unbounded_channel();
    connect_all(urls, arrivals).await;

    let events = seconds as usize * EVENTS_PER_SECOND as usize;
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::new(Mutex::new(vec![Sent::default(); events]));
    let (client, publisher, base) = (reqwest::Client::new(), stack.publisher(), stack.base.clone());
    let interval = Duration::from_secs(1) / EVENTS_PER_SECOND;
    let publishing = tokio::spawn({
        let sent = sent.clone();
        async move {
            let start = tokio::time::Instant::now();
            let mut requests = Vec::with_capacity(events);
            for action in 0..events {
                tokio::time::sleep_until(start + interval * action as u32).await;
                let (client, publisher, base, sent) =
                    (client.clone(), publisher.clone(), base.clone(), sent.clone());
                requests.push(tokio::spawn(async move {
                    let shop = shop(action % SHOPS);
                    let request = client
                        .post(format!("{base}/publish/{shop}"))
                        .bearer_auth(&publisher)
                        .header("content-type", "application/json")
                        .body(body(&shop, action as u64));
                    let at = Instant::now();
                    sent.lock().unwrap()[action].at = Some(at);
                    let ok = matches!(request.send().await, Ok(response) if response.status() == 200);
                    let mut sent = sent.lock().unwrap();
                    sent[action].answered = Some(at.elapsed());
                    sent[action].refused = !ok;
                }));
            }
            futures::future::join_all(requests).await;
        }
    });

    // Every arrival until all are in, or until nothing more came for 10 s after the last publish.
    let expected = events * MERCHANTS;
    let mut arrived: Vec<(usize, u64, Instant)> = Vec::with_capacity(expected);
    let mut quiet = Duration::ZERO;
    while arrived.len() < expected && quiet < Duration::from_secs(10) {
        match tokio::time::timeout(Duration::from_secs(1), received.recv()).await {
            Ok(Some((socket, text, at))) => {
                let message: Value = serde_json::from_str(&text).expect("JSON");
                arrived.push((socket, message["data"]["action_id"].as_u64().expect("an action id"), at));
                quiet = Duration::ZERO;
            }
            Ok(None) => break,
            Err(_) if publishing.is_finished() => quiet += Duration::from_secs(1),
            Err(_) => {}
        }
    }
    publishing.await.expect("the publisher");

    let sent = sent.lock().unwrap().clone();
    let mut seen = HashSet::with_capacity(arrived.len());
    let (mut duplicates, mut misdelivered) = (0, 0);
    let mut latencies: Vec<Duration> = Vec::with_capacity(arrived.len());
    for &(socket, action, at) in &arrived {
        duplicates += usize::from(!seen.insert((socket, action)));
        misdelivered += usize::from(socket / MERCHANTS != action as usize % SHOPS);
        if let Some(from) = sent.get(action as usize).and_then(|s| s.at) {
            latencies.push(at - from);
        }
    }
    latencies.sort();
    let mut answered: Vec<Duration> = sent.iter().filter_map(|s| s.answered).collect();
    answered.sort();
    let refused = sent.iter().filter(|s| s.refused).count();
    // The rate the publishes went out at: below the target when this client fell behind.
    let times: Vec<Instant> = sent.iter().filter_map(|s| s.at).collect();
    let sending = match (times.iter().min(), times.iter().max()) {
        (Some(first), Some(last)) => *last - *first,
        _ => Duration::ZERO,
    };
    assert_eq!((duplicates, misdelivered, refused), (0, 0, 0), "duplicates, wrong shop, refused publishes");
    println!(
        "| {push} | {SHOPS} × {MERCHANTS} | {events} in {seconds} s | {} ({expected}) | {} | {} | {} | {} | {:.0}/s |",
        arrived.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        ms(percentile(&answered, 0.99)),
        (events.saturating_sub(1)) as f64 / sending.as_secs_f64().max(f64::EPSILON),
    );
}
