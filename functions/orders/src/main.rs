//! Lambda wiring for orders: the shop tables, once.

use std::convert::Infallible;

use bookworm_dynamodb::{DynamoShop, ShopTable};
use lambda_http::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_http::tracing::init_default_subscriber();
    let shop = DynamoShop::from_env()?;
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    shop.warm_up(ShopTable::Orders).await;
    let shop = &shop;
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Infallible>(
            bookworm_http::metered("orders", request, |request| orders::handle(shop, request)).await,
        )
    }))
    .await
}
