//! Lambda wiring for the relay: the SNS client and topic, once.

use bookworm_dynamodb::required_env;
use bookworm_sns::SnsBus;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_runtime::tracing::init_default_subscriber();
    let config = bookworm_aws::config_from_env()?;
    let bus = SnsBus::new(aws_sdk_sns::Client::new(&config), required_env("SHOP_EVENTS_TOPIC")?);
    let bus = &bus;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        bookworm_metrics::invocation(
            "relay",
            event.context.request_id.clone(),
            event.context.xray_trace_id.clone(),
            async move { Ok::<_, Error>(relay::handle(bus, event.payload).await) },
        )
    }))
    .await
}
