//! Lambda wiring for device-actions: the events table, once.

use bookworm_dynamodb::{DynamoShop, ShopTable};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let events = DynamoShop::from_env()?;
    // Connect to DynamoDB now, not with the first message (bookworm_dynamodb's warm_up module).
    events.warm_up(ShopTable::Events).await;
    entry::serve_events("device-actions", |event| async {
        device_actions::handle(&events, event.payload).await?;
        Ok::<_, Error>(())
    })
    .await
}
