//! Lambda wiring for the WebSocket routes.

use bookworm_dynamodb::{DynamoShop, ShopTable};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_runtime::tracing::init_default_subscriber();
    let connections = DynamoShop::from_env()?;
    // Connect to DynamoDB now, not in the first request (bookworm_dynamodb's warm_up module).
    connections.warm_up(ShopTable::Connections).await;
    let connections = &connections;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        bookworm_metrics::invocation(
            "websocket",
            event.context.request_id.clone(),
            event.context.xray_trace_id.clone(),
            async move { Ok::<_, Error>(websocket::handle(connections, event.payload).await) },
        )
    }))
    .await
}
