//! Lambda wiring for reviews: the reviews table (with the catalog, events and orders tables it
//! checks and writes through), and the moderation policy, once.

use bookworm_dynamodb::{DynamoCatalog, DynamoReviews};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let policy = reviews::Policy::from_env()?;
    let config = bookworm_aws::config_from_env()?;
    let catalog = DynamoCatalog::from_config(&config)?;
    let store = DynamoReviews::new(&config)?;
    let service = reviews::Reviews { books: &catalog, reviews: &store, purchases: &store, policy };
    entry::serve("reviews", |request| reviews::handle(&service, request)).await
}
