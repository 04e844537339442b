//! The profiles table: one item per user (`user_id`), the profile's fields as attributes. A
//! save is one conditional `PutItem` over the version it was made from. See `TABLES.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use bookworm_domain::ports::ProfileStore;
use bookworm_domain::profile::Profile;

use crate::per_user::PerUserTable;
use crate::required_env;

#[derive(Clone)]
pub struct DynamoProfiles {
    table: PerUserTable,
}

impl DynamoProfiles {
    pub fn with_table(client: Client, table: String) -> Self {
        Self { table: PerUserTable::new(client, table) }
    }

    /// The table `PROFILES_TABLE` names.
    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_table(Client::new(config), required_env("PROFILES_TABLE")?))
    }
}

#[async_trait]
impl ProfileStore for DynamoProfiles {
    async fn profile(&self, user: &UserId) -> Result<Option<Profile>, Error> {
        self.table.read(user, "read a profile").await
    }

    async fn save_profile(&self, profile: &Profile) -> Result<bool, Error> {
        self.table.save(profile, profile.version, "save a profile").await
    }
}
