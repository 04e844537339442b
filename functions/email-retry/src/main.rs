//! Lambda wiring for email-retry: the shop tables, the SES, SNS and SQS clients, once.

use bookworm_dynamodb::{DynamoDevices, DynamoShop, required_env};
use bookworm_http::entry::{self, Error};
use bookworm_ses::{MailSettings, SesMailer};
use bookworm_sns::{SnsPush, SnsSms};
use bookworm_sqs::SqsQueue;
use email::Notifier;
use email_retry::Retrier;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let settings = MailSettings::from_env()?;
    let dead_letters = required_env("EMAIL_DEAD_LETTERS_URL")?;
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let mailer = SesMailer::from_settings(&config, settings);
    let sns = aws_sdk_sns::Client::new(&config);
    let sms = SnsSms::new(sns.clone());
    let push = SnsPush::from_env(sns);
    let devices = DynamoDevices::new(&config)?;
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&config), dead_letters);
    let notifier = Notifier {
        orders: &shop,
        mailer: &mailer,
        dedupe: &shop,
        preferences: &shop,
        sms: &sms,
        devices: &devices,
        push: &push,
    };
    let retrier = &Retrier { notifier, queue: &queue };
    entry::serve_events("email-retry", |event| async move {
        retrier.handle(event.payload, event.context.deadline()).await.map_err(Error::from)
    })
    .await
}
