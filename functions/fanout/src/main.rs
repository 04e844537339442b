//! Lambda wiring for fan-out: the connections table, the management API client and the client
//! that hands shards to this same function (`FANOUT_SHARD_FUNCTION`), once.

use bookworm_apigw::ManagementPush;
use bookworm_dynamodb::{DynamoShop, required_env};
use bookworm_lambda::LambdaShards;
use fanout::{Fanout, Invocation, ShardSize};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_runtime::tracing::init_default_subscriber();
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let push = ManagementPush::new(&config, &required_env("WEBSOCKET_ENDPOINT")?);
    let shards = LambdaShards::new(&config, required_env("FANOUT_SHARD_FUNCTION")?);
    let size = ShardSize::from_setting(std::env::var("FANOUT_SHARD_SIZE").ok().as_deref())?;
    let fanout = Fanout {
        connections: &shop,
        push: &push,
        dedupe: &shop,
        parallelism: Fanout::DEFAULT_PARALLELISM,
        push_timeout: Fanout::DEFAULT_PUSH_TIMEOUT,
    }
    .sharded(&shards, size);
    let fanout = &fanout;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Invocation>| {
        bookworm_metrics::invocation(
            "fanout",
            event.context.request_id.clone(),
            event.context.xray_trace_id.clone(),
            async move { fanout.handle(event.payload).await.map(|_| ()).map_err(Error::from) },
        )
    }))
    .await
}
