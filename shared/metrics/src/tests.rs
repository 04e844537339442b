use std::sync::Arc;

use super::*;

#[derive(Default)]
struct Captured(std::sync::Mutex<Vec<Invocation>>);

impl Sink for Captured {
    fn record(&self, invocation: &Invocation) {
        self.0.lock().unwrap().push(invocation.clone());
    }
}

#[tokio::test]
async fn a_scope_gathers_its_invocation_and_recording_outside_one_is_ignored() {
    let captured = Arc::new(Captured::default());
    init(captured.clone(), true);
    count("Stray", 1.0);
    let answer = scope("checkout", Some("POST /shops/{shop_id}/checkout"), async {
        count("OrdersPlaced", 1.0);
        property("EventId", "e-1");
        request(201, 4.5);
        42
    })
    .await;
    assert_eq!(answer, 42);
    scope("checkout", None, async { count("OrdersPlaced", 1.0) }).await;
    let invocations = captured.0.lock().unwrap().clone();
    assert_eq!(invocations.len(), 2);
    let names: Vec<&str> = invocations[0].metrics.iter().map(|m| m.name).collect();
    assert_eq!(names, ["ColdStart", "InitDuration", "OrdersPlaced", "Requests", "Latency", "4xx", "5xx"]);
    let second: Vec<&str> = invocations[1].metrics.iter().map(|m| m.name).collect();
    assert_eq!(second, ["OrdersPlaced"], "a cold start is the first invocation's only");

    let line: serde_json::Value = serde_json::from_str(&emf_line(&invocations[0]).unwrap()).unwrap();
    assert_eq!(line["OrdersPlaced"], 1.0);
    assert_eq!(line["Latency"], 4.5);
    assert_eq!(line["Route"], "POST /shops/{shop_id}/checkout");
    assert_eq!(line["EventId"], "e-1");
    let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
    assert_eq!(directives[0]["Dimensions"], serde_json::json!([["Function"]]));
    assert_eq!(directives[1]["Dimensions"], serde_json::json!([["Function", "Route"]]));
    assert_eq!(directives[1]["Metrics"][1], serde_json::json!({ "Name": "Latency", "Unit": "Milliseconds" }));

    let registry = Registry::default();
    for invocation in &invocations {
        registry.record(invocation);
    }
    let text = registry.render();
    assert!(text.contains("bookworm_orders_placed_total{function=\"checkout\"} 2"), "{text}");
    assert!(text.contains("bookworm_latency_milliseconds_bucket{function=\"checkout\",route=\"POST /shops/{shop_id}/checkout\",le=\"5\"} 1"), "{text}");
    assert!(
        text.contains("bookworm_4xx_total{function=\"checkout\",route=\"POST /shops/{shop_id}/checkout\"} 0"),
        "{text}"
    );
}

#[test]
fn repeated_metrics_become_arrays_and_an_empty_invocation_prints_nothing() {
    let mut invocation = Invocation { function: "fanout".into(), ..Invocation::default() };
    assert_eq!(emf_line(&invocation), None);
    for value in [3.0, 9.0] {
        invocation.metrics.push(Metric {
            name: "FanoutLatency",
            value,
            unit: Unit::Milliseconds,
            per_route: false,
        });
    }
    let line: serde_json::Value = serde_json::from_str(&emf_line(&invocation).unwrap()).unwrap();
    assert_eq!(line["FanoutLatency"], serde_json::json!([3.0, 9.0]));
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(),
        1,
        "no route, no route directive"
    );
}

#[tokio::test]
async fn a_lambda_invocation_carries_its_request_and_trace_ids() {
    let captured = Arc::new(Captured::default());
    let work =
        invocation("relay", "req-1".into(), Some("Root=1-abc".into()), async { count("EventsRelayed", 1.0) });
    with_sink(captured.clone(), work).await;
    let recorded = captured.0.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].function, "relay");
    assert_eq!(
        recorded[0].properties,
        [("RequestId", "req-1".to_owned()), ("TraceId", "Root=1-abc".to_owned())]
    );
}
