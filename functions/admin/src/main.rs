//! Lambda wiring for admin: the figures, catalog and profiles tables, once.

use bookworm_dynamodb::{DynamoCatalog, DynamoFigures, DynamoProfiles};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let stores = admin::Stores {
        figures: &DynamoFigures::new(&config)?,
        lookups: &DynamoCatalog::from_config(&config)?,
        profiles: &DynamoProfiles::new(&config)?,
    };
    entry::serve("admin", |request| admin::handle(&stores, request)).await
}
