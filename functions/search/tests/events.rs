//! Runs the handler on every sample event in events/search/ against the seed catalog's index,
//! embedded with the real model as the function has it (`BOOKWORM_MODEL_DIR`), with the
//! sample order (the signed-in sample's buyer bought Emma) and a few co-purchases of Moby-Dick.

use std::path::PathBuf;
use std::sync::Arc;

use bookworm_domain::copurchase::{PartnerKey, Partners};
use bookworm_domain::ids::{BookId, EventId};
use bookworm_domain::ports::{CatalogStore, CatalogWriter, CoPurchaseStore};
use bookworm_embedded::{EmbeddedCatalog, EmbeddedCoPurchases, EmbeddedReviews, EmbeddedShop, seed};
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
    ("also-bought.json", 200, |body| {
        let books = body.as_array().unwrap();
        assert_eq!(books.len(), 5);
        assert_eq!(books[0]["book"]["name"], "Pride and Prejudice", "the co-purchase first");
        assert_eq!((books[0]["source"].as_str(), books[0]["count"].as_u64()), (Some("co_purchase"), Some(3)));
        assert!(books[1..].iter().all(|b| b["source"] == "similar" && b["similarity"].as_f64().is_some()));
        let ids: std::collections::HashSet<&str> =
            books.iter().map(|b| b["book"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 5, "no book twice");
        assert!(books.iter().all(|b| b["book"]["name"] != "Moby-Dick"), "not the book itself");
    }),
    ("also-bought-bad-limit.json", 400, |body| {
        assert_eq!(body["errors"][0]["field"], "limit");
    }),
    ("recommendations.json", 200, |body| {
        let books = body.as_array().unwrap();
        assert_eq!(books.len(), 5);
        assert!(books.iter().all(|b| b["book"]["name"] != "Emma"), "never a book they bought");
        assert!(books.iter().all(|b| b["because"]["title"] == "Emma" && b["because"]["kind"] == "bought"));
        let scores: Vec<f64> = books.iter().map(|b| b["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    }),
    ("recommendations-signed-out.json", 401, |body| {
        assert_eq!(body["status"], 401);
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
    let data = seed::catalog().unwrap();
    catalog.import(&data).await.unwrap();
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    shop.seed_order(&seed::sample_order().unwrap()).await.unwrap();
    let co_purchases = EmbeddedCoPurchases::open(shop.clone()).unwrap();
    let book = |name: &str| data.books.iter().find(|b| b.name == name).unwrap().id;
    let mut moby = Partners::empty(PartnerKey::Book(book("Moby-Dick")));
    for _ in 0..3 {
        moby.add(EventId::random(), &[book("Pride and Prejudice")]);
    }
    // A book no longer in the catalog (more often bought with it): never shown.
    let gone = BookId::random();
    for _ in 0..5 {
        moby.add(EventId::random(), &[gone]);
    }
    moby.version = 1;
    assert!(co_purchases.save_partners(&moby).await.unwrap());
    let reviews =
        EmbeddedReviews::open(shop.clone(), Arc::new(EmbeddedCatalog::in_memory().unwrap())).unwrap();
    let stores =
        search::Stores { search: &*index, co_purchases: &co_purchases, orders: &*shop, reviews: &reviews };

    let cases: Vec<&str> = CASES.iter().map(|(file, _, _)| *file).collect();
    for ((file, text), (_, status, check)) in
        test_support::sample_events("search", &cases).into_iter().zip(CASES)
    {
        let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let response = search::handle(&stores, request).await;
        assert_eq!(response.status().as_u16(), *status, "{file}");
        let content_type = if *status < 400 { "application/json" } else { "application/problem+json" };
        assert_eq!(response.headers()["content-type"], content_type, "{file}");
        let body: Value = serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{file}: {e}"));
        check(&body);
    }
}
