//! Lambda wiring for support's away emails: the support and claims tables and SES, once.

use bookworm_dynamodb::{DynamoShop, DynamoSupport};
use bookworm_http::entry::{self, Error};
use bookworm_ses::{MailSettings, SesMailer};
use support_away::Away;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let settings = MailSettings::from_env()?;
    let config = bookworm_aws::config_from_env()?;
    let store = DynamoSupport::new(&config)?;
    let claims = DynamoShop::new(&config)?;
    let mailer = SesMailer::from_settings(&config, settings);
    let away = Away { store: &store, mailer: &mailer, dedupe: &claims };
    entry::serve_events("support-away", |event| async {
        away.handle(event.payload).await.map(|_| ()).map_err(Error::from)
    })
    .await
}
