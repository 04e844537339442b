//! Lambda wiring for the WebSocket routes: the connections and support tables, and the
//! management API client that carries chat events to sockets, once.

use bookworm_apigw::ManagementPush;
use bookworm_dynamodb::{DynamoShop, DynamoSupport, ShopTable, required_env};
use bookworm_http::entry::{self, Error};
use support::chat::Chat;
use support::live::Live;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let websocket_endpoint = required_env("WEBSOCKET_ENDPOINT")?;
    let config = bookworm_aws::config_from_env()?;
    let connections = DynamoShop::new(&config)?;
    let store = DynamoSupport::new(&config)?;
    let push = ManagementPush::new(&config, &websocket_endpoint);
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    connections.warm_up(ShopTable::Connections).await;
    let routes = websocket::Routes {
        connections: &connections,
        chat: Chat { store: &store, live: Live { connections: &connections, push: &push } },
    };
    entry::serve_events("websocket", |event| async {
        Ok::<_, Error>(websocket::handle(&routes, event.payload).await)
    })
    .await
}
