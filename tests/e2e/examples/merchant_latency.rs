//! A merchant's view of the local stack under load (scripts/bench-http): connects to one
//! shop's WebSocket, and for `SECONDS` records how long after its event's `time` each message
//! arrived. Prints one line: `received p50_ms p99_ms max_ms`.
//!
//! The event time is stamped by the publish function (milliseconds, truncated), so the figures
//! cover the handler, the group commit, the bus and the socket, and overstate by up to 1 ms.
//!
//!   merchant_latency WS_URL SECONDS

use std::time::Duration;

use futures::StreamExt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(seconds)) = (args.next(), args.next().and_then(|s| s.parse::<u64>().ok())) else {
        eprintln!("usage: merchant_latency WS_URL SECONDS");
        std::process::exit(2);
    };
    let (mut socket, _) = connect_async(&url).await.expect("connect the merchant's socket");
    println!("connected");
    let mut latencies: Vec<f64> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while let Ok(Some(message)) = tokio::time::timeout_at(deadline, socket.next()).await {
        let Ok(Message::Text(text)) = message else { continue };
        let received = OffsetDateTime::now_utc();
        let event: serde_json::Value = serde_json::from_str(&text).expect("a JSON event");
        let Some(sent) = event["time"].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()) else {
            continue;
        };
        latencies.push((received - sent).as_seconds_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN)
    };
    println!("{} {:.2} {:.2} {:.2}", latencies.len(), at(0.5), at(0.99), at(1.0));
}
