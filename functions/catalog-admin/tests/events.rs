//! Runs the handler on every sample event in events/catalog-admin/ against the seeded embedded
//! catalog. The events carry the authorizer's verdict as API Gateway passes it.

use bookworm_domain::ports::CatalogWriter;
use bookworm_embedded::{EmbeddedCatalog, seed};
use serde_json::Value;

const CASES: &[(&str, u16)] = &[
    ("create-book.json", 201),
    ("create-book-as-customer.json", 403),
    ("create-book-rejected-token.json", 401),
    ("create-book-invalid.json", 400),
    ("update-book.json", 200),
    ("delete-book.json", 204),
    ("create-author.json", 201),
    ("delete-author-with-books.json", 409),
    ("delete-category-with-books.json", 409),
    ("delete-publisher-with-books.json", 409),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let files: Vec<&str> = CASES.iter().map(|(file, _)| *file).collect();
    for ((file, text), (_, status)) in test_support::sample_events("catalog-admin", &files).iter().zip(CASES)
    {
        // A fresh catalog per event, so the cases do not depend on each other.
        let catalog = EmbeddedCatalog::in_memory().unwrap();
        catalog.import(&seed::catalog().unwrap()).await.unwrap();
        let request = lambda_http::request::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let response = catalog_admin::handle(&catalog, request).await;
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert_eq!(response.status().as_u16(), *status, "{file}: {body}");
        if *status >= 400 {
            let problem: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(problem["status"], *status, "{file}");
        }
    }
}

/// The invalid sample's request with another body.
fn create_book_with(body: Value) -> lambda_http::Request {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/catalog-admin/create-book-invalid.json");
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["body"] = body.to_string().into();
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

#[tokio::test]
async fn every_field_with_a_problem_is_named_at_once() {
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let body = serde_json::json!({
        "name": "x\u{0}y",                      // the text rule
        "description": "fine",
        "price": "not money",                   // a value of the wrong kind
        "sale_price": "1.00",
        "author_ids": ["00000000-0000-4000-8000-000000000000"],  // no such author
        "category_id": 7,                       // the wrong type
        // publisher_id missing
    });
    let response = catalog_admin::handle(&catalog, create_book_with(body)).await;
    assert_eq!(response.status(), 400);
    let problem: Value = serde_json::from_slice(response.body()).unwrap();
    let mut fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["author_ids[0]", "category_id", "name", "price", "publisher_id"], "{problem}");
}
