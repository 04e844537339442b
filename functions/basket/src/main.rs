//! Lambda wiring for basket: the catalog and shop tables, once.

use bookworm_dynamodb::{DynamoCatalog, DynamoShop};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let catalog = DynamoCatalog::from_config(&config)?;
    let shop = DynamoShop::new(&config)?;
    catalog.warm_up().await;
    entry::serve("basket", |request| basket::handle(&catalog, &shop, request)).await
}
