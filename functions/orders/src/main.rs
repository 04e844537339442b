//! Lambda wiring for orders: the shop tables, once.

use bookworm_dynamodb::{DynamoShop, ShopTable};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let shop = DynamoShop::from_env()?;
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    shop.warm_up(ShopTable::Orders).await;
    entry::serve("orders", |request| orders::handle(&shop, request)).await
}
