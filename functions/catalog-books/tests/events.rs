//! Runs the handler on every sample event in events/catalog-books/ (the files `sam local invoke
//! -e` and `bookworm-local invoke` take), against the seeded embedded catalog.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bookworm_domain::ports::CatalogWriter;
use bookworm_embedded::{EmbeddedCatalog, seed};
use serde_json::Value;

type Check = fn(&Value);

/// Every event file with the status it must get and what its body must show.
const CASES: &[(&str, u16, Check)] = &[
    ("list-books.json", 200, |body| {
        assert_eq!(body["items"].as_array().map(Vec::len), Some(7));
        assert!(body["next_cursor"].is_string());
    }),
    ("list-books-by-category-price-desc.json", 200, |body| {
        let prices: Vec<f64> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|book| {
                let selling = if book["sale_price"].is_null() { &book["price"] } else { &book["sale_price"] };
                selling.as_str().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(prices.len(), 5);
        assert!(prices.windows(2).all(|pair| pair[0] >= pair[1]), "{prices:?}");
    }),
    ("search-books.json", 200, |body| {
        let names: Vec<&str> =
            body["items"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"The Sea-Wolf"), "{names:?}");
        assert!(names.iter().all(|name| name.to_lowercase().contains("sea")), "{names:?}");
    }),
    ("get-book.json", 200, |body| assert_eq!(body["name"], "Emma")),
    ("get-unknown-book.json", 404, |body| assert_eq!(body["status"], 404)),
    ("get-malformed-id.json", 400, |body| assert_eq!(body["errors"][0]["field"], "id")),
    ("list-bad-parameters.json", 400, |body| {
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["sort", "limit", "min_price"]);
    }),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_response() {
    let catalog = std::sync::Arc::new(EmbeddedCatalog::in_memory().unwrap());
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let shop = std::sync::Arc::new(bookworm_embedded::EmbeddedShop::in_memory().unwrap());
    let ratings = bookworm_embedded::EmbeddedReviews::open(shop, catalog.clone()).unwrap();
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/catalog-books");

    let files: BTreeSet<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let covered: BTreeSet<String> = CASES.iter().map(|(file, _, _)| (*file).to_owned()).collect();
    assert_eq!(files, covered, "every event file needs a case here, and every case a file");

    for (file, status, check) in CASES {
        let text = std::fs::read_to_string(folder.join(file)).unwrap();
        let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let response = catalog_books::handle(catalog.as_ref(), &ratings, request).await;
        assert_eq!(response.status().as_u16(), *status, "{file}");
        let content_type = if *status < 400 { "application/json" } else { "application/problem+json" };
        assert_eq!(response.headers()["content-type"], content_type, "{file}");
        let body: Value = serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{file}: {e}"));
        check(&body);
    }
}
