//! Runs the handler on every sample event in events/device-actions/.

use bookworm_embedded::EmbeddedShop;
use publish::device::{Dropped, Outcome};

#[tokio::test]
async fn every_sample_event_is_published_or_dropped_as_its_name_says() {
    let files = ["action.json", "action-shop-mismatch.json", "action-not-json.json"];
    let events = test_support::sample_events("device-actions", &files);
    let store = EmbeddedShop::in_memory().unwrap();
    let mut outcomes = Vec::new();
    for (file, text) in &events {
        let event = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        outcomes.push(device_actions::handle(&store, event).await.unwrap());
    }
    assert!(
        matches!(&outcomes[0], Outcome::Published(event) if event.shop_id.to_string() == "123e4567-e89b-42d3-a456-426614174000")
    );
    assert!(
        matches!(&outcomes[1], Outcome::Dropped(Dropped::Invalid(why)) if why.contains("shop_id")),
        "{:?}",
        outcomes[1]
    );
    assert!(matches!(&outcomes[2], Outcome::Dropped(Dropped::Malformed(_))), "{:?}", outcomes[2]);
}

#[tokio::test]
async fn a_payload_that_is_not_base64_is_dropped() {
    let store = EmbeddedShop::in_memory().unwrap();
    let event = serde_json::from_value(serde_json::json!({
        "topic": "shops/123e4567-e89b-42d3-a456-426614174000/actions", "payload": "not base64!"
    }))
    .unwrap();
    let outcome = device_actions::handle(&store, event).await.unwrap();
    assert!(matches!(outcome, Outcome::Dropped(Dropped::Malformed(_))), "{outcome:?}");
}
