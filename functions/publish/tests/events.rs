//! Runs the handler on every sample event in events/publish/.

use bookworm_embedded::EmbeddedShop;
use serde_json::Value;

const CASES: &[(&str, u16)] = &[
    ("publish.json", 200),
    ("publish-shop-mismatch.json", 400),
    ("publish-missing-field.json", 400),
    ("publish-as-another-shopper.json", 403),
    ("publish-too-large.json", 413),
    ("history.json", 200),
    ("history-foreign-shop.json", 403),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let files: Vec<&str> = CASES.iter().map(|(file, _)| *file).collect();
    let events = test_support::sample_events("publish", &files);
    let store = EmbeddedShop::in_memory().unwrap();
    for ((file, text), (_, status)) in events.iter().zip(CASES) {
        let response = publish::handle(&store, lambda_http::request::from_str(text).unwrap()).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status().as_u16(), *status, "{file}: {body}");
    }
    // The publish case ran first, so the history case lists it, and only it.
    let history = &events.iter().find(|(file, _)| file == "history.json").unwrap().1;
    let response = publish::handle(&store, lambda_http::request::from_str(history).unwrap()).await;
    let history: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(history["items"][0]["data"]["product_name"], "FUJI Apples");
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "refused publishes left nothing");
}
