//! Lambda wiring for reviews: the reviews table (with the catalog, events and orders tables it
//! checks and writes through), and the moderation policy, once.

use std::convert::Infallible;

use bookworm_dynamodb::{DynamoCatalog, DynamoReviews};
use lambda_http::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_http::tracing::init_default_subscriber();
    let config = bookworm_aws::config_from_env()?;
    let catalog = DynamoCatalog::from_config(&config)?;
    let store = DynamoReviews::new(&config)?;
    let service = reviews::Reviews {
        books: &catalog,
        reviews: &store,
        purchases: &store,
        policy: reviews::Policy::from_env()?,
    };
    let service = &service;
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Infallible>(
            bookworm_http::metered("reviews", request, |request| reviews::handle(service, request)).await,
        )
    }))
    .await
}
