//! Lambda wiring for fan-out: the connections table and the management API client, once.

use bookworm_apigw::ManagementPush;
use bookworm_dynamodb::{DynamoShop, required_env};
use fanout::Fanout;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let push = ManagementPush::new(&config, &required_env("WEBSOCKET_ENDPOINT")?);
    let fanout = Fanout {
        connections: &shop,
        push: &push,
        dedupe: &shop,
        parallelism: Fanout::DEFAULT_PARALLELISM,
        push_timeout: Fanout::DEFAULT_PUSH_TIMEOUT,
    };
    let fanout = &fanout;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        fanout.handle(event.payload).await.map(|_| ()).map_err(Error::from)
    }))
    .await
}
