//! Lambda wiring for email: the shop tables, the SES and SNS clients, once.

use bookworm_dynamodb::{DynamoDevices, DynamoShop};
use bookworm_http::entry::{self, Error};
use bookworm_ses::{MailSettings, SesMailer};
use bookworm_sns::{SnsPush, SnsSms};
use email::Notifier;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let settings = MailSettings::from_env()?;
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let mailer = SesMailer::from_settings(&config, settings);
    let sns = aws_sdk_sns::Client::new(&config);
    let sms = SnsSms::new(sns.clone());
    let push = SnsPush::from_env(sns);
    let devices = DynamoDevices::new(&config)?;
    let notifier = Notifier {
        orders: &shop,
        mailer: &mailer,
        dedupe: &shop,
        preferences: &shop,
        sms: &sms,
        devices: &devices,
        push: &push,
    };
    entry::serve_events("email", |event| async {
        notifier.handle(event.payload).await.map(|_| ()).map_err(Error::from)
    })
    .await
}
