//! Lambda wiring for account: the preferences, profiles and devices tables and the SNS client
//! (push endpoints), once.

use account::Stores;
use bookworm_dynamodb::{DynamoDevices, DynamoProfiles, DynamoShop};
use bookworm_http::entry::{self, Error};
use bookworm_sns::SnsPush;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let config = bookworm_aws::config_from_env()?;
    let shop = DynamoShop::new(&config)?;
    let profiles = DynamoProfiles::new(&config)?;
    let devices = DynamoDevices::new(&config)?;
    let push = SnsPush::from_env(aws_sdk_sns::Client::new(&config));
    let stores = Stores { preferences: &shop, profiles: &profiles, devices: &devices, push: &push };
    entry::serve("account", |request| account::handle(&stores, request)).await
}
