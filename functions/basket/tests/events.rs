//! Runs the handler on every sample event in events/basket/, in order, on one store.

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
    let files: Vec<&str> = CASES.iter().map(|(file, _)| *file).collect();
    let events = test_support::sample_events("basket", &files);
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let shop = EmbeddedShop::in_memory().unwrap();
    for ((file, text), (_, status)) in events.iter().zip(CASES) {
        let request = lambda_http::request::from_str(text).unwrap();
        let response = basket::handle(&catalog, &shop, request).await;
        assert_eq!(
            response.status().as_u16(),
            *status,
            "{file}: {}",
            String::from_utf8_lossy(response.body())
        );
        if file == "get-basket.json" {
            let basket: Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(basket["lines"][0]["name"], "Emma");
            assert_eq!(basket["lines"][0]["quantity"], 2);
        }
    }
}
