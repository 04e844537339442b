//! Lambda wiring for support chat: the support, orders and catalog tables, the connections
//! table and management API client (for live events), SES (for transcripts), the away queue
//! (for answers the customer is not connected to see), once.

use bookworm_apigw::ManagementPush;
use bookworm_domain::identity::ContactPolicy;
use bookworm_dynamodb::{DynamoCatalog, DynamoShop, DynamoSupport};
use bookworm_http::entry::{self, Error};
use bookworm_ses::{MailSettings, SesMailer};
use bookworm_sqs::SqsReminders;
use support::chat::Chat;
use support::live::Live;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let mail = MailSettings::from_env()?;
    let chat = support::ChatSettings::from_env()?;
    let config = bookworm_aws::config_from_env()?;
    let store = DynamoSupport::new(&config)?;
    let shop = DynamoShop::new(&config)?;
    let catalog = DynamoCatalog::from_config(&config)?;
    let push = ManagementPush::new(&config, &chat.websocket_endpoint);
    let reminders = SqsReminders::new(aws_sdk_sqs::Client::new(&config), chat.away_queue_url);
    let mailer = SesMailer::from_settings(&config, mail);
    let service = support::Support {
        chat: Chat {
            store: &store,
            live: Live { connections: &shop, push: &push },
            reminders: &reminders,
            away_delay: chat.away_delay,
        },
        orders: &shop,
        books: &catalog,
        mailer: &mailer,
        contacts: ContactPolicy::from_setting(
            std::env::var("CONTACTS_UNSTATED_ARE_VERIFIED").ok().as_deref(),
        ),
    };
    entry::serve("support", |request| support::handle(&service, request)).await
}
