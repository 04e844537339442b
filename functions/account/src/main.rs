//! Lambda wiring for account: the preferences table, once.

use std::convert::Infallible;

use bookworm_dynamodb::DynamoShop;
use lambda_http::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_http::tracing::init_default_subscriber();
    let shop = DynamoShop::from_env()?;
    let shop = &shop;
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Infallible>(
            bookworm_http::metered("account", request, |request| account::handle(shop, request)).await,
        )
    }))
    .await
}
