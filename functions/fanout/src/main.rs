//! Lambda wiring for fan-out: the connections table, the management API client and the client
//! that hands shards to this same function (`FANOUT_SHARD_FUNCTION`), once.

use bookworm_apigw::ManagementPush;
use bookworm_dynamodb::{DynamoShop, required_env};
use bookworm_http::entry::{self, Error};
use bookworm_lambda::LambdaShards;
use fanout::{Fanout, Invocation, ShardSize};
use lambda_http::lambda_runtime::LambdaEvent;

/// Where fan-out pushes and hands shards, from the function's environment.
struct Settings {
    websocket_endpoint: String,
    shard_function: String,
    shard_size: Option<ShardSize>,
}

impl Settings {
    fn from_env() -> Result<Self, Error> {
        Ok(Self {
            websocket_endpoint: required_env("WEBSOCKET_ENDPOINT")?,
            shard_function: required_env("FANOUT_SHARD_FUNCTION")?,
            shard_size: ShardSize::from_setting(std::env::var("FANOUT_SHARD_SIZE").ok().as_deref())?,
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let settings = Settings::from_env()?;
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let push = ManagementPush::new(&config, &settings.websocket_endpoint);
    let shards = LambdaShards::new(&config, settings.shard_function);
    let fanout = Fanout {
        connections: &shop,
        push: &push,
        dedupe: &shop,
        parallelism: Fanout::DEFAULT_PARALLELISM,
        push_timeout: Fanout::DEFAULT_PUSH_TIMEOUT,
    }
    .sharded(&shards, settings.shard_size);
    entry::serve_events("fanout", |event: LambdaEvent<Invocation>| async {
        fanout.handle(event.payload).await.map(|_| ()).map_err(Error::from)
    })
    .await
}
