//! What metrics add to one warm invocation: an HTTP request's scope with its four route metrics,
//! one domain count and two properties, written as an EMF line to stdout, against the same work
//! with `METRICS_DISABLED=true`. Run with stdout to /dev/null (`scripts/bench` does):
//!
//!   cargo run --release -p bookworm-metrics --example overhead > /dev/null

use std::time::Instant;

const ROUNDS: u32 = 200_000;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    let started = Instant::now();
    for _ in 0..ROUNDS {
        bookworm_metrics::scope("checkout", Some("POST /shops/{shop_id}/checkout"), async {
            bookworm_metrics::property("RequestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
            bookworm_metrics::property("TraceId", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
            bookworm_metrics::count("OrdersPlaced", 1.0);
            bookworm_metrics::request(201, 4.2);
        })
        .await;
    }
    let per = started.elapsed() / ROUNDS;
    let disabled = std::env::var("METRICS_DISABLED").is_ok_and(|v| v == "true");
    eprintln!("per invocation: {per:?} (METRICS_DISABLED={disabled})");
}
