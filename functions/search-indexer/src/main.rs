//! Lambda wiring for the search indexer: the catalog reader and the index store, once.

use std::sync::Arc;

use bookworm_dynamodb::DynamoCatalog;
use bookworm_http::entry::{self, Error};
use bookworm_s3::S3IndexStore;
use bookworm_search::{IndexPublisher, embedder_from_env};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let catalog = Arc::new(DynamoCatalog::from_config(&config)?.consistent());
    // The model (from the layer: BOOKWORM_MODEL_DIR) is required: every version it publishes
    // has a vector per book.
    let embedder = embedder_from_env()?.ok_or("BOOKWORM_MODEL_DIR is not set")?;
    let publisher =
        IndexPublisher::new(catalog, S3IndexStore::from_env(&config)?).with_embedder(Some(embedder));
    entry::serve_events("search-indexer", |event| async {
        search_indexer::handle(&publisher, event.payload).await.map_err(Error::from)
    })
    .await
}
