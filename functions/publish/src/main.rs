//! Lambda wiring for publish: the events table, once.

use bookworm_dynamodb::{DynamoShop, ShopTable};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let events = DynamoShop::from_env()?;
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    events.warm_up(ShopTable::Events).await;
    entry::serve("publish", |request| publish::handle(&events, request)).await
}
