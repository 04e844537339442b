//! Runs the handler on every sample event in events/catalog-lookups/ against the seeded
//! embedded catalog.

use std::path::PathBuf;

use bookworm_domain::ports::CatalogWriter;
use bookworm_embedded::{EmbeddedCatalog, seed};
use serde_json::Value;

#[tokio::test]
async fn every_sample_event_lists_its_reference_data_by_name() {
    let data = seed::catalog().unwrap();
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    catalog.import(&data).await.unwrap();
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/catalog-lookups");

    let expected = [
        ("list-authors.json", data.authors.len()),
        ("list-categories.json", data.categories.len()),
        ("list-publishers.json", data.publishers.len()),
    ];
    let single = [("get-author.json", "Jane Austen"), ("get-category.json", "Romance")];
    let files = std::fs::read_dir(&folder).unwrap().count();
    assert_eq!(files, expected.len() + single.len(), "a case per event file");
    for (file, name) in single {
        let text = std::fs::read_to_string(folder.join(file)).unwrap();
        let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let response = catalog_lookups::handle(&catalog, request).await;
        assert_eq!(response.status(), 200, "{file}");
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["name"], name, "{file}");
    }
    for (file, count) in expected {
        let text = std::fs::read_to_string(folder.join(file)).unwrap();
        let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let response = catalog_lookups::handle(&catalog, request).await;
        assert_eq!(response.status(), 200, "{file}");
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        let names: Vec<&str> =
            body["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), count, "{file}");
        assert!(names.windows(2).all(|pair| pair[0] <= pair[1]), "{file} is ordered by name: {names:?}");
    }
}

#[tokio::test]
async fn query_parameters_are_refused_by_name() {
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    let mut event: Value =
        serde_json::from_str(include_str!("../../../events/catalog-lookups/list-authors.json")).unwrap();
    event["rawQueryString"] = "limit=5".into();
    event["queryStringParameters"] = serde_json::json!({"limit": "5"});
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = catalog_lookups::handle(&catalog, request).await;
    assert_eq!(response.status(), 400);
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["errors"][0]["field"], "limit");
}

#[tokio::test]
async fn one_item_is_found_by_its_id_and_anything_else_named() {
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let get = |id: &str| {
        let mut event: Value =
            serde_json::from_str(include_str!("../../../events/catalog-lookups/get-author.json")).unwrap();
        event["rawPath"] = format!("/authors/{id}").into();
        event["pathParameters"] = serde_json::json!({ "id": id });
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        catalog_lookups::handle(&catalog, request)
    };
    let unknown = get("123e4567-e89b-42d3-a456-426614174000").await;
    assert_eq!(unknown.status(), 404);
    let malformed = get("not-a-uuid").await;
    assert_eq!(malformed.status(), 400);
    let body: Value = serde_json::from_slice(malformed.body()).unwrap();
    assert_eq!(body["errors"][0]["field"], "id");
}
