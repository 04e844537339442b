//! Metrics, one record per invocation. A function's code says what happened (`count`,
//! `millis`, `property`) wherever it happens; [`scope`] gathers it for the invocation and hands
//! it to the sink: in Lambda, one CloudWatch Embedded Metric Format line on stdout (CloudWatch
//! Logs extracts the metrics: no API call, no agent, no permission); in the local stack, its
//! Prometheus registry (`/_local/metrics`). Outside a scope, recording does nothing.
//!
//! Dimensions stay few on purpose: the function, and for HTTP requests the route. Never a
//! user, shop or event id: those are properties (searchable in Logs Insights, not metrics).

mod emf;
mod prometheus;

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use emf::{emf_line, namespace};
pub use prometheus::Registry;

/// What one invocation recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invocation {
    pub function: String,
    /// The HTTP API route key (`POST /shops/{shop_id}/checkout`), for requests.
    pub route: Option<String>,
    /// Unix milliseconds at the start.
    pub timestamp: u64,
    pub metrics: Vec<Metric>,
    /// Searchable context (request, trace and event ids): never dimensions.
    pub properties: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub value: f64,
    pub unit: Unit,
    /// Per route (with the `Route` dimension) rather than per function.
    pub per_route: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// Where finished invocations go.
pub trait Sink: Send + Sync {
    fn record(&self, invocation: &Invocation);
}

/// Prints each invocation as one EMF line on stdout (what Lambda ships to CloudWatch Logs).
pub struct Stdout;

impl Sink for Stdout {
    fn record(&self, invocation: &Invocation) {
        if let Some(mut line) = emf_line(invocation) {
            // One write per line: Lambda reads stdout line by line, and another thread's line
            // must not land inside this one.
            line.push('\n');
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), line.as_bytes());
        }
    }
}

/// The same on stderr: `bookworm-local invoke` keeps stdout for the function's answer.
pub struct Stderr;

impl Sink for Stderr {
    fn record(&self, invocation: &Invocation) {
        if let Some(line) = emf_line(invocation) {
            eprintln!("{line}");
        }
    }
}

static SINK: OnceLock<Arc<dyn Sink>> = OnceLock::new();
static STARTED: OnceLock<Instant> = OnceLock::new();
static COLD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Sets where invocations go (once; the default is [`Stdout`]) and notes the process start,
/// from which the first invocation's `InitDuration` is measured: call it first thing in a
/// Lambda's `main`. `cold_starts: false` for a process that is not one function's sandbox (the
/// local stack runs them all).
pub fn init(sink: Arc<dyn Sink>, cold_starts: bool) {
    STARTED.get_or_init(Instant::now);
    COLD.store(cold_starts, std::sync::atomic::Ordering::Relaxed);
    let _ = SINK.set(sink);
}

tokio::task_local! {
    static CURRENT: RefCell<Invocation>;
    /// The sink for invocations run inside [`with_sink`]: one local stack's own registry, where
    /// several stacks share a process (the tests).
    static LOCAL_SINK: Arc<dyn Sink>;
}

/// Runs `work` with its invocations going to `sink` instead of the process's sink.
pub async fn with_sink<F: Future>(sink: Arc<dyn Sink>, work: F) -> F::Output {
    LOCAL_SINK.scope(sink, work).await
}

/// `METRICS_DISABLED=true` turns recording off (as Powertools' `POWERTOOLS_METRICS_DISABLED`):
/// for measuring what metrics cost, or to silence a function without a deploy of new code.
fn disabled() -> bool {
    static DISABLED: OnceLock<bool> = OnceLock::new();
    *DISABLED.get_or_init(|| std::env::var("METRICS_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true")))
}

/// Runs `work` as one invocation of `function` (on `route`), then hands what it recorded to the
/// sink. The process's first invocation also records `ColdStart` and `InitDuration`.
pub async fn scope<F: Future>(function: &str, route: Option<&str>, work: F) -> F::Output {
    if disabled() {
        return work.await;
    }
    let invocation = Invocation {
        function: function.to_owned(),
        route: route.map(str::to_owned),
        timestamp: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
        ..Invocation::default()
    };
    let cell = RefCell::new(invocation);
    let (output, cell) = CURRENT
        .scope(cell, async {
            let own_sandbox = LOCAL_SINK.try_with(|_| ()).is_err();
            if own_sandbox && COLD.swap(false, std::sync::atomic::Ordering::Relaxed) {
                count("ColdStart", 1.0);
                if let Some(started) = STARTED.get() {
                    millis("InitDuration", started.elapsed().as_secs_f64() * 1000.0);
                }
            }
            let output = work.await;
            (output, CURRENT.with(|current| current.take()))
        })
        .await;
    match LOCAL_SINK.try_with(Arc::clone) {
        Ok(sink) => sink.record(&cell),
        Err(_) => SINK.get_or_init(|| Arc::new(Stdout)).record(&cell),
    }
    output
}

/// [`scope`] for a Lambda invocation that is not an HTTP request (those go through
/// `bookworm_http::metered`): its request id and X-Ray trace id, from the invocation's
/// context, as properties, so a metric leads to the invocation's logs and trace.
pub async fn invocation<F: Future>(
    function: &str,
    request_id: String,
    trace_id: Option<String>,
    work: F,
) -> F::Output {
    scope(function, None, async move {
        property("RequestId", request_id);
        property("TraceId", trace_id.unwrap_or_default());
        work.await
    })
    .await
}

fn push(metric: Metric) {
    let _ = CURRENT.try_with(|current| current.borrow_mut().metrics.push(metric));
}

/// Adds `value` to the counter `name` of this invocation's function.
pub fn count(name: &'static str, value: f64) {
    push(Metric { name, value, unit: Unit::Count, per_route: false });
}

/// Records a duration for this invocation's function.
pub fn millis(name: &'static str, value: f64) {
    push(Metric { name, value, unit: Unit::Milliseconds, per_route: false });
}

/// Records a request metric, per route.
pub fn route_metric(name: &'static str, value: f64, unit: Unit) {
    push(Metric { name, value, unit, per_route: true });
}

/// Adds searchable context to this invocation's record (an id: never a dimension).
pub fn property(name: &'static str, value: impl Into<String>) {
    let value = value.into();
    let _ = CURRENT.try_with(|current| current.borrow_mut().properties.push((name, value)));
}

/// Records one HTTP answer: `Requests`, `Latency` and the `4xx`/`5xx` counts of its route.
pub fn request(status: u16, latency_ms: f64) {
    route_metric("Requests", 1.0, Unit::Count);
    route_metric("Latency", latency_ms, Unit::Milliseconds);
    route_metric("4xx", f64::from(u8::from((400..500).contains(&status))), Unit::Count);
    route_metric("5xx", f64::from(u8::from(status >= 500)), Unit::Count);
}

#[cfg(test)]
mod tests;
