//! Lambda wiring for email: the shop tables, the SES and SNS clients, once.

use bookworm_dynamodb::{DynamoShop, required_env};
use bookworm_ses::SesMailer;
use bookworm_sns::SnsSms;
use email::Notifier;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(std::sync::Arc::new(bookworm_metrics::Stdout), true);
    lambda_runtime::tracing::init_default_subscriber();
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let mailer = SesMailer::new(
        aws_sdk_sesv2::Client::new(&config),
        required_env("MAIL_FROM")?,
        std::env::var("SES_CONFIGURATION_SET").ok(),
    );
    let sms = SnsSms::new(aws_sdk_sns::Client::new(&config));
    let notifier = Notifier { orders: &shop, mailer: &mailer, dedupe: &shop, preferences: &shop, sms: &sms };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        bookworm_metrics::invocation(
            "email",
            event.context.request_id.clone(),
            event.context.xray_trace_id.clone(),
            async move { notifier.handle(event.payload).await.map(|_| ()).map_err(Error::from) },
        )
    }))
    .await
}
