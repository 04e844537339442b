//! Lambda wiring for admin: the figures and catalog tables, once.

use bookworm_dynamodb::{DynamoCatalog, DynamoFigures};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let stores = admin::Stores {
        figures: &DynamoFigures::new(&config)?,
        lookups: &DynamoCatalog::from_config(&config)?,
    };
    entry::serve("admin", |request| admin::handle(&stores, request)).await
}
