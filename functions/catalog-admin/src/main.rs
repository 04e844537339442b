//! Lambda wiring for catalog administration: the catalog table, once.

use bookworm_dynamodb::DynamoCatalog;
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let catalog = DynamoCatalog::from_env()?;
    entry::serve("catalog-admin", |request| catalog_admin::handle(&catalog, request)).await
}
