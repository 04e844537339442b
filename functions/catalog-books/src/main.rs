//! Lambda wiring for the book catalog: the catalog and the rating counts, once.

use bookworm_dynamodb::{DynamoCatalog, DynamoRatings};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let catalog = DynamoCatalog::from_config(&config)?;
    let ratings = DynamoRatings::from_config(&config)?;
    catalog.warm_up().await;
    entry::serve("catalog-books", |request| catalog_books::handle(&catalog, &ratings, request)).await
}
