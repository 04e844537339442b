//! Lambda wiring for the search indexer: the catalog reader and the index store, once.

use std::sync::Arc;

use bookworm_dynamodb::DynamoCatalog;
use bookworm_s3::S3IndexStore;
use bookworm_search::IndexPublisher;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_runtime::tracing::init_default_subscriber();
    let config = bookworm_aws::config_from_env()?;
    let catalog = Arc::new(DynamoCatalog::from_config(&config)?.consistent());
    let publisher = IndexPublisher::new(catalog, S3IndexStore::from_env(&config)?);
    let publisher = &publisher;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<search_indexer::Invocation>| {
        bookworm_metrics::invocation(
            "search-indexer",
            event.context.request_id.clone(),
            event.context.xray_trace_id.clone(),
            async move { search_indexer::handle(publisher, event.payload).await.map_err(Error::from) },
        )
    }))
    .await
}
