//! Runs the handler on every sample event in events/search/ against the seed catalog's index,
//! embedded with the real model as the function has it (`BOOKWORM_MODEL_DIR`).

use std::path::PathBuf;
use std::sync::Arc;

use bookworm_domain::ports::{CatalogStore, CatalogWriter};
use bookworm_embedded::{EmbeddedCatalog, seed};
use bookworm_search::{LiveIndex, ObservedCatalog};
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
        // Hybrid: the one keyword match first, then books near in meaning; the filters hold
        // on both sides.
        assert_eq!(names(body)[0], "The Island of Doctor Moreau");
        for hit in body["hits"].as_array().unwrap() {
            assert_eq!(hit["book"]["category"]["name"], "Science Fiction");
            assert_eq!(hit["book"]["status"], "in_stock");
            let price = hit["book"]["sale_price"].as_str().or(hit["book"]["price"].as_str()).unwrap();
            assert!(price.parse::<f64>().unwrap() <= 30.0, "{price}");
        }
        assert_eq!(body["total"].as_u64(), Some(names(body).len() as u64));
        assert_eq!(body["next_cursor"], Value::Null);
    }),
    ("search-bad-parameters.json", 400, |body| {
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["in_stock", "limit", "q"]);
    }),
    ("search-meaning.json", 200, |body| {
        assert_eq!(names(body)[0], "Moby-Dick", "hybrid by default: found by meaning");
        assert!(body["total"].as_u64().unwrap() >= 1);
    }),
    ("search-bad-mode.json", 400, |body| {
        assert_eq!(body["errors"][0]["field"], "mode");
    }),
    ("similar.json", 200, |body| {
        let books = body.as_array().unwrap();
        assert_eq!(books.len(), 5);
        assert!(books.iter().all(|b| b["book"]["name"] != "Moby-Dick"), "not the book itself");
        let melville = books.iter().filter(|b| b["book"]["authors"][0]["name"] == "Herman Melville").count();
        assert!(melville <= 2, "at most two by one author");
        let similarity: Vec<f64> = books.iter().map(|b| b["similarity"].as_f64().unwrap()).collect();
        assert!(similarity.windows(2).all(|w| w[0] >= w[1]), "nearest first: {similarity:?}");
    }),
    ("similar-unknown-book.json", 404, |body| {
        assert_eq!(body["status"], 404);
    }),
    ("suggest.json", 200, |body| {
        assert_eq!(body[0]["text"], "The Adventures of Sherlock Holmes");
        assert_eq!(body[0]["kind"], "title");
    }),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_response() {
    let dir = tempfile::tempdir().unwrap();
    let folder = std::env::var("BOOKWORM_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.model/all-MiniLM-L6-v2"));
    let model = bookworm_embed::Embedder::load(&folder).expect("the model (scripts/model fetches it)");
    let index = Arc::new(LiveIndex::open(dir.path(), Some(Arc::new(model))).unwrap());
    let catalog = ObservedCatalog::new(
        Arc::new(EmbeddedCatalog::in_memory().unwrap()) as Arc<dyn CatalogStore>,
        vec![index.clone()],
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
