//! The profiles table: one item per user (`user_id`), the profile's fields as attributes. A
//! save is one conditional `PutItem` over the version it was made from. See `TABLES.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use bookworm_domain::ports::ProfileStore;
use bookworm_domain::profile::Profile;

use crate::{required_env, s, unavailable};

#[derive(Clone)]
pub struct DynamoProfiles {
    client: Client,
    table: String,
}

impl DynamoProfiles {
    pub fn with_table(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The table `PROFILES_TABLE` names.
    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_table(Client::new(config), required_env("PROFILES_TABLE")?))
    }
}

#[async_trait]
impl ProfileStore for DynamoProfiles {
    async fn profile(&self, user: &UserId) -> Result<Option<Profile>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("user_id", s(user.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read a profile", e))?;
        output
            .item
            .map(|item| serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode a profile", e)))
            .transpose()
    }

    async fn save_profile(&self, profile: &Profile) -> Result<bool, Error> {
        let Some(before) = profile.version.checked_sub(1) else { return Ok(false) };
        let item = serde_dynamo::to_item(profile).map_err(|e| Error::unavailable("encode a profile", e))?;
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
            Err(e) => Err(unavailable("save a profile", e)),
        }
    }
}
