//! Runs the handler on every sample event in events/reviews/, on the embedded stores with the
//! seed catalog.

use std::sync::Arc;

use bookworm_domain::ports::CatalogWriter;
use bookworm_embedded::{EmbeddedCatalog, EmbeddedReviews, EmbeddedShop, seed};
use serde_json::Value;

const CASES: &[(&str, u16)] = &[
    ("list-reviews.json", 200),
    ("list-reviews-bad-sort.json", 400),
    ("write-review.json", 201),
    ("write-review-invalid.json", 400),
    ("write-review-signed-out.json", 401),
    ("edit-own-review.json", 200), // the review write-review.json made
    ("vote-unknown-review.json", 404),
    ("report-invalid-reason.json", 400),
    ("list-reported-as-customer.json", 403),
    ("list-reported-as-support.json", 200),
];

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let catalog = Arc::new(EmbeddedCatalog::in_memory().unwrap());
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    let store = EmbeddedReviews::open(shop, catalog.clone()).unwrap();
    let service = reviews::Reviews {
        books: catalog.as_ref(),
        reviews: &store,
        purchases: &store,
        policy: reviews::Policy::default(),
    };
    let files: Vec<&str> = CASES.iter().map(|(file, _)| *file).collect();
    for ((file, text), (_, status)) in test_support::sample_events("reviews", &files).iter().zip(CASES) {
        let request = lambda_http::request::from_str(text).unwrap();
        let response = reviews::handle(&service, request).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status().as_u16(), *status, "{file}: {body}");
    }
}
