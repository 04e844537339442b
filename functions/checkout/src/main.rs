//! Lambda wiring for checkout: the catalog and shop tables, once.

use std::convert::Infallible;

use bookworm_domain::identity::ContactPolicy;
use bookworm_dynamodb::{DynamoCatalog, DynamoShop, ShopTable};
use checkout::Stores;
use lambda_http::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_http::tracing::init_default_subscriber();
    let config = bookworm_aws::config_from_env()?;
    let catalog = DynamoCatalog::from_config(&config)?;
    let shop = DynamoShop::new(&config)?;
    let contacts = match std::env::var("CONTACTS_UNSTATED_ARE_VERIFIED").as_deref() {
        Ok("true") => ContactPolicy::UnstatedAreVerified,
        _ => ContactPolicy::VerifiedOnly,
    };
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    shop.warm_up(ShopTable::Baskets).await;
    let stores = Stores { books: &catalog, baskets: &shop, orders: &shop, contacts };
    let stores = &stores;
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Infallible>(
            bookworm_http::metered("checkout", request, |request| checkout::handle(stores, request)).await,
        )
    }))
    .await
}
