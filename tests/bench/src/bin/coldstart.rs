//! Times Lambda cold starts without AWS: serves the Lambda Runtime API on 127.0.0.1, starts a
//! function's `bootstrap` against it, and measures the time from process start to its first
//! `GET /runtime/invocation/next` (init) and to its first response (first invocation); then
//! keeps one process warm for 1,000 invocations (timing each, event handed over to response) and
//! reads its peak RSS (VmHWM).
//!
//!   coldstart NAME=BOOTSTRAP=EVENT_FILE[=CELLS] ...   (scripts/bench runs it; prints Markdown)
//!
//! The first function is the floor the others are compared with. CELLS are extra cells for
//! the row (`2.4 MB | 2.2 MB`), headed by the columns in `EXTRA_COLUMNS` (`zip x86_64 | zip arm64`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bench::runtime_api::{Api, Seen, lambda_environment, percentile, specs};

const COLD_STARTS: usize = 20;
const WARM_INVOCATIONS: usize = 1_000;
const TIMEOUT: Duration = Duration::from_secs(30);

struct Measure {
    first_error: Option<String>,
    first_status: Option<String>,
    init: Vec<Duration>,
    first: Vec<Duration>,
    /// Warm invocations: event handed over to response received (what Lambda bills).
    warm: Vec<Duration>,
    peak_rss_kb: u64,
    errors: usize,
}

/// Starts a function against `api` with the environment Lambda gives it (at 128 MB).
fn spawn(bootstrap: &str, api: &Api) -> Child {
    Command::new(bootstrap)
        .env_clear()
        .envs(lambda_environment(128, &api.address, &[]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bootstrap}: {e}"))
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

async fn measure(bootstrap: &str, event: &str) -> Measure {
    let mut result = Measure {
        first_error: None,
        first_status: None,
        init: Vec::new(),
        first: Vec::new(),
        warm: Vec::with_capacity(WARM_INVOCATIONS),
        peak_rss_kb: 0,
        errors: 0,
    };
    for _ in 0..COLD_STARTS {
        let mut api = Api::start(None).await;
        let _ = api.invoke.send(event.to_owned());
        let started = Instant::now();
        let child = spawn(bootstrap, &api);
        let mut init = None;
        while let Some(seen) = api.next_seen(TIMEOUT).await {
            match seen {
                Seen::Next(at) if init.is_none() => init = Some(at - started),
                Seen::Next(_) | Seen::Handed(_) => {}
                Seen::Response(at, ok) => {
                    result.first.push(at - started);
                    result.errors += usize::from(!ok);
                    break;
                }
            }
        }
        result.init.extend(init);
        stop(child);
        result.first_error = result.first_error.or(api.first_error().await);
        result.first_status = result.first_status.or(api.first_status().await);
    }

    // One process for the warm invocations; its first (cold) one is not counted.
    let mut api = Api::start(None).await;
    let child = spawn(bootstrap, &api);
    for invocation in 0..=WARM_INVOCATIONS {
        let _ = api.invoke.send(event.to_owned());
        let mut handed = None;
        loop {
            match api.next_seen(TIMEOUT).await {
                Some(Seen::Handed(at)) => handed = Some(at),
                Some(Seen::Response(at, ok)) => {
                    if invocation > 0
                        && let Some(handed) = handed
                    {
                        result.warm.push(at - handed);
                    }
                    result.errors += usize::from(!ok);
                    break;
                }
                Some(Seen::Next(_)) => continue,
                None => break,
            }
        }
    }
    result.first_error = result.first_error.or(api.first_error().await);
    result.peak_rss_kb = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    stop(child);
    result
}

#[tokio::main]
async fn main() {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let extra = std::env::var("EXTRA_COLUMNS").unwrap_or_default();
    let extra: Vec<&str> = extra.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
    let extra_header: String = extra.iter().map(|column| format!(" {column} |")).collect();
    let extra_rule = " ---: |".repeat(extra.len());
    println!(
        "| function |{extra_header} init p50 | init p90 | init / floor | first response p50 | first response p90 | answer | warm p50 | warm p99 | peak RSS after {WARM_INVOCATIONS} | errors |"
    );
    println!("| --- |{extra_rule} ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut floor = None;
    let mut notes = Vec::new();
    for spec in specs() {
        let cells: String = match &spec.cells {
            Some(cells) => cells.split('|').map(|cell| format!(" {} |", cell.trim())).collect(),
            None => " – |".repeat(extra.len()),
        };
        let m = measure(&spec.bootstrap, &spec.event).await;
        let name = &spec.name;
        let init = percentile(&m.init, 0.5).unwrap_or_default();
        let floor = *floor.get_or_insert(init);
        println!(
            "| {name} |{cells} {} | {} | {:.2}× | {} | {} | {} | {} | {} | {:.1} MB | {} |",
            ms(init),
            ms(percentile(&m.init, 0.9).unwrap_or_default()),
            init.as_secs_f64() / floor.as_secs_f64().max(1e-9),
            ms(percentile(&m.first, 0.5).unwrap_or_default()),
            ms(percentile(&m.first, 0.9).unwrap_or_default()),
            m.first_status.as_deref().unwrap_or("–"),
            ms(percentile(&m.warm, 0.5).unwrap_or_default()),
            ms(percentile(&m.warm, 0.99).unwrap_or_default()),
            m.peak_rss_kb as f64 / 1024.0,
            m.errors,
        );
        if let Some(error) = m.first_error {
            notes.push(format!("- {name}: {error}…"));
        }
    }
    if !notes.is_empty() {
        println!("\nFirst error reported by each function that reported any:\n{}", notes.join("\n"));
    }
}
