//! The devices table: one item per user (`user_id`), their push devices as a list and the
//! list's version. A save is one conditional `PutItem` over the version it was made from, so
//! racing registrations cannot go past the limit. See `TABLES.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use bookworm_domain::ports::DeviceStore;
use bookworm_domain::push::Devices;

use crate::{required_env, s, unavailable};

#[derive(Clone)]
pub struct DynamoDevices {
    client: Client,
    table: String,
}

impl DynamoDevices {
    pub fn with_table(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The table `DEVICES_TABLE` names.
    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_table(Client::new(config), required_env("DEVICES_TABLE")?))
    }
}

#[async_trait]
impl DeviceStore for DynamoDevices {
    async fn devices(&self, user: &UserId) -> Result<Devices, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("user_id", s(user.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read devices", e))?;
        match output.item {
            Some(item) => serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode devices", e)),
            None => Ok(Devices::empty(user)),
        }
    }

    async fn save_devices(&self, devices: &Devices) -> Result<bool, Error> {
        let Some(before) = devices.version.checked_sub(1) else { return Ok(false) };
        let item = serde_dynamo::to_item(devices).map_err(|e| Error::unavailable("encode devices", e))?;
        let put = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let put = if before == 0 {
            put.condition_expression("attribute_not_exists(user_id)")
        } else {
            put.condition_expression("#version = :before")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":before", AttributeValue::N(before.to_string()))
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("save devices", e)),
        }
    }
}
