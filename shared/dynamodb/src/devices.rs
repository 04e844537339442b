//! The devices table: one item per user (`user_id`), their push devices as a list and the
//! list's version. A save is one conditional `PutItem` over the version it was made from, so
//! racing registrations cannot go past the limit. See `TABLES.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use bookworm_domain::ports::DeviceStore;
use bookworm_domain::push::Devices;

use crate::per_user::PerUserTable;
use crate::required_env;

#[derive(Clone)]
pub struct DynamoDevices {
    table: PerUserTable,
}

impl DynamoDevices {
    pub fn with_table(client: Client, table: String) -> Self {
        Self { table: PerUserTable::new(client, table) }
    }

    /// The table `DEVICES_TABLE` names.
    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_table(Client::new(config), required_env("DEVICES_TABLE")?))
    }
}

#[async_trait]
impl DeviceStore for DynamoDevices {
    async fn devices(&self, user: &UserId) -> Result<Devices, Error> {
        Ok(self.table.read(user, "read devices").await?.unwrap_or_else(|| Devices::empty(user)))
    }

    async fn save_devices(&self, devices: &Devices) -> Result<bool, Error> {
        self.table.save(devices, devices.version, "save devices").await
    }
}
