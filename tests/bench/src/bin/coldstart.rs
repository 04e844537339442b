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
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};

const COLD_STARTS: usize = 20;
const WARM_INVOCATIONS: usize = 1_000;

/// What the emulated Runtime API saw.
enum Seen {
    Next(Instant),
    Response(Instant, bool),
}

struct Runtime {
    seen: mpsc::UnboundedSender<Seen>,
    /// The first error a function reported, shown under the table.
    first_error: Mutex<Option<String>>,
    /// The first answer's `statusCode` (HTTP functions), shown in the table.
    first_status: Mutex<Option<String>>,
    invocations: Mutex<mpsc::UnboundedReceiver<String>>,
}

async fn next(State(runtime): State<Arc<Runtime>>) -> impl IntoResponse {
    let _ = runtime.seen.send(Seen::Next(Instant::now()));
    let event = runtime.invocations.lock().await.recv().await.unwrap_or_default();
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
        + Duration::from_secs(30);
    headers.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_static("c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
    );
    headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline.as_millis() as u64));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:bench"),
    );
    (headers, event)
}

async fn response(State(runtime): State<Arc<Runtime>>, Path(_id): Path<String>, body: Bytes) -> StatusCode {
    let status = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|answer| answer.get("statusCode").map(ToString::to_string))
        .unwrap_or_else(|| "–".to_owned());
    runtime.first_status.lock().await.get_or_insert(status);
    let _ = runtime.seen.send(Seen::Response(Instant::now(), true));
    StatusCode::ACCEPTED
}

async fn error(State(runtime): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    runtime
        .first_error
        .lock()
        .await
        .get_or_insert_with(|| String::from_utf8_lossy(&body).chars().take(160).collect());
    let _ = runtime.seen.send(Seen::Response(Instant::now(), false));
    StatusCode::ACCEPTED
}

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

/// Starts a function with the environment Lambda gives it, not this shell's: a developer's
/// machine may set `SSL_CERT_FILE`, `AWS_PROFILE` and the like, which Lambda never does. The
/// function's own settings are the variables named in `FUNCTION_ENVIRONMENT`.
fn spawn(bootstrap: &str, api: &str) -> Child {
    let settings = std::env::var("FUNCTION_ENVIRONMENT").unwrap_or_default();
    let settings = settings.split_whitespace().filter_map(|name| Some((name, std::env::var(name).ok()?)));
    Command::new(bootstrap)
        .env_clear()
        .envs(settings)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "en_US.UTF-8")
        .env("TZ", ":UTC")
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "WARN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bootstrap}: {e}"))
}

async fn measure(bootstrap: &str, event: String) -> Measure {
    let (seen, mut seen_rx) = mpsc::unbounded_channel();
    let (invoke, invocations) = mpsc::unbounded_channel();
    let runtime = Arc::new(Runtime {
        seen,
        first_error: Mutex::new(None),
        first_status: Mutex::new(None),
        invocations: Mutex::new(invocations),
    });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(runtime.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });

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
        let _ = invoke.send(event.clone());
        let started = Instant::now();
        let mut child = spawn(bootstrap, &api);
        let mut init = None;
        while let Some(seen) =
            tokio::time::timeout(Duration::from_secs(30), seen_rx.recv()).await.ok().flatten()
        {
            match seen {
                Seen::Next(at) if init.is_none() => init = Some(at - started),
                Seen::Next(_) => {}
                Seen::Response(at, ok) => {
                    result.first.push(at - started);
                    result.errors += usize::from(!ok);
                    break;
                }
            }
        }
        result.init.extend(init);
        let _ = child.kill();
        let _ = child.wait();
        // The killed process's pending `next` may still hold the queue's lock: let it go.
        tokio::time::sleep(Duration::from_millis(20)).await;
        while seen_rx.try_recv().is_ok() {}
    }

    let mut child = spawn(bootstrap, &api);
    for _ in 0..WARM_INVOCATIONS {
        let sent = Instant::now();
        let _ = invoke.send(event.clone());
        loop {
            match tokio::time::timeout(Duration::from_secs(30), seen_rx.recv()).await.ok().flatten() {
                Some(Seen::Response(at, ok)) => {
                    result.warm.push(at - sent);
                    result.errors += usize::from(!ok);
                    break;
                }
                Some(Seen::Next(_)) => continue,
                None => break,
            }
        }
    }
    result.peak_rss_kb = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    result.first_error = runtime.first_error.lock().await.take();
    result.first_status = runtime.first_status.lock().await.take();
    result
}

fn percentile(values: &mut [Duration], p: f64) -> Duration {
    values.sort();
    values.get(((values.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or_default()
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
    for spec in std::env::args().skip(1) {
        let mut parts = spec.splitn(4, '=');
        let (Some(name), Some(bootstrap), Some(event_file)) = (parts.next(), parts.next(), parts.next())
        else {
            eprintln!("skipping {spec}: expected NAME=BOOTSTRAP=EVENT_FILE[=CELLS]");
            continue;
        };
        let cells: String = match parts.next() {
            Some(cells) => cells.split('|').map(|cell| format!(" {} |", cell.trim())).collect(),
            None => " – |".repeat(extra.len()),
        };
        let event = std::fs::read_to_string(event_file).unwrap_or_else(|e| panic!("{event_file}: {e}"));
        let mut m = measure(bootstrap, event).await;
        let init = percentile(&mut m.init, 0.5);
        let floor = *floor.get_or_insert(init);
        println!(
            "| {name} |{cells} {} | {} | {:.2}× | {} | {} | {} | {} | {} | {:.1} MB | {} |",
            ms(init),
            ms(percentile(&mut m.init, 0.9)),
            init.as_secs_f64() / floor.as_secs_f64().max(1e-9),
            ms(percentile(&mut m.first, 0.5)),
            ms(percentile(&mut m.first, 0.9)),
            m.first_status.as_deref().unwrap_or("–"),
            ms(percentile(&mut m.warm, 0.5)),
            ms(percentile(&mut m.warm, 0.99)),
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
