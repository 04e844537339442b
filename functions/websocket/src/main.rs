//! Lambda wiring for the WebSocket routes: the connections and support tables, and the
//! management API client that carries chat events to sockets, and the away queue, once.

use bookworm_apigw::ManagementPush;
use bookworm_dynamodb::{DynamoShop, DynamoSupport, ShopTable};
use bookworm_http::entry::{self, Error};
use bookworm_sqs::SqsReminders;
use support::chat::Chat;
use support::live::Live;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let settings = support::ChatSettings::from_env()?;
    let config = bookworm_aws::config_from_env()?;
    let connections = DynamoShop::new(&config)?;
    let store = DynamoSupport::new(&config)?;
    let push = ManagementPush::new(&config, &settings.websocket_endpoint);
    let reminders = SqsReminders::new(aws_sdk_sqs::Client::new(&config), settings.away_queue_url);
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    connections.warm_up(ShopTable::Connections).await;
    let routes = websocket::Routes {
        connections: &connections,
        chat: Chat {
            store: &store,
            live: Live { connections: &connections, push: &push },
            reminders: &reminders,
            away_delay: settings.away_delay,
        },
    };
    entry::serve_events("websocket", |event| async {
        Ok::<_, Error>(websocket::handle(&routes, event.payload).await)
    })
    .await
}
