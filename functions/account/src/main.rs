//! Lambda wiring for account: the preferences and profiles tables, once.

use account::Stores;
use bookworm_dynamodb::{DynamoProfiles, DynamoShop};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let profiles = DynamoProfiles::new(&config)?;
    let stores = Stores { preferences: &shop, profiles: &profiles };
    entry::serve("account", |request| account::handle(&stores, request)).await
}
