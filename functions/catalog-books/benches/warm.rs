//! A warm catalog read in process: the handler alone, on the embedded store, once the function
//! is running (no runtime round trip). `scripts/bench` prints the medians in its table.
//!
//!   cargo bench -p catalog-books --bench warm

use bookworm_domain::ports::CatalogWriter;
use bookworm_embedded::{EmbeddedCatalog, seed};
use divan::Bencher;
use lambda_http::Request;
use serde_json::{Value, json};

fn main() {
    divan::main();
}

/// A sample event, as API Gateway would send it, with `query` as its query string (if any).
fn event(file: &str, query: Option<(&str, &str)>) -> String {
    let path = format!("{}/../../events/catalog-books/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut event: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    if let Some((name, value)) = query {
        event["rawQueryString"] = json!(format!("{name}={value}"));
        event["queryStringParameters"] = json!({ name: value });
    }
    event.to_string()
}

fn bench_event(bencher: Bencher, event: String) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let catalog = std::sync::Arc::new(EmbeddedCatalog::in_memory().unwrap());
    runtime.block_on(catalog.import(&seed::catalog().unwrap())).unwrap();
    let shop = std::sync::Arc::new(bookworm_embedded::EmbeddedShop::in_memory().unwrap());
    let ratings = bookworm_embedded::EmbeddedReviews::open(shop, catalog.clone()).unwrap();
    let request = || lambda_http::request::from_str(&event).unwrap();
    let check = runtime.block_on(catalog_books::handle(catalog.as_ref(), &ratings, request()));
    assert_eq!(check.status(), 200, "{:?}", check.body());
    bencher.with_inputs(request).bench_local_values(|request: Request| {
        runtime.block_on(catalog_books::handle(catalog.as_ref(), &ratings, request))
    });
}

/// `GET /books/{id}`: one book by id.
#[divan::bench]
fn get_book(bencher: Bencher) {
    bench_event(bencher, event("get-book.json", None));
}

/// `GET /books?limit=20`: the first page of the catalog by name.
#[divan::bench]
fn list_books_20(bencher: Bencher) {
    bench_event(bencher, event("list-books.json", Some(("limit", "20"))));
}
