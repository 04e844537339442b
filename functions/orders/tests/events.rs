//! Runs the handler on every sample event in events/orders/.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bookworm_embedded::EmbeddedShop;
use serde_json::Value;

const CASES: &[(&str, u16)] = &[
    ("list-orders.json", 200),
    ("get-unknown-order.json", 404),
    ("complete-unknown-order.json", 404),
    ("cancel-as-customer.json", 403),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/orders");
    let files: BTreeSet<String> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files, CASES.iter().map(|(file, _)| (*file).to_owned()).collect(), "a case per event file");
    let store = EmbeddedShop::in_memory().unwrap();
    for (file, status) in CASES {
        let request =
            lambda_http::request::from_str(&std::fs::read_to_string(folder.join(file)).unwrap()).unwrap();
        let response = orders::handle(&store, request).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status().as_u16(), *status, "{file}: {body}");
    }
}
