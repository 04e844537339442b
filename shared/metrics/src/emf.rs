//! CloudWatch Embedded Metric Format, written by hand: one `serde_json` object per invocation
//! (the format is small and stable; see the specification in the AWS CloudWatch user guide).

use serde_json::{Map, Value, json};

use crate::Invocation;

/// The metric namespace: `METRICS_NAMESPACE` (the template sets `BookWorm/<stage>`), else `BookWorm`.
pub fn namespace() -> &'static str {
    static NAMESPACE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAMESPACE.get_or_init(|| std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| "BookWorm".to_owned()))
}

/// The invocation as one EMF document, or `None` when it recorded no metric. Function-wide
/// metrics carry the `Function` dimension; request metrics `Function` and `Route`. A metric
/// recorded more than once is an array of values (EMF allows up to 100).
pub fn emf_line(invocation: &Invocation) -> Option<String> {
    if invocation.metrics.is_empty() {
        return None;
    }
    let mut root = Map::new();
    let mut directives = Vec::new();
    for per_route in [false, true] {
        let mut names: Vec<(&str, &str)> = Vec::new();
        for metric in invocation.metrics.iter().filter(|m| m.per_route == per_route) {
            let values: Vec<f64> = invocation
                .metrics
                .iter()
                .filter(|m| m.name == metric.name && m.per_route == per_route)
                .map(|m| m.value)
                .take(100)
                .collect();
            if names.iter().any(|(name, _)| *name == metric.name) {
                continue;
            }
            names.push((metric.name, metric.unit.as_str()));
            root.insert(
                metric.name.to_owned(),
                if values.len() == 1 { json!(values[0]) } else { json!(values) },
            );
        }
        if names.is_empty() || (per_route && invocation.route.is_none()) {
            continue;
        }
        let dimensions = if per_route { json!([["Function", "Route"]]) } else { json!([["Function"]]) };
        let metrics: Vec<Value> =
            names.iter().map(|(name, unit)| json!({ "Name": name, "Unit": unit })).collect();
        directives
            .push(json!({ "Namespace": crate::namespace(), "Dimensions": dimensions, "Metrics": metrics }));
    }
    root.insert("Function".to_owned(), json!(invocation.function));
    if let Some(route) = &invocation.route {
        root.insert("Route".to_owned(), json!(route));
    }
    for (name, value) in &invocation.properties {
        root.entry(*name).or_insert_with(|| json!(value));
    }
    root.insert(
        "_aws".to_owned(),
        json!({ "Timestamp": invocation.timestamp, "CloudWatchMetrics": directives }),
    );
    serde_json::to_string(&root).ok()
}
