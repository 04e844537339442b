//! Lambda wiring for the relay: the SNS client and topic, once.

use bookworm_dynamodb::required_env;
use bookworm_http::entry::{self, Error};
use bookworm_sns::SnsBus;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let topic = required_env("SHOP_EVENTS_TOPIC")?;
    let config = bookworm_aws::config_from_env()?;
    let bus = SnsBus::new(aws_sdk_sns::Client::new(&config), topic);
    entry::serve_events("relay", |event| async { Ok::<_, Error>(relay::handle(&bus, event.payload).await) })
        .await
}
