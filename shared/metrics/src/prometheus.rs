//! The local stack's registry: every invocation's metrics summed up, served as Prometheus text
//! (exposition format 0.0.4) at `/_local/metrics`. Counts become counters
//! (`bookworm_orders_placed_total`), durations histograms (`bookworm_latency_milliseconds`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

use crate::{Invocation, Sink, Unit};

/// Upper bounds of the duration buckets, in milliseconds.
const BUCKETS: [f64; 12] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0];

#[derive(Default)]
pub struct Registry {
    series: Mutex<BTreeMap<Key, Series>>,
}

/// (metric name, function, route).
type Key = (&'static str, String, Option<String>);

enum Series {
    Counter(f64),
    Histogram { buckets: [u64; BUCKETS.len()], count: u64, sum: f64 },
}

impl Sink for Registry {
    fn record(&self, invocation: &Invocation) {
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        for metric in &invocation.metrics {
            let route = if metric.per_route { invocation.route.clone() } else { None };
            let key = (metric.name, invocation.function.clone(), route);
            let entry = series.entry(key).or_insert_with(|| match metric.unit {
                Unit::Count => Series::Counter(0.0),
                Unit::Milliseconds => Series::Histogram { buckets: [0; BUCKETS.len()], count: 0, sum: 0.0 },
            });
            match entry {
                Series::Counter(total) => *total += metric.value,
                Series::Histogram { buckets, count, sum } => {
                    for (bucket, bound) in buckets.iter_mut().zip(BUCKETS) {
                        *bucket += u64::from(metric.value <= bound);
                    }
                    *count += 1;
                    *sum += metric.value;
                }
            }
        }
    }
}

impl Registry {
    /// Everything recorded so far, in Prometheus's text format.
    pub fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::new();
        let mut described = std::collections::HashSet::new();
        for ((name, function, route), value) in series.iter() {
            let base = format!("bookworm_{}", snake(name));
            let mut labels = format!("function=\"{}\"", escape(function));
            if let Some(route) = route {
                let _ = write!(labels, ",route=\"{}\"", escape(route));
            }
            match value {
                Series::Counter(total) => {
                    if described.insert(base.clone()) {
                        let _ = writeln!(text, "# TYPE {base}_total counter");
                    }
                    let _ = writeln!(text, "{base}_total{{{labels}}} {total}");
                }
                Series::Histogram { buckets, count, sum } => {
                    let base = format!("{base}_milliseconds");
                    if described.insert(base.clone()) {
                        let _ = writeln!(text, "# TYPE {base} histogram");
                    }
                    for (bucket, bound) in buckets.iter().zip(BUCKETS) {
                        let _ = writeln!(text, "{base}_bucket{{{labels},le=\"{bound}\"}} {bucket}");
                    }
                    let _ = writeln!(text, "{base}_bucket{{{labels},le=\"+Inf\"}} {count}");
                    let _ = writeln!(text, "{base}_sum{{{labels}}} {sum}");
                    let _ = writeln!(text, "{base}_count{{{labels}}} {count}");
                }
            }
        }
        text
    }
}

/// `OrdersPlaced` → `orders_placed`, `4xx` → `4xx` (prefixed, so never a leading digit).
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
