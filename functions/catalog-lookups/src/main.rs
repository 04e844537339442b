//! Lambda wiring for the catalog's reference lists: the catalog table, once.

use bookworm_dynamodb::DynamoCatalog;
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let catalog = DynamoCatalog::from_env()?;
    catalog.warm_up().await;
    entry::serve("catalog-lookups", |request| catalog_lookups::handle(&catalog, request)).await
}
