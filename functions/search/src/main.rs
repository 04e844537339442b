//! Lambda wiring for search: the published index, loaded at init and refreshed as it changes;
//! the co-purchases (figures table), the buyer's orders and reviews, read only.

use bookworm_http::entry::{self, Error};
use bookworm_s3::S3IndexStore;
use bookworm_search::{PublishedIndex, check_every_from_env, embedder_from_env};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    // The model (from the layer: BOOKWORM_MODEL_DIR) is required: without it hybrid search
    // would quietly rank by keywords alone.
    let embedder = embedder_from_env()?.ok_or("BOOKWORM_MODEL_DIR is not set")?;
    let index = PublishedIndex::new(S3IndexStore::from_env(&config)?, check_every_from_env()?)
        .with_embedder(Some(embedder));
    // Loaded during init, so the first shopper does not wait for the download. Without an
    // index yet, the function still starts and answers 503 until one is published.
    if let Err(error) = index.warm_up().await {
        tracing::warn!(%error, "no search index loaded at init");
    }
    let co_purchases = bookworm_dynamodb::DynamoCoPurchases::new(&config)?;
    let orders = bookworm_dynamodb::DynamoShop::new(&config)?;
    let reviews = bookworm_dynamodb::DynamoReviews::new(&config)?;
    let stores =
        search::Stores { search: &index, co_purchases: &co_purchases, orders: &orders, reviews: &reviews };
    entry::serve("search", |request| search::handle(&stores, request)).await
}
