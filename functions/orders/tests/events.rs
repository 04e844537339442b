//! Runs the handler on every sample event in events/orders/.

use bookworm_embedded::EmbeddedShop;
use serde_json::Value;

const CASES: &[(&str, u16)] = &[
    ("list-orders.json", 200),
    ("get-unknown-order.json", 404),
    ("complete-unknown-order.json", 404),
    ("cancel-as-customer.json", 403),
    ("list-shop-orders.json", 200),
    ("list-shop-orders-other-shop.json", 403),
    ("list-customer-orders.json", 200),
    ("list-orders-to-before-from.json", 400),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let files: Vec<&str> = CASES.iter().map(|(file, _)| *file).collect();
    let store = EmbeddedShop::in_memory().unwrap();
    for ((file, text), (_, status)) in test_support::sample_events("orders", &files).iter().zip(CASES) {
        let request = lambda_http::request::from_str(text).unwrap();
        let response = orders::handle(&store, request).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status().as_u16(), *status, "{file}: {body}");
    }
}
