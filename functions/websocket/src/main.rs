//! Lambda wiring for the WebSocket routes.

use bookworm_dynamodb::DynamoShop;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let connections = DynamoShop::from_env()?;
    let connections = &connections;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(websocket::handle(connections, event.payload).await)
    }))
    .await
}
