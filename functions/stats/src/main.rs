//! Lambda wiring for stats: the figures (and co-purchases in them), shop and catalog tables, once.

use bookworm_dynamodb::{DynamoCatalog, DynamoCoPurchases, DynamoFigures, DynamoShop};
use bookworm_http::entry::{self, Error};
use stats::Stats;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let figures = DynamoFigures::new(&config)?;
    let co_purchases = DynamoCoPurchases::new(&config)?;
    let shop = DynamoShop::new(&config)?;
    // Each changed book is read as it is now, strongly consistent: the count follows the catalog.
    let catalog = DynamoCatalog::from_config(&config)?.consistent();
    let stats = Stats {
        figures: &figures,
        orders: &shop,
        books: &catalog,
        dedupe: &shop,
        co_purchases: &co_purchases,
    };
    entry::serve_events("stats", |event| async { stats.invoke(event.payload).await.map_err(Error::from) })
        .await
}
