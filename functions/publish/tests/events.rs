//! Runs the handler on every sample event in events/publish/.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bookworm_embedded::EmbeddedShop;
use serde_json::Value;

const CASES: &[(&str, u16)] = &[
    ("publish.json", 200),
    ("publish-shop-mismatch.json", 400),
    ("publish-missing-field.json", 400),
    ("history.json", 200),
    ("history-foreign-shop.json", 403),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/publish");
    let files: BTreeSet<String> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files, CASES.iter().map(|(file, _)| (*file).to_owned()).collect(), "a case per event file");
    let store = EmbeddedShop::in_memory().unwrap();
    for (file, status) in CASES {
        let request =
            lambda_http::request::from_str(&std::fs::read_to_string(folder.join(file)).unwrap()).unwrap();
        let response = publish::handle(&store, request).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status().as_u16(), *status, "{file}: {body}");
    }
    // The publish case ran first, so the history case listed it.
    let request =
        lambda_http::request::from_str(&std::fs::read_to_string(folder.join("history.json")).unwrap())
            .unwrap();
    let history: Value = serde_json::from_slice(publish::handle(&store, request).await.body()).unwrap();
    assert_eq!(history["items"][0]["data"]["product_name"], "FUJI Apples");
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "refused publishes left nothing");
}
