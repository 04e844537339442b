//! Lambda wiring for the WebSocket routes: the connections table, once.

use bookworm_dynamodb::{DynamoShop, ShopTable};
use bookworm_http::entry::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let connections = DynamoShop::from_env()?;
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    connections.warm_up(ShopTable::Connections).await;
    entry::serve_events("websocket", |event| async {
        Ok::<_, Error>(websocket::handle(&connections, event.payload).await)
    })
    .await
}
