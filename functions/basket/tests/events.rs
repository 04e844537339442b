//! Runs the handler on every sample event in events/basket/, in order, on one store.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bookworm_domain::ports::CatalogWriter;
use bookworm_embedded::{EmbeddedCatalog, EmbeddedShop, seed};
use serde_json::Value;

const CASES: &[(&str, u16)] = &[
    ("put-item.json", 200),
    ("put-item-bad-quantity.json", 400),
    ("get-basket.json", 200),
    ("empty-basket.json", 204),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/basket");
    let files: BTreeSet<String> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files, CASES.iter().map(|(file, _)| (*file).to_owned()).collect(), "a case per event file");
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let shop = EmbeddedShop::in_memory().unwrap();
    for (file, status) in CASES {
        let request =
            lambda_http::request::from_str(&std::fs::read_to_string(folder.join(file)).unwrap()).unwrap();
        let response = basket::handle(&catalog, &shop, request).await;
        assert_eq!(
            response.status().as_u16(),
            *status,
            "{file}: {}",
            String::from_utf8_lossy(response.body())
        );
        if *file == "get-basket.json" {
            let basket: Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(basket["lines"][0]["name"], "Emma");
            assert_eq!(basket["lines"][0]["quantity"], 2);
        }
    }
}
