//! Lambda wiring for account: the shop tables, once.

use bookworm_dynamodb::DynamoShop;
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let shop = DynamoShop::from_env()?;
    entry::serve("account", |request| account::handle(&shop, request)).await
}
