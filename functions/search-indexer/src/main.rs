//! Lambda wiring for the search indexer: the catalog reader and the index store, once.

use std::sync::Arc;

use bookworm_dynamodb::DynamoCatalog;
use bookworm_http::entry::{self, Error};
use bookworm_s3::S3IndexStore;
use bookworm_search::IndexPublisher;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let catalog = Arc::new(DynamoCatalog::from_config(&config)?.consistent());
    let publisher = IndexPublisher::new(catalog, S3IndexStore::from_env(&config)?);
    entry::serve_events("search-indexer", |event| async {
        search_indexer::handle(&publisher, event.payload).await.map_err(Error::from)
    })
    .await
}
