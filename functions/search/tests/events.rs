//! Runs the handler on every sample event in events/search/ against the seed catalog's index.

use std::sync::Arc;

use bookworm_domain::ports::{CatalogStore, CatalogWriter};
use bookworm_embedded::{EmbeddedCatalog, seed};
use bookworm_search::{IndexedCatalog, LiveIndex};
use serde_json::Value;

type Check = fn(&Value);

fn names(body: &Value) -> Vec<String> {
    body["hits"].as_array().unwrap().iter().map(|h| h["book"]["name"].as_str().unwrap().to_owned()).collect()
}

const CASES: &[(&str, u16, Check)] = &[
    ("search-typo.json", 200, |body| {
        assert_eq!(names(body)[0], "Pride and Prejudice");
        assert_eq!(body["hits"][0]["highlights"]["name"], "Pride and <mark>Prejudice</mark>");
        assert!(body["hits"][0]["score"].as_f64().unwrap() > 0.0);
        assert!(body["facets"]["categories"].as_array().is_some_and(|f| !f.is_empty()));
    }),
    ("search-filtered.json", 200, |body| {
        assert_eq!(names(body), ["The Island of Doctor Moreau"], "Science Fiction, in stock, under 30");
        assert_eq!(body["total"], 1);
        assert_eq!(body["next_cursor"], Value::Null);
    }),
    ("search-bad-parameters.json", 400, |body| {
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["in_stock", "limit", "q"]);
    }),
    ("suggest.json", 200, |body| {
        assert_eq!(body[0]["text"], "The Adventures of Sherlock Holmes");
        assert_eq!(body[0]["kind"], "title");
    }),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_response() {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(LiveIndex::open(dir.path()).unwrap());
    let catalog = IndexedCatalog::new(
        Arc::new(EmbeddedCatalog::in_memory().unwrap()) as Arc<dyn CatalogStore>,
        index.clone(),
    );
    catalog.import(&seed::catalog().unwrap()).await.unwrap();

    let cases: Vec<&str> = CASES.iter().map(|(file, _, _)| *file).collect();
    for ((file, text), (_, status, check)) in
        test_support::sample_events("search", &cases).into_iter().zip(CASES)
    {
        let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let response = search::handle(&*index, request).await;
        assert_eq!(response.status().as_u16(), *status, "{file}");
        let content_type = if *status < 400 { "application/json" } else { "application/problem+json" };
        assert_eq!(response.headers()["content-type"], content_type, "{file}");
        let body: Value = serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{file}: {e}"));
        check(&body);
    }
}
