//! Every EMF line this crate writes is a valid EMF document: the JSON schema beside this file,
//! plus the rules it cannot state (each metric's value, and each dimension's value, is a member
//! of the root; values are numbers, or arrays of at most 100 numbers; dimensions are strings).

use bookworm_metrics::{Invocation, Metric, Unit, emf_line};
use serde_json::Value;

fn validate(line: &str) {
    let schema: Value = serde_json::from_str(include_str!("emf.schema.json")).unwrap();
    let document: Value = serde_json::from_str(line).expect("one JSON object");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&document).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{line}: {errors:?}");
    for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            match &document[name] {
                Value::Number(_) => {}
                Value::Array(values) => {
                    assert!(values.len() <= 100 && values.iter().all(Value::is_number), "{name}")
                }
                other => panic!("metric {name} has no number at the root: {other}"),
            }
        }
        for set in directive["Dimensions"].as_array().unwrap() {
            for dimension in set.as_array().unwrap() {
                assert!(document[dimension.as_str().unwrap()].is_string(), "dimension {dimension} in {line}");
            }
        }
    }
}

fn metric(name: &'static str, value: f64, unit: Unit, per_route: bool) -> Metric {
    Metric { name, value, unit, per_route }
}

#[test]
fn the_lines_we_write_are_valid_emf() {
    let request = Invocation {
        function: "checkout".into(),
        route: Some("POST /shops/{shop_id}/checkout".into()),
        timestamp: 1_795_567_652_291,
        metrics: vec![
            metric("ColdStart", 1.0, Unit::Count, false),
            metric("InitDuration", 2.1, Unit::Milliseconds, false),
            metric("OrdersPlaced", 1.0, Unit::Count, false),
            metric("Requests", 1.0, Unit::Count, true),
            metric("Latency", 4.2, Unit::Milliseconds, true),
            metric("4xx", 0.0, Unit::Count, true),
            metric("5xx", 0.0, Unit::Count, true),
        ],
        properties: vec![
            ("RequestId", "r-1".into()),
            ("TraceId", "Root=1-5759e988-bd862e3fe1be46a994272793".into()),
        ],
    };
    validate(&emf_line(&request).unwrap());
    let mut fanout = Invocation { function: "fanout".into(), timestamp: 1, ..Invocation::default() };
    for i in 0..150 {
        fanout.metrics.push(metric("FanoutLatency", f64::from(i), Unit::Milliseconds, false));
    }
    fanout.metrics.push(metric("EventsFannedOut", 150.0, Unit::Count, false));
    validate(&emf_line(&fanout).unwrap());
}

#[test]
fn the_checks_refuse_what_cloudwatch_would_refuse() {
    let refused = |line: &str| std::panic::catch_unwind(|| validate(line)).is_err();
    assert!(
        refused(
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Function"]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},"A":1}"#
        ),
        "dimension missing"
    );
    assert!(
        refused(
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"A","Unit":"Parsecs"}]}]},"A":1}"#
        ),
        "unknown unit"
    );
    assert!(refused(r#"{"_aws":{"Timestamp":"now","CloudWatchMetrics":[]}}"#), "timestamp not a number");
    assert!(
        refused(
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"A"}]}]},"A":"one"}"#
        ),
        "value not a number"
    );
}
