//! What the cold-start harnesses share: a local Lambda Runtime API that reports what a function
//! does and when, the environment Lambda starts a function with, and the command line's specs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};

/// What the Runtime API saw the function do, and when.
pub enum Seen {
    /// It asked for an event (`GET /next`): the first time, init is over.
    Next(Instant),
    /// An event was handed to it.
    Handed(Instant),
    /// It answered (`true`) or reported an error (`false`).
    Response(Instant, bool),
}

/// Called once, at the function's first `GET /next` (the end of its init).
pub type AtInitEnd = Box<dyn Fn() + Send + Sync>;

struct Runtime {
    seen: mpsc::UnboundedSender<Seen>,
    first_error: Mutex<Option<String>>,
    first_status: Mutex<Option<String>>,
    invocations: Mutex<mpsc::UnboundedReceiver<String>>,
    at_init_end: Option<AtInitEnd>,
    init_done: AtomicBool,
}

async fn next(State(runtime): State<Arc<Runtime>>) -> impl IntoResponse {
    let at = Instant::now();
    if let Some(hook) = &runtime.at_init_end
        && !runtime.init_done.swap(true, Ordering::SeqCst)
    {
        hook();
    }
    let _ = runtime.seen.send(Seen::Next(at));
    let event = runtime.invocations.lock().await.recv().await.unwrap_or_default();
    let _ = runtime.seen.send(Seen::Handed(Instant::now()));
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
    let at = Instant::now();
    let status = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|answer| answer.get("statusCode").map(ToString::to_string))
        .unwrap_or_else(|| "–".to_owned());
    runtime.first_status.lock().await.get_or_insert(status);
    let _ = runtime.seen.send(Seen::Response(at, true));
    StatusCode::ACCEPTED
}

async fn error(State(runtime): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    runtime
        .first_error
        .lock()
        .await
        .get_or_insert_with(|| String::from_utf8_lossy(&body).chars().take(160).collect());
    let _ = runtime.seen.send(Seen::Response(at, false));
    StatusCode::ACCEPTED
}

/// One Runtime API on 127.0.0.1, for one function process (a killed process's pending `next`
/// dies with its server); stopped when dropped.
pub struct Api {
    /// `host:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    /// Events to hand over, in order.
    pub invoke: mpsc::UnboundedSender<String>,
    /// What the function did.
    pub seen: mpsc::UnboundedReceiver<Seen>,
    runtime: Arc<Runtime>,
    server: tokio::task::JoinHandle<()>,
}

impl Api {
    pub async fn start(at_init_end: Option<AtInitEnd>) -> Api {
        let (seen_tx, seen) = mpsc::unbounded_channel();
        let (invoke, invocations) = mpsc::unbounded_channel();
        let runtime = Arc::new(Runtime {
            seen: seen_tx,
            first_error: Mutex::new(None),
            first_status: Mutex::new(None),
            invocations: Mutex::new(invocations),
            at_init_end,
            init_done: AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(error))
            .with_state(runtime.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Api { address, runtime, invoke, seen, server }
    }

    /// The next thing the function did, or `None` after `timeout` of nothing.
    pub async fn next_seen(&mut self, timeout: Duration) -> Option<Seen> {
        tokio::time::timeout(timeout, self.seen.recv()).await.ok().flatten()
    }

    /// The first answer's `statusCode` (HTTP functions), `–` for others.
    pub async fn first_status(&self) -> Option<String> {
        self.runtime.first_status.lock().await.take()
    }

    /// The first error the function reported (its first 160 characters).
    pub async fn first_error(&self) -> Option<String> {
        self.runtime.first_error.lock().await.take()
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The environment Lambda gives a function, not this shell's: a developer's machine may set
/// `SSL_CERT_FILE`, `AWS_PROFILE` and the like, which Lambda never does. The function's own
/// settings are the variables named in `FUNCTION_ENVIRONMENT`, `overrides` replacing values.
pub fn lambda_environment(
    memory_mb: u64,
    api: &str,
    overrides: &[(String, String)],
) -> Vec<(String, String)> {
    let settings = std::env::var("FUNCTION_ENVIRONMENT").unwrap_or_default();
    let mut environment: Vec<(String, String)> = settings
        .split_whitespace()
        .filter_map(|name| Some((name.to_owned(), std::env::var(name).ok()?)))
        .map(|(name, value)| {
            let value = overrides.iter().find(|(n, _)| *n == name).map_or(value, |(_, v)| v.clone());
            (name, value)
        })
        .collect();
    for (name, value) in [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("LANG", "en_US.UTF-8"),
        ("TZ", ":UTC"),
        ("AWS_LAMBDA_RUNTIME_API", api),
        ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", &memory_mb.to_string()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
    ] {
        environment.push((name.to_owned(), value.to_owned()));
    }
    environment
}

/// One function to measure, from a `NAME=BOOTSTRAP=EVENT_FILE[=CELLS]` argument.
pub struct Spec {
    pub name: String,
    pub bootstrap: String,
    /// The event file's contents.
    pub event: String,
    /// Extra table cells, `|`-separated (`coldstart`'s package sizes).
    pub cells: Option<String>,
}

/// The specs on the command line (after the program's name); a malformed one is reported and
/// skipped, an unreadable event file stops the run.
pub fn specs() -> Vec<Spec> {
    std::env::args()
        .skip(1)
        .filter_map(|spec| {
            let mut parts = spec.splitn(4, '=');
            let (Some(name), Some(bootstrap), Some(event_file)) = (parts.next(), parts.next(), parts.next())
            else {
                eprintln!("skipping {spec}: expected NAME=BOOTSTRAP=EVENT_FILE[=CELLS]");
                return None;
            };
            let event = std::fs::read_to_string(event_file).unwrap_or_else(|e| panic!("{event_file}: {e}"));
            Some(Spec {
                name: name.to_owned(),
                bootstrap: bootstrap.to_owned(),
                event,
                cells: parts.next().map(str::to_owned),
            })
        })
        .collect()
}

/// The `p` percentile (0 to 1, nearest rank) of `values`; `None` when there are none.
pub fn percentile<T: Ord + Copy>(values: &[T], p: f64) -> Option<T> {
    let mut values = values.to_vec();
    values.sort();
    values.get(((values.len().max(1) - 1) as f64 * p).round() as usize).copied()
}
