//! Lambda wiring for checkout: the catalog, shop and profiles tables, once.

use bookworm_domain::identity::ContactPolicy;
use bookworm_dynamodb::{DynamoCatalog, DynamoProfiles, DynamoShop, ShopTable};
use bookworm_http::entry::{self, Error};
use checkout::Stores;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let contacts =
        ContactPolicy::from_setting(std::env::var("CONTACTS_UNSTATED_ARE_VERIFIED").ok().as_deref());
    let config = bookworm_aws::config_from_env()?;
    let catalog = DynamoCatalog::from_config(&config)?;
    let shop = DynamoShop::new(&config)?;
    let profiles = DynamoProfiles::new(&config)?;
    shop.warm_up(ShopTable::Baskets).await;
    let stores = Stores { books: &catalog, baskets: &shop, orders: &shop, profiles: &profiles, contacts };
    entry::serve("checkout", |request| checkout::handle(&stores, request)).await
}
